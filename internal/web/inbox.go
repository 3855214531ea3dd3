package web

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"time"

	"vigil/internal/agent"
	"vigil/internal/api"
	"vigil/internal/customer"
	"vigil/internal/i18n"
	"vigil/internal/ticket"
	"vigil/internal/trust"
)

// views are the inbox tabs, in display order.
var views = []string{"mine", "unassigned", "teams", "all", "at_risk", "complaints"}

var activeStatuses = []ticket.Status{ticket.StatusNew, ticket.StatusOpen, ticket.StatusPending, ticket.StatusOnHold}

// viewFilter is what an inbox tab lists for the agent.
func (c *Console) viewFilter(ctx context.Context, view string, p *page) (ticket.Filter, bool, error) {
	f := ticket.Filter{Statuses: activeStatuses}
	switch view {
	case "mine":
		f.AssigneeID = p.Agent.ID
	case "unassigned":
		f.AssigneeID = -1
	case "teams":
		if len(p.Agent.Teams) == 0 {
			return f, false, nil // no team: nothing to list
		}
		f.TeamIDs = p.Agent.Teams
	case "all":
	case "at_risk":
		f.Statuses = []ticket.Status{ticket.StatusNew, ticket.StatusOpen}
		f.NoReplyBefore = c.Now().Add(-AtRisk)
		f.DueBefore = c.Now().Add(DueSoon)
	case "complaints":
		// Every complaint awaiting its final response, whatever the status.
		f.Statuses, f.Complaints = nil, true
	default:
		return f, false, nil
	}
	return f, true, nil
}

func (c *Console) scope(r *http.Request, p *page) (ticket.Scope, error) {
	return c.API.Scope(r.Context(), p.Principal)
}

// nav counts each view's conversations for the tab badges.
func (c *Console) nav(r *http.Request, p *page, scope ticket.Scope) ([]navItem, error) {
	out := make([]navItem, 0, len(views))
	for _, v := range views {
		f, ok, err := c.viewFilter(r.Context(), v, p)
		if err != nil {
			return nil, err
		}
		n := 0
		if ok {
			if n, err = c.Tickets.Count(r.Context(), scope, f); err != nil {
				return nil, err
			}
		}
		out = append(out, navItem{Key: v, Label: p.T("console.view." + v), Count: countLabel(n)})
	}
	return out, nil
}

func countLabel(n int) string {
	if n > ticket.CountCap {
		return strconv.Itoa(ticket.CountCap) + "+"
	}
	return strconv.Itoa(n)
}

// row is one conversation in the inbox table.
type row struct {
	ticket.Conversation
	Customer     string
	VIP          int
	AssigneeName string
	TeamName     string
	Updated      string
	UpdatedISO   string
	StatusLabel  string
	Priority     string
	Due          dueLabel
}

type inboxData struct {
	View   string
	Rows   []row
	Next   string
	Status string
	Hint   string
}

func (c *Console) inbox(w http.ResponseWriter, r *http.Request, p *page) {
	view := r.URL.Query().Get("view")
	if view == "" {
		view = "mine"
	}
	scope, err := c.scope(r, p)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	f, ok, err := c.viewFilter(r.Context(), view, p)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	if st := r.URL.Query().Get("status"); st != "" && view != "at_risk" {
		f.Statuses = []ticket.Status{ticket.Status(st)}
	}
	if before := r.URL.Query().Get("before"); before != "" {
		f.Before, _ = strconv.ParseInt(before, 10, 64)
	}
	f.Limit = 50
	d := &inboxData{View: view, Status: r.URL.Query().Get("status")}
	if view == "at_risk" {
		d.Hint = p.T("console.at_risk_sla_hint", int(DueSoon.Minutes()), int(AtRisk.Minutes()))
	}
	if ok {
		convs, next, err := c.Tickets.List(r.Context(), scope, f)
		if err != nil {
			c.fail(w, r, err)
			return
		}
		dir, err := c.people(r.Context())
		if err != nil {
			c.fail(w, r, err)
			return
		}
		if d.Rows, err = c.rows(r.Context(), p, dir, convs); err != nil {
			c.fail(w, r, err)
			return
		}
		if next > 0 {
			d.Next = strconv.FormatInt(next, 10)
		}
	}
	p.View, p.Data = view, d
	if r.URL.Query().Get("partial") == "1" {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		if err := c.pages["inbox_list"].ExecuteTemplate(w, "list", p); err != nil {
			c.Logger.Error("render", "component", "web", "page", "inbox_list", "err", err)
		}
		return
	}
	if p.Nav, err = c.nav(r, p, scope); err != nil {
		c.fail(w, r, err)
		return
	}
	p.Title = p.T("console.view." + view)
	c.render(w, "inbox", http.StatusOK, p)
}

