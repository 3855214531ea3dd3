package web

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"vigil/internal/agent"
	"vigil/internal/api"
	"vigil/internal/apperr"
)

// commonZones are offered in the time-zone field next to the zones the
// shifts use; any IANA name may be typed.
var commonZones = []string{"UTC", "Asia/Shanghai", "Asia/Hong_Kong", "Asia/Singapore", "Asia/Tokyo", "Asia/Kolkata", "Asia/Dubai",
	"Europe/London", "Europe/Berlin", "America/New_York", "America/Los_Angeles", "America/Sao_Paulo", "Australia/Sydney"}

type coverageData struct {
	Teams []agent.Team
	Team  int64
	Zone  string
	Week  string
	Zones []string
	Views []teamView
}

// teamView is one team's section of the coverage page.
type teamView struct {
	Name       string
	Grids      []gridView
	Gaps       []string
	Shifts     []shiftRow
	Exceptions []exceptionRow
	People     []personRow
	OnCall     string
	OnShiftNow int
	WeekOf     string
}

type gridView struct {
	ID      string
	Caption string
	Rows    []gridRow
}

type gridRow struct {
	Day   string
	Cells []gridCell
}

// gridCell is one hour: the number, a colour class, and words for hours
// that are empty or skipped, so colour is never the only signal.
type gridCell struct {
	Count int
	Class string
	Word  string
	Title string
}

type shiftRow struct {
	Agent, Days, Hours, Zone string
}

type exceptionRow struct {
	Agent, Kind, Dates, Hours, Note string
}

type personRow struct {
	Name, Status, StatusLabel, Languages string
	OnShift                              bool
}

// coveragePage shows supervisors the week's staffing per team and
// language, the gaps in words, the shifts behind it and who is online.
func (c *Console) coveragePage(w http.ResponseWriter, r *http.Request, p *page) {
	p.Title, p.View = p.T("coverage.title"), "coverage"
	if !c.admit(w, r, p, "coverage", p.Principal.SeesAllTeams(), "coverage.supervisors_only") {
		return
	}
	teams, err := c.Agents.Teams(r.Context())
	if err != nil {
		c.fail(w, r, err)
		return
	}
	d := &coverageData{Teams: teams, Zone: r.URL.Query().Get("tz"), Week: r.URL.Query().Get("week"), Zones: commonZones}
	p.Data = d
	q, err := c.API.ParseCoverageQuery(r)
	if err == nil {
		d.Team = q.Team
		var rep api.CoverageReport
		if rep, err = c.API.Coverage(r.Context(), p.Principal, q, p.Lang); err == nil {
			d.Zone = rep.TimeZone
			err = c.teamViews(r, p, d, rep)
		}
	}
	if err != nil {
		status, msg, ok := api.Explain(err, p.Lang)
		if !ok {
			c.fail(w, r, err)
			return
		}
		p.Error = msg
		c.render(w, "coverage", status, p)
		return
	}
	c.render(w, "coverage", http.StatusOK, p)
}

func (c *Console) teamViews(r *http.Request, p *page, d *coverageData, rep api.CoverageReport) error {
	ctx := r.Context()
	people, err := c.Agents.List(ctx)
	if err != nil {
		return err
	}
	byID := make(map[int64]agent.Agent, len(people))
	for _, a := range people {
		byID[a.ID] = a
	}
	name := func(id int64) string {
		if a, ok := byID[id]; ok {
			return a.Name
		}
		return "#" + strconv.FormatInt(id, 10)
	}
	now := c.Now()
	for _, tc := range rep.Teams {
		v := teamView{Name: tc.TeamName, WeekOf: tc.Days[0]}
		v.Grids = append(v.Grids, grid(p, fmt.Sprintf("grid-%d", tc.TeamID), p.T("coverage.caption.team", tc.TeamName, rep.TimeZone, tc.Days[0]), tc.Days, tc.Total))
		for _, g := range tc.Gaps {
			v.Gaps = append(v.Gaps, g.Text)
		}
		for _, l := range tc.Languages {
			caption := p.T("coverage.caption.language", tc.TeamName, p.T("coverage.language."+l.Language), rep.TimeZone, tc.Days[0])
			v.Grids = append(v.Grids, grid(p, fmt.Sprintf("grid-%d-%s", tc.TeamID, l.Language), caption, tc.Days, l.Grid))
			for _, g := range l.Gaps {
				v.Gaps = append(v.Gaps, g.Text)
			}
		}
		shifts, err := c.Agents.Shifts(ctx, tc.TeamID)
		if err != nil {
			return err
		}
		for _, s := range shifts {
			days := make([]string, len(s.Weekdays))
			for i, wd := range s.Weekdays {
				days[i] = p.T("coverage.wd." + wd)
			}
			v.Shifts = append(v.Shifts, shiftRow{Agent: name(s.AgentID), Days: strings.Join(days, ", "), Hours: s.Start + "–" + s.End, Zone: s.TimeZone})
			if !slices.Contains(d.Zones, s.TimeZone) {
				d.Zones = append(d.Zones, s.TimeZone)
			}
		}
		exc, err := c.Agents.Exceptions(ctx, tc.TeamID, tc.Days[0])
		if err != nil {
			return err
		}
		for _, e := range exc {
			row := exceptionRow{Agent: name(e.AgentID), Kind: p.T("coverage.kind." + string(e.Kind)), Dates: e.FirstDay, Note: e.Note}
			if e.LastDay != e.FirstDay {
				row.Dates += " – " + e.LastDay
			}
			if e.Kind == agent.Extra {
				row.Hours = e.Start + "–" + e.End + " " + e.TimeZone
			}
			v.Exceptions = append(v.Exceptions, row)
		}
		onShift, err := c.Agents.ScheduledAt(ctx, tc.TeamID, now)
		if err != nil {
			return err
		}
		v.OnShiftNow = len(onShift)
		for _, a := range people {
			if a.Disabled || !slices.Contains(a.Teams, tc.TeamID) {
				continue
			}
			v.People = append(v.People, personRow{Name: a.Name, Status: string(a.Status), StatusLabel: p.T("console.presence." + string(a.Status)),
				Languages: strings.Join(a.Languages, ", "), OnShift: slices.Contains(onShift, a.ID)})
		}
		switch sup, err := c.Agents.OnCall(ctx, tc.TeamID, now); {
		case err == nil:
			v.OnCall = sup.Name
		case apperr.KindOf(err) != apperr.NotFound:
			return err
		}
		d.Views = append(d.Views, v)
	}
	return nil
}

func grid(p *page, id, caption string, days []string, g agent.Grid) gridView {
	v := gridView{ID: id, Caption: caption}
	for d := range 7 {
		row := gridRow{Day: p.T(fmt.Sprintf("coverage.day.%d", d)) + " " + days[d][5:]}
		for h := range 24 {
			n := g[d][h]
			cell := gridCell{Count: n}
			switch {
			case n == agent.NoSuchHour:
				cell.Class, cell.Word, cell.Title = "cov-skip", p.T("coverage.no_such_hour"), p.T("coverage.no_such_hour_title")
			case n == 0:
				cell.Class, cell.Word = "cov-0", p.T("coverage.none")
			case n < 3:
				cell.Class = "cov-" + strconv.Itoa(n)
			default:
				cell.Class = "cov-3"
			}
			row.Cells = append(row.Cells, cell)
		}
		v.Rows = append(v.Rows, row)
	}
	return v
}
