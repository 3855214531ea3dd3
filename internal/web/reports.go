package web

import (
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"vigil/internal/api"
	"vigil/internal/apperr"
	"vigil/internal/auth"
	"vigil/internal/i18n"
	"vigil/internal/report"
)

// reportsData is the supervisors' reports page.
type reportsData struct {
	From, To, TZ, Night string
	By                  report.Dimension
	Dims                []dimOption
	CSV                 string
	Columns             []string
	Total               figRow
	Rows                []figRow
	NightRows           []figRow
	Days                []heatRow
	Hours               []string
	ChartIn, ChartFRT   template.HTML
	HeatIn, HeatFRT     template.HTML
	NightChart          template.HTML
	Bot                 string
	Ready               bool
}

type dimOption struct {
	Value    report.Dimension
	Label    string
	Selected bool
}

// figRow is one line of a figures table: its label and formatted cells.
type figRow struct {
	Label string
	Cells []string
}

type heatRow struct {
	Day   string
	Cells []string
}

// weekOrder lists weekdays Monday first, as time.Weekday numbers.
var weekOrder = [7]int{1, 2, 3, 4, 5, 6, 0}

// reportsPage shows the service report for supervisors: the figures as
// tables with server-drawn SVG charts beside them, a heatmap by local
// weekday and hour, the night window against the rest of the day, and a
// CSV link carrying the same query.
func (c *Console) reportsPage(w http.ResponseWriter, r *http.Request, p *page) {
	p.Title, p.View = p.T("reports.title"), "reports"
	d := &reportsData{}
	p.Data = d
	if !c.admit(w, r, p, "reports", p.Principal.Can(auth.PermReportRead), "coverage.supervisors_only") {
		return
	}
	v := r.URL.Query()
	q, err := api.ReportQuery(v, c.Now())
	if err == nil {
		d.fill(p, q)
		var rep report.Report
		if rep, err = c.Reports.Run(r.Context(), q); err == nil {
			if err = c.present(r, p, d, rep); err != nil {
				c.fail(w, r, err)
				return
			}
		}
	}
	if err != nil {
		e, ok := apperr.As(err)
		if !ok || e.Kind != apperr.Invalid {
			c.fail(w, r, err)
			return
		}
		d.From, d.To, d.TZ, d.Night, d.By = v.Get("from"), v.Get("to"), v.Get("tz"), v.Get("night"), report.Dimension(v.Get("by"))
		d.fillDims(p)
		p.Error = p.T(e.Code)
		c.render(w, "reports", http.StatusUnprocessableEntity, p)
		return
	}
	c.render(w, "reports", http.StatusOK, p)
}

func (d *reportsData) fill(p *page, q report.Query) {
	d.From, d.To, d.TZ, d.By = q.From.Format(time.DateOnly), q.To.Format(time.DateOnly), q.TZ.String(), q.By
	d.Night = fmt.Sprintf("%d-%d", q.Night.Start, q.Night.End)
	d.fillDims(p)
	v := url.Values{"from": {d.From}, "to": {d.To}, "tz": {d.TZ}, "by": {string(d.By)}, "night": {d.Night}}
	d.CSV = "/api/v1/reports/export.csv?" + v.Encode()
}

func (d *reportsData) fillDims(p *page) {
	for _, dim := range report.Dimensions {
		d.Dims = append(d.Dims, dimOption{Value: dim, Label: p.T("reports.by." + string(dim)), Selected: dim == d.By})
	}
}

