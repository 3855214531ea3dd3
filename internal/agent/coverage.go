package agent

import (
	"slices"
	"time"
)

// NoSuchHour marks a grid cell for an hour the clocks skip in the grid's
// time zone (02:00 on a spring-forward day): nobody can be missing then.
const NoSuchHour = -1

// Grid counts agents per local day (0 is Monday) and hour of a week. A
// cell is the number of agents scheduled for the whole hour: the fewest
// working at any moment of it, so a half-hour hole shows as a gap. An
// hour that happens twice (fall-back) counts both passes.
type Grid [7][24]int

// Gap is a run of hours with nobody scheduled, from the start of
// (StartDay, StartHour) to the start of (EndDay, EndHour); EndHour 24 is
// the end of EndDay. Language is empty for the whole team; a language gap
// covers only hours when someone else in the team is scheduled.
type Gap struct {
	Language  string `json:"language,omitempty"`
	StartDay  int    `json:"start_day"`
	StartHour int    `json:"start_hour"`
	EndDay    int    `json:"end_day"`
	EndHour   int    `json:"end_hour"`
}

// LanguageCoverage is the grid of agents who speak one language.
type LanguageCoverage struct {
	Language string `json:"language"`
	Grid     Grid   `json:"grid"`
	Gaps     []Gap  `json:"gaps"`
}

// Coverage is one team's staffing over one week, read in one time zone.
type Coverage struct {
	TeamID    int64              `json:"team_id"`
	TimeZone  string             `json:"time_zone"`
	Days      []string           `json:"days"` // the seven local dates, Monday first
	Total     Grid               `json:"total"`
	Gaps      []Gap              `json:"gaps"`
	Languages []LanguageCoverage `json:"languages"`
}

// Member is what coverage needs to know about an agent.
type Member struct {
	ID        int64
	Languages []string
}

// CoverageInput is everything a coverage grid is computed from.
type CoverageInput struct {
	TeamID   int64
	Week     time.Time      // any instant of the week to show
	Location *time.Location // the grid's time zone; UTC when nil
	// Members are the team's enabled agents; shifts of anyone else are
	// ignored.
	Members   []Member
	Plan      *Plan
	Languages []string // a grid for each, in this order
}

// BuildCoverage computes the grid for one team and week. The week runs
// from Monday 00:00 to the next Monday 00:00 in the grid's time zone, so
// it is 167 or 169 hours long in a week with a clock change; every count
// is over real time.
func BuildCoverage(in CoverageInput) Coverage {
	if in.Location == nil {
		in.Location = time.UTC
	}
	loc := in.Location
	local := in.Week.In(loc)
	monday := civilOf(local).add(-((int(local.Weekday()) + 6) % 7))
	start, end := localTime(monday, 0, loc), localTime(monday.add(7), 0, loc)
	n := int(end.Sub(start) / slot)
	cells := make([]int, n)
	for i := range cells {
		t := start.Add(time.Duration(i) * slot).In(loc)
		day := int(civilOf(t) - monday)
		cells[i] = day*24 + t.Hour()
	}
	cov := Coverage{TeamID: in.TeamID, TimeZone: loc.String(), Gaps: []Gap{}, Languages: []LanguageCoverage{}}
	for d := range 7 {
		cov.Days = append(cov.Days, monday.add(d).String())
	}
	work := in.Plan.Work(start, end)
	group := func(keep func(Member) bool) Grid {
		diff := make([]int, n+1)
		for _, m := range in.Members {
			if !keep(m) {
				continue
			}
			for _, iv := range work[m.ID] {
				a := int((iv.Start.Sub(start) + slot - 1) / slot) // a partly covered slot is not covered
				b := int(iv.End.Sub(start) / slot)
				if a < b {
					diff[a]++
					diff[b]--
				}
			}
		}
		var g Grid
		for d := range g {
			for h := range g[d] {
				g[d][h] = NoSuchHour
			}
		}
		count := 0
		for i, c := range cells {
			count += diff[i]
			cell := &g[c/24][c%24]
			if *cell == NoSuchHour || count < *cell {
				*cell = count
			}
		}
		return g
	}
	cov.Total = group(func(Member) bool { return true })
	cov.Gaps = gaps(cov.Total, cov.Total, "")
	for _, lang := range in.Languages {
		g := group(func(m Member) bool { return slices.Contains(m.Languages, lang) })
		cov.Languages = append(cov.Languages, LanguageCoverage{Language: lang, Grid: g, Gaps: gaps(g, cov.Total, lang)})
	}
	return cov
}

// gaps merges consecutive empty hours of g into ranges, across midnight
// but not past the end of the week. An hour with nobody in the whole team
// is already a team gap, so it ends a language gap instead of repeating
// it. A skipped hour neither starts nor ends a gap.
func gaps(g, total Grid, lang string) []Gap {
	out := []Gap{}
	open := false
	var cur Gap
	for i := range 7 * 24 {
		d, h := i/24, i%24
		v := g[d][h]
		empty := v == 0 && (lang == "" || total[d][h] != 0)
		switch {
		case empty && !open:
			open, cur = true, Gap{Language: lang, StartDay: d, StartHour: h}
		case !empty && v != NoSuchHour && open:
			open = false
			cur.EndDay, cur.EndHour = d, h
			if h == 0 {
				cur.EndDay, cur.EndHour = d-1, 24
			}
			out = append(out, cur)
		}
	}
	if open {
		cur.EndDay, cur.EndHour = 6, 24
		out = append(out, cur)
	}
	return out
}
