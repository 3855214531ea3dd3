package web

import (
	"time"

	"vigil/internal/i18n"
	"vigil/internal/ticket"
)

// dueLabel is an SLA deadline as the console shows it: "in 12 min" or
// "overdue by 3 min", with the instant for a tooltip and a class that
// colours it.
type dueLabel struct {
	Text  string
	ISO   string
	Class string // "due-ok", "due-soon", "due-over"; empty without a deadline
}

func due(now time.Time, at *time.Time, lang string) dueLabel {
	if at == nil {
		return dueLabel{}
	}
	raw := at.Sub(now)
	d := raw.Round(time.Minute)
	l := dueLabel{ISO: at.UTC().Format(time.RFC3339)}
	switch {
	case raw < 0:
		l.Text, l.Class = i18n.T(lang, "console.sla_overdue", span(-d, lang)), "due-over"
	case d <= DueSoon:
		l.Text, l.Class = i18n.T(lang, "console.sla_due_in", span(d, lang)), "due-soon"
	default:
		l.Text, l.Class = i18n.T(lang, "console.sla_due_in", span(d, lang)), "due-ok"
	}
	return l
}

// span renders a duration in whole minutes, hours or days.
func span(d time.Duration, lang string) string {
	switch {
	case d < time.Hour:
		return i18n.T(lang, "console.span_minutes", max(1, int(d.Minutes())))
	case d < 48*time.Hour:
		return i18n.T(lang, "console.span_hours", int(d.Hours()), int(d.Minutes())%60)
	}
	return i18n.T(lang, "console.span_days", int(d.Hours()/24))
}

// slaPanel is the conversation sidebar's SLA section.
type slaPanel struct {
	Policy string
	Paused bool
	Rows   []slaRow
}

type slaRow struct {
	Metric string
	Due    dueLabel
	At     string
}

func slaPanelFor(now time.Time, v ticket.SLA, lang string) slaPanel {
	p := slaPanel{Policy: v.PolicyName, Paused: v.Paused}
	for _, d := range v.Deadlines {
		at := d.Due
		p.Rows = append(p.Rows, slaRow{Metric: i18n.T(lang, "sla.metric."+string(d.Metric)), Due: due(now, &at, lang),
			At: at.UTC().Format("2006-01-02 15:04 UTC")})
	}
	return p
}
