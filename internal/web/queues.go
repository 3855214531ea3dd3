package web

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"vigil/internal/agent"
)

type queuesData struct {
	Rows []queueRow
}

// queueRow is one team's waiting line and who could answer it.
type queueRow struct {
	Team                     string
	Waiting, Urgent, Overdue int
	Assigned                 int
	Oldest                   string
	OldestISO                string
	Next                     dueLabel
	Online, Away, Offline    []string
}

// queuesPage shows supervisors each team's queue next to the team's
// presence, so a growing line with nobody online is visible at a glance.
func (c *Console) queuesPage(w http.ResponseWriter, r *http.Request, p *page) {
	p.Title, p.View = p.T("queues.title"), "queues"
	p.Data = &queuesData{}
	if !c.admit(w, r, p, "queues", p.Principal.SeesAllTeams(), "coverage.supervisors_only") {
		return
	}
	ctx := r.Context()
	stats, err := c.Tickets.Queues(ctx)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	teams, err := c.Agents.Teams(ctx)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	people, err := c.Agents.List(ctx)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	now := c.Now()
	rows := map[int64]*queueRow{0: {Team: p.T("queues.no_team")}}
	order := []int64{}
	for _, t := range teams {
		rows[t.ID] = &queueRow{Team: t.Name}
		order = append(order, t.ID)
	}
	order = append(order, 0)
	for _, a := range people {
		if a.Disabled {
			continue
		}
		for _, t := range a.Teams {
			row := rows[t]
			if row == nil {
				continue
			}
			switch a.Status {
			case agent.Online:
				row.Online = append(row.Online, a.Name)
			case agent.Away:
				row.Away = append(row.Away, a.Name)
			default:
				row.Offline = append(row.Offline, a.Name)
			}
		}
	}
	for _, s := range stats {
		row := rows[s.TeamID]
		if row == nil {
			continue
		}
		row.Waiting, row.Urgent, row.Overdue, row.Assigned = s.Waiting, s.Urgent, s.Overdue, s.AssignedTo
		if s.OldestAt != nil {
			row.Oldest, row.OldestISO = ago(now, *s.OldestAt, p.Lang), s.OldestAt.UTC().Format(time.RFC3339)
		}
		row.Next = due(now, s.NextDueAt, p.Lang)
	}
	d := &queuesData{}
	for _, id := range order {
		row := rows[id]
		if id == 0 && row.Waiting == 0 && row.Assigned == 0 {
			continue // nothing outside the teams
		}
		for _, names := range [][]string{row.Online, row.Away, row.Offline} {
			slices.SortFunc(names, strings.Compare)
		}
		d.Rows = append(d.Rows, *row)
	}
	p.Data = d
	c.render(w, "queues", http.StatusOK, p)
}
