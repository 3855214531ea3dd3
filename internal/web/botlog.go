package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"vigil/internal/apperr"
	"vigil/internal/auth"
	"vigil/internal/bot"
	"vigil/internal/kb"
)

// botLogData is the bot log: what the bot answered, how sure it was, the
// article, how it ended, and the deflection rate over the same range.
type botLogData struct {
	From, To, Outcome, Language string
	Outcomes, Languages         []option
	Rows                        []botTurnRow
	Report                      bot.Report
	Rate                        string
	Older                       string
	Ready                       bool
}

type botTurnRow struct {
	bot.Turn
	At, ISO                   string
	ActionLabel, OutcomeLabel string
	Confidence                string
	Article                   string
}

// botLogPage needs report:read: the log holds customers' own words.
func (c *Console) botLogPage(w http.ResponseWriter, r *http.Request, p *page) {
	p.Title, p.View = p.T("botlog.title"), "bot"
	q := r.URL.Query()
	d := &botLogData{From: q.Get("from"), To: q.Get("to"), Outcome: q.Get("outcome"), Language: q.Get("lang")}
	p.Data = d
	if !c.admit(w, r, p, "botlog", p.Principal.Can(auth.PermReportRead), "coverage.supervisors_only") {
		return
	}
	d.fillOptions(p)
	f, err := d.filter(c.Now())
	if err == nil {
		f.Before, _ = strconv.ParseInt(q.Get("before"), 10, 64)
		err = c.fillBotLog(r, p, d, f)
	}
	if err != nil {
		c.retryPage(w, r, p, err, func(status int) { c.render(w, "botlog", status, p) })
		return
	}
	c.render(w, "botlog", http.StatusOK, p)
}

// botLogPageSize is how many turns one page of the log shows.
const botLogPageSize = 50

// filter reads the range as whole UTC days, both ends included; the
// default is the last seven days.
func (d *botLogData) filter(now time.Time) (bot.TurnFilter, error) {
	today := now.UTC().Truncate(24 * time.Hour)
	if d.To == "" {
		d.To = today.Format(time.DateOnly)
	}
	if d.From == "" {
		d.From = today.AddDate(0, 0, -6).Format(time.DateOnly)
	}
	from, err := time.Parse(time.DateOnly, d.From)
	if err != nil {
		return bot.TurnFilter{}, apperr.Field("from", "botlog.date_invalid", "give dates as YYYY-MM-DD")
	}
	to, err := time.Parse(time.DateOnly, d.To)
	if err != nil {
		return bot.TurnFilter{}, apperr.Field("to", "botlog.date_invalid", "give dates as YYYY-MM-DD")
	}
	return bot.TurnFilter{From: from, To: to.AddDate(0, 0, 1), Outcome: bot.Outcome(d.Outcome), Language: d.Language, Limit: botLogPageSize}, nil
}

func (d *botLogData) fillOptions(p *page) {
	d.Outcomes = []option{{Value: "", Label: p.T("botlog.all_outcomes")}}
	for _, o := range bot.Outcomes {
		d.Outcomes = append(d.Outcomes, option{Value: string(o), Label: p.T("botlog.outcome." + string(o)), Selected: string(o) == d.Outcome})
	}
	d.Languages = []option{{Value: "", Label: p.T("botlog.all_languages")}}
	for _, l := range kb.Languages {
		d.Languages = append(d.Languages, option{Value: l, Label: p.T("kb.lang." + l), Selected: l == d.Language})
	}
}

func (c *Console) fillBotLog(r *http.Request, p *page, d *botLogData, f bot.TurnFilter) error {
	turns, err := c.Bot.Log(r.Context(), f)
	if err != nil {
		return err
	}
	if d.Report, err = c.Bot.ReportFor(r.Context(), bot.TurnFilter{From: f.From, To: f.To, Language: f.Language}); err != nil {
		return err
	}
	d.Rate = "—" // no conversation: no rate, rather than a misleading 0%
	if d.Report.Conversations > 0 {
		d.Rate = fmt.Sprintf("%.1f%%", d.Report.DeflectionRate*100)
	}
	articles, err := c.KB.Articles(r.Context())
	if err != nil {
		return err
	}
	titles := map[int64]string{}
	for _, a := range articles {
		titles[a.ID] = articleTitle(a, p.Lang)
	}
	for _, t := range turns {
		row := botTurnRow{Turn: t, At: t.CreatedAt.UTC().Format("2006-01-02 15:04 UTC"), ISO: t.CreatedAt.UTC().Format(time.RFC3339),
			ActionLabel: p.T("botlog.action." + string(t.Action)), OutcomeLabel: p.T("botlog.outcome." + string(t.Outcome)),
			Confidence: fmt.Sprintf("%.0f%%", t.Confidence*100), Article: titles[t.ArticleID]}
		d.Rows = append(d.Rows, row)
	}
	if len(turns) == f.Limit {
		v := url.Values{"from": {d.From}, "to": {d.To}, "outcome": {d.Outcome}, "lang": {d.Language},
			"before": {strconv.FormatInt(turns[len(turns)-1].ID, 10)}}
		d.Older = "/console/bot?" + v.Encode()
	}
	d.Ready = true
	return nil
}
