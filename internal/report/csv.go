package report

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
)

var csvHeader = []string{"section", "group", "weekday", "hour", "conversations_in", "solved",
	"first_response_count", "first_response_median_s", "first_response_p90_s",
	"resolution_count", "resolution_median_s", "resolution_p90_s",
	"sla_met", "sla_breached", "sla_compliance", "reopened", "reopen_rate",
	"csat_count", "csat_average", "csat_satisfied", "backlog"}

// WriteCSV writes a report as one table a spreadsheet opens: the total,
// the breakdown rows, the night and the rest of the day, and the 168
// heatmap cells, each line saying which section it belongs to.
func WriteCSV(w io.Writer, rep Report) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(csvHeader); err != nil {
		return err
	}
	line := func(section, group, weekday, hour string, f Figures) {
		_ = cw.Write(append([]string{section, group, weekday, hour}, figureCells(f)...))
	}
	line("total", "", "", "", rep.Total)
	for _, r := range rep.Rows {
		line(string(rep.By), r.Key, "", "", r.Figures)
	}
	win := fmt.Sprintf("%02d-%02d", rep.Night.Window.Start, rep.Night.Window.End)
	line("night", win, "", "", rep.Night.Inside)
	line("rest_of_day", win, "", "", rep.Night.Rest)
	for _, c := range rep.Heatmap {
		line("heatmap", "", strconv.Itoa(c.Weekday), strconv.Itoa(c.Hour), c.Figures)
	}
	cw.Flush()
	return cw.Error()
}

func figureCells(f Figures) []string {
	n := strconv.Itoa
	sec := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	opt := func(v *float64) string {
		if v == nil {
			return ""
		}
		return strconv.FormatFloat(*v, 'f', -1, 64)
	}
	return []string{n(f.In), n(f.Solved),
		n(f.FirstResponse.Count), sec(f.FirstResponse.Median), sec(f.FirstResponse.P90),
		n(f.Resolution.Count), sec(f.Resolution.Median), sec(f.Resolution.P90),
		n(f.SLAMet), n(f.SLABreached), opt(f.SLACompliance), n(f.Reopened), opt(f.ReopenRate),
		n(f.CSATCount), opt(f.CSATAverage), opt(f.CSATSatisfied), n(f.Backlog)}
}
