package api

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"vigil/internal/agent"
	"vigil/internal/apperr"
	"vigil/internal/auth"
	"vigil/internal/i18n"
)

// GapView is a gap with its sentence in the reader's language.
type GapView struct {
	agent.Gap
	Text string `json:"text"`
}

// LanguageView is one language's grid with its gap sentences.
type LanguageView struct {
	Language string     `json:"language"`
	Grid     agent.Grid `json:"grid"`
	Gaps     []GapView  `json:"gaps"`
}

// TeamCoverage is one team's week as the API and the console show it.
type TeamCoverage struct {
	TeamID    int64          `json:"team_id"`
	TeamName  string         `json:"team_name"`
	Days      []string       `json:"days"`
	Total     agent.Grid     `json:"total"`
	Gaps      []GapView      `json:"gaps"`
	Languages []LanguageView `json:"languages"`
}

// CoverageReport is the coverage of the teams a caller asked for.
type CoverageReport struct {
	TimeZone string         `json:"time_zone"`
	Teams    []TeamCoverage `json:"teams"`
}

// CoverageQuery is what the coverage API and page read from the query
// string: team (0 for every team the caller may read), tz (UTC by
// default) and week (a date in the week; this week by default).
type CoverageQuery struct {
	Team int64
	Zone *time.Location
	Week time.Time
}

// ParseCoverageQuery reads and checks ?team=&tz=&week=.
func (a *API) ParseCoverageQuery(r *http.Request) (CoverageQuery, error) {
	q := CoverageQuery{Zone: time.UTC, Week: a.now()}
	var err error
	if q.Team, err = queryInt(r, "team"); err != nil {
		return q, err
	}
	if tz := r.URL.Query().Get("tz"); tz != "" && tz != "UTC" {
		if q.Zone, err = agent.Location("tz", tz); err != nil {
			return q, err
		}
	}
	if w := r.URL.Query().Get("week"); w != "" {
		day, err := time.ParseInLocation("2006-01-02", w, q.Zone)
		if err != nil {
			return q, apperr.Field("week", "shift.day_invalid", "must be a date like 2026-12-24")
		}
		q.Week = day.Add(12 * time.Hour)
	}
	return q, nil
}

// Coverage builds the report for the caller in lang.
func (a *API) Coverage(ctx context.Context, p auth.Principal, q CoverageQuery, lang string) (CoverageReport, error) {
	rep := CoverageReport{TimeZone: q.Zone.String(), Teams: []TeamCoverage{}}
	teams, err := a.Agents.Teams(ctx)
	if err != nil {
		return rep, err
	}
	if q.Team != 0 {
		if err := a.SeesTeam(ctx, p, q.Team); err != nil {
			return rep, err
		}
	}
	for _, t := range teams {
		if q.Team != 0 && t.ID != q.Team || q.Team == 0 && a.SeesTeam(ctx, p, t.ID) != nil {
			continue
		}
		cov, err := a.Agents.Coverage(ctx, t.ID, q.Zone, q.Week)
		if err != nil {
			return rep, err
		}
		tc := TeamCoverage{TeamID: t.ID, TeamName: t.Name, Days: cov.Days, Total: cov.Total,
			Gaps: gapViews(cov.Gaps, lang, rep.TimeZone), Languages: []LanguageView{}}
		for _, l := range cov.Languages {
			tc.Languages = append(tc.Languages, LanguageView{Language: l.Language, Grid: l.Grid, Gaps: gapViews(l.Gaps, lang, rep.TimeZone)})
		}
		rep.Teams = append(rep.Teams, tc)
	}
	return rep, nil
}

func gapViews(gaps []agent.Gap, lang, zone string) []GapView {
	out := make([]GapView, 0, len(gaps))
	for _, g := range gaps {
		out = append(out, GapView{Gap: g, Text: GapSentence(lang, g, zone)})
	}
	return out
}

// GapSentence says a gap in plain words, e.g. "No Chinese-speaking agent
// Sunday 02:00-06:00 UTC."
func GapSentence(lang string, g agent.Gap, zone string) string {
	clock := func(h int) string { return fmt.Sprintf("%02d:00", h) }
	day := func(d int) string { return i18n.T(lang, fmt.Sprintf("coverage.day.%d", d)) }
	var span string
	if g.StartDay == g.EndDay {
		span = i18n.T(lang, "coverage.range.day", day(g.StartDay), clock(g.StartHour), clock(g.EndHour), zone)
	} else {
		span = i18n.T(lang, "coverage.range.days", day(g.StartDay), clock(g.StartHour), day(g.EndDay), clock(g.EndHour), zone)
	}
	if g.Language == "" {
		return i18n.T(lang, "coverage.gap.team", span)
	}
	return i18n.T(lang, "coverage.gap.language", i18n.T(lang, "coverage.speaker."+g.Language), span)
}

func (a *API) coverage(w http.ResponseWriter, r *http.Request) {
	q, err := a.ParseCoverageQuery(r)
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	rep, err := a.Coverage(r.Context(), PrincipalFrom(r.Context()), q, i18n.Negotiate(r.Header.Get("Accept-Language")))
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	WriteJSON(w, http.StatusOK, rep)
}