// counts answers the live badge refresh.
func (c *Console) counts(w http.ResponseWriter, r *http.Request, p *page) {
	scope, err := c.scope(r, p)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	nav, err := c.nav(r, p, scope)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	out := map[string]string{}
	for _, n := range nav {
		out[n.Key] = n.Count
	}
	api.WriteJSON(w, http.StatusOK, out)
}

// people is the desk's agents and teams, read once per page.
type people struct {
	agents []agent.Agent
	teams  []agent.Team
	names  map[int64]string // agent id → name
	teamOf map[int64]string // team id → name
}

func (c *Console) people(ctx context.Context) (*people, error) {
	ags, err := c.Agents.List(ctx)
	if err != nil {
		return nil, err
	}
	ts, err := c.Agents.Teams(ctx)
	if err != nil {
		return nil, err
	}
	p := &people{agents: ags, teams: ts, names: make(map[int64]string, len(ags)), teamOf: make(map[int64]string, len(ts))}
	for _, a := range ags {
		p.names[a.ID] = a.Name
	}
	for _, t := range ts {
		p.teamOf[t.ID] = t.Name
	}
	return p, nil
}

// rows decorates conversations with names, reading their customers in one
// query.
func (c *Console) rows(ctx context.Context, p *page, dir *people, convs []ticket.Conversation) ([]row, error) {
	var ids []int64
	for _, cv := range convs {
		if !slices.Contains(ids, cv.CustomerID) {
			ids = append(ids, cv.CustomerID)
		}
	}
	custs := map[int64]customer.Customer{}
	if len(ids) > 0 {
		list, err := c.Customers.List(ctx, customer.ListFilter{OnlyIDs: ids, Limit: 100})
		if err != nil {
			return nil, err
		}
		for _, cu := range list {
			custs[cu.ID] = cu
		}
	}
	now := c.Now()
	out := make([]row, 0, len(convs))
	for _, cv := range convs {
		cu, ok := custs[cv.CustomerID]
		if !ok {
			cu = customer.Customer{ID: cv.CustomerID}
		}
		// Lists never show a contact address whole: a customer without a
		// name is shown by their masked email.
		out = append(out, row{Conversation: cv, Customer: displayName(trust.MaskCustomer(cu)), VIP: cu.VIPTier,
			AssigneeName: dir.names[cv.AssigneeID], TeamName: dir.teamOf[cv.TeamID],
			Updated: ago(now, cv.UpdatedAt, p.Lang), UpdatedISO: cv.UpdatedAt.UTC().Format(time.RFC3339),
			StatusLabel: i18n.T(p.Lang, "status."+string(cv.Status)), Priority: cv.Priority.String(),
			Due: due(now, cv.SLADueAt, p.Lang)})
	}
	return out, nil
}

func displayName(cu customer.Customer) string {
	switch {
	case cu.Name != "":
		return cu.Name
	case cu.Email != "":
		return cu.Email
	case cu.UID != "":
		return "UID " + cu.UID
	}
	return "#" + strconv.FormatInt(cu.ID, 10)
}

// ago is a short relative time for lists.
func ago(now, t time.Time, lang string) string {
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return i18n.T(lang, "console.just_now")
	case d < time.Hour:
		return i18n.T(lang, "console.minutes_ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return i18n.T(lang, "console.hours_ago", int(d.Hours()))
	}
	return i18n.T(lang, "console.days_ago", int(d.Hours()/24))
}