// present turns a report into the page's tables and charts.
func (c *Console) present(r *http.Request, p *page, d *reportsData, rep report.Report) error {
	label, err := c.labeller(r, p, rep.By)
	if err != nil {
		return err
	}
	d.Ready = true
	for _, k := range []string{"reports.in", "reports.solved", "reports.frt_median", "reports.frt_p90", "reports.res_median",
		"reports.res_p90", "reports.sla", "reports.reopen", "reports.csat", "reports.backlog"} {
		d.Columns = append(d.Columns, p.T(k))
	}
	d.Total = figRow{Label: p.T("reports.total"), Cells: cells(p.Lang, rep.Total)}
	var in, frt []bar
	for _, row := range rep.Rows {
		l := label(row.Key)
		d.Rows = append(d.Rows, figRow{Label: l, Cells: cells(p.Lang, row.Figures)})
		in = append(in, bar{Label: l, Value: float64(row.In), Text: strconv.Itoa(row.In)})
		frt = append(frt, bar{Label: l, Value: row.FirstResponse.Median, Text: seconds(p.Lang, row.FirstResponse)})
	}
	d.ChartIn = barsSVG(p.T("reports.chart_in", p.T("reports.by."+string(rep.By))), in)
	d.ChartFRT = barsSVG(p.T("reports.chart_frt", p.T("reports.by."+string(rep.By))), frt)
	win := fmt.Sprintf("%02d:00-%02d:00", rep.Night.Window.Start, rep.Night.Window.End%24)
	inside, rest := p.T("reports.night_inside", win), p.T("reports.night_rest")
	d.NightRows = []figRow{{Label: inside, Cells: cells(p.Lang, rep.Night.Inside)}, {Label: rest, Cells: cells(p.Lang, rep.Night.Rest)}}
	d.NightChart = barsSVG(p.T("reports.night_chart"), []bar{
		{Label: inside, Value: rep.Night.Inside.FirstResponse.Median, Text: seconds(p.Lang, rep.Night.Inside.FirstResponse)},
		{Label: rest, Value: rep.Night.Rest.FirstResponse.Median, Text: seconds(p.Lang, rep.Night.Rest.FirstResponse)},
	})
	var inCells, frtCells [7][24]heatCell
	byDay := map[int]map[int]report.HeatCell{}
	for _, hc := range rep.Heatmap {
		if byDay[hc.Weekday] == nil {
			byDay[hc.Weekday] = map[int]report.HeatCell{}
		}
		byDay[hc.Weekday][hc.Hour] = hc
	}
	var days []string
	for i, wd := range weekOrder {
		day := p.T("reports.weekday." + strconv.Itoa(wd))
		days = append(days, day)
		row := heatRow{Day: day}
		for h := range 24 {
			hc := byDay[wd][h]
			inCells[i][h] = heatCell{Value: float64(hc.In), Text: p.T("reports.heat_in", hc.In)}
			frtCells[i][h] = heatCell{Value: hc.FirstResponse.Median, Text: seconds(p.Lang, hc.FirstResponse)}
			row.Cells = append(row.Cells, fmt.Sprintf("%d · %s", hc.In, seconds(p.Lang, hc.FirstResponse)))
		}
		d.Days = append(d.Days, row)
	}
	for h := range 24 {
		d.Hours = append(d.Hours, fmt.Sprintf("%02d", h))
	}
	d.HeatIn = heatmapSVG(p.T("reports.heat_in_title", rep.TZ), days, inCells)
	d.HeatFRT = heatmapSVG(p.T("reports.heat_frt_title", rep.TZ), days, frtCells)
	if rep.Bot.DeflectionRate != nil {
		d.Bot = p.T("reports.bot", rep.Bot.Resolved, rep.Bot.Conversations, percent(rep.Bot.DeflectionRate))
	} else {
		d.Bot = p.T("reports.bot_none")
	}
	return nil
}

// labeller names a breakdown's keys: teams and agents by name.
func (c *Console) labeller(r *http.Request, p *page, by report.Dimension) (func(string) string, error) {
	names := map[string]string{"0": p.T("console.none")}
	switch by {
	case report.ByTeam:
		teams, err := c.Agents.Teams(r.Context())
		if err != nil {
			return nil, err
		}
		for _, t := range teams {
			names[strconv.FormatInt(t.ID, 10)] = t.Name
		}
	case report.ByAgent:
		people, err := c.Agents.List(r.Context())
		if err != nil {
			return nil, err
		}
		for _, a := range people {
			names[strconv.FormatInt(a.ID, 10)] = a.Name
		}
	case report.ByVIP:
		names = map[string]string{"0": p.T("reports.vip_none")}
		for i := 1; i <= 9; i++ {
			names[strconv.Itoa(i)] = p.T("reports.vip_tier", i)
		}
	default:
		names = map[string]string{}
	}
	return func(k string) string {
		if n, ok := names[k]; ok {
			return n
		}
		return k
	}, nil
}

func cells(lang string, f report.Figures) []string {
	csat := "–"
	if f.CSATAverage != nil {
		csat = fmt.Sprintf("%.2f (%d)", *f.CSATAverage, f.CSATCount)
	}
	return []string{strconv.Itoa(f.In), strconv.Itoa(f.Solved),
		seconds(lang, f.FirstResponse), p90(lang, f.FirstResponse), seconds(lang, f.Resolution), p90(lang, f.Resolution),
		percent(f.SLACompliance), percent(f.ReopenRate), csat, strconv.Itoa(f.Backlog)}
}

func seconds(lang string, d report.Duration) string {
	if d.Count == 0 {
		return "–"
	}
	return clock(lang, d.Median)
}

func p90(lang string, d report.Duration) string {
	if d.Count == 0 {
		return "–"
	}
	return clock(lang, d.P90)
}

// clock writes seconds as "40 s", "12 min" or "3 h 5 min".
func clock(lang string, s float64) string {
	d := time.Duration(s) * time.Second
	if d < time.Minute {
		return i18n.T(lang, "reports.span_seconds", int(s))
	}
	return span(d, lang)
}

func percent(v *float64) string {
	if v == nil {
		return "–"
	}
	return strconv.FormatFloat(*v*100, 'f', 1, 64) + "%"
}
