package api

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"vigil/internal/apperr"
	"vigil/internal/auth"
	"vigil/internal/report"
)

// reportRoutes are satisfaction and report routes: supervisors read
// reports; anyone who sees a conversation sees its rating.
func (a *API) reportRoutes() []Route {
	return []Route{
		{"GET", "/api/v1/conversations/{id}/csat", auth.PermConversationRead, "The conversation's satisfaction survey and rating", a.conversationCSAT},
		{"GET", "/api/v1/reports", auth.PermReportRead, "Service figures over a date range and time zone, with a breakdown, heatmap and night-shift view", a.serviceReport},
		{"GET", "/api/v1/reports/export.csv", auth.PermReportRead, "The same report as CSV", a.serviceReportCSV},
		{"GET", "/api/v1/public/availability", Public, "Live chat availability now and the median wait of the last hour (opt-in)", a.availability},
	}
}

func (a *API) conversationCSAT(w http.ResponseWriter, r *http.Request) {
	conv, _, ok := a.loadConversation(w, r)
	if !ok {
		return
	}
	sv, err := a.Reports.Survey(r.Context(), conv.ID)
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	WriteJSON(w, http.StatusOK, sv)
}

// ReportQuery reads a report's parameters: from and to as YYYY-MM-DD
// (default: the last 7 days up to today), tz as an IANA zone (default
// UTC), by as a dimension (default channel) and night as "H-H" (default
// 0-6).
func ReportQuery(v url.Values, now time.Time) (report.Query, error) {
	q := report.Query{TZ: time.UTC, By: report.Dimension(v.Get("by")), Night: report.Window{Start: 0, End: 6}}
	if tz := v.Get("tz"); tz != "" {
		loc, err := time.LoadLocation(tz)
		if err != nil || len(tz) > 64 || tz == "Local" {
			return q, apperr.Field("tz", "report.tz_invalid", "unknown time zone %q", tz)
		}
		q.TZ = loc
	}
	today := now.In(q.TZ)
	q.To, q.From = today, today.AddDate(0, 0, -6)
	for _, p := range []struct {
		name string
		dst  *time.Time
	}{{"from", &q.From}, {"to", &q.To}} {
		if s := v.Get(p.name); s != "" {
			d, err := time.Parse(time.DateOnly, s)
			if err != nil {
				return q, apperr.Field(p.name, "report.date_invalid", "use a date like 2026-03-14")
			}
			*p.dst = d
		}
	}
	if q.By == "" {
		q.By = report.ByChannel
	}
	if s := v.Get("night"); s != "" {
		start, end, ok := strings.Cut(s, "-")
		x, err1 := strconv.Atoi(start)
		y, err2 := strconv.Atoi(end)
		if !ok || err1 != nil || err2 != nil {
			return q, apperr.Field("night", "report.night_invalid", "write the night window as two hours, like 0-6")
		}
		q.Night = report.Window{Start: x, End: y}
	}
	return q, nil
}

func (a *API) runReport(w http.ResponseWriter, r *http.Request) (report.Report, bool) {
	q, err := ReportQuery(r.URL.Query(), a.now())
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return report.Report{}, false
	}
	rep, err := a.Reports.Run(r.Context(), q)
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return report.Report{}, false
	}
	return rep, true
}

func (a *API) serviceReport(w http.ResponseWriter, r *http.Request) {
	rep, ok := a.runReport(w, r)
	if !ok {
		return
	}
	WriteJSON(w, http.StatusOK, rep)
}

func (a *API) serviceReportCSV(w http.ResponseWriter, r *http.Request) {
	rep, ok := a.runReport(w, r)
	if !ok {
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="report-%s-%s-%s.csv"`, rep.By,
		rep.From.Format(time.DateOnly), rep.To.AddDate(0, 0, -1).Format(time.DateOnly)))
	if err := report.WriteCSV(w, rep); err != nil {
		a.Logger.Warn("report csv", "component", "api", "err", err)
	}
}

// availability is public when the desk opts in: anyone's site may read it
// (CORS), caches may keep it for 15 seconds, and each address is limited.
func (a *API) availability(w http.ResponseWriter, r *http.Request) {
	if !a.Transparency {
		WriteError(w, r, a.Logger, apperr.NotFoundf("transparency.off", "this desk does not publish its availability"))
		return
	}
	if a.TransparencyLimiter != nil && !a.TransparencyLimiter.Allow("availability:"+a.ClientIP(r)) {
		WriteError(w, r, a.Logger, apperr.New(apperr.TooMany, "transparency.rate_limited", "too many requests; try again shortly"))
		return
	}
	av, err := a.Reports.Availability(r.Context())
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	w.Header().Set("Access-Control-Allow-Origin", "*")
	w.Header().Set("Cache-Control", "public, max-age=15")
	WriteJSON(w, http.StatusOK, av)
}
