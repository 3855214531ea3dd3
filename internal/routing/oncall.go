package routing

import (
	"context"
	"fmt"
	"slices"

	"vigil/internal/agent"
	"vigil/internal/apperr"
	"vigil/internal/event"
	"vigil/internal/i18n"
	"vigil/internal/ticket"
)

// SecurityCategories are the categories whose urgent conversations page
// the on-call supervisor when nobody is scheduled to answer them.
var SecurityCategories = []string{"account_security", "2fa"}

// Page notifies on-call supervisors about an urgent security conversation
// that arrived when nobody is scheduled: the conversation's team, or every
// team with an on-call rota when it has none yet. A team with someone
// online is not paged: routing reaches them. The page is an internal note
// on the conversation (so it is on record) and a live alert to the
// supervisor's console.
func (r *Router) Page(ctx context.Context, e event.ConversationCreated) error {
	if e.Priority != ticket.Urgent.String() || !slices.Contains(SecurityCategories, e.Category) {
		return nil
	}
	now := r.now()
	teams := []int64{e.TeamID}
	if e.TeamID == 0 {
		all, err := r.agents.Teams(ctx)
		if err != nil {
			return err
		}
		teams = teams[:0]
		for _, t := range all {
			teams = append(teams, t.ID)
		}
	}
	online, err := r.onlineByTeam(ctx)
	if err != nil {
		return err
	}
	for _, team := range teams {
		if online[team] {
			continue
		}
		scheduled, err := r.agents.ScheduledAt(ctx, team, now)
		if err != nil {
			return err
		}
		if len(scheduled) > 0 {
			continue
		}
		sup, err := r.agents.OnCall(ctx, team, now)
		if apperr.Is(err, apperr.NotFound) {
			continue // no rota for this team
		}
		if err != nil {
			return err
		}
		t, err := r.agents.Team(ctx, team)
		if err != nil {
			return err
		}
		// Every agent reads the note, so it is written in both languages.
		body := i18n.T("en", "oncall.paged_note", t.Name, sup.Name) + "\n" + i18n.T("zh", "oncall.paged_note", t.Name, sup.Name)
		// Every instance hears the event; the external id lets one page.
		_, created, err := r.tickets.AddMessageOnce(ctx, ticket.MessageInput{ConversationID: e.ConversationID, AuthorKind: ticket.BySystem,
			Internal: true, Body: body, ExternalID: fmt.Sprintf("oncall:%d", team)})
		if err != nil {
			return err
		}
		if !created {
			continue
		}
		paged := event.OnCallPaged{Scope: e.Scope, AgentID: sup.ID, TeamID: team, Category: e.Category, At: now}
		r.bus.Publish(ctx, paged)
		r.log.Info("on-call supervisor paged", "conversation", e.ConversationID, "team", team, "agent", sup.ID)
	}
	return nil
}

func (r *Router) onlineByTeam(ctx context.Context) (map[int64]bool, error) {
	ags, err := r.agents.List(ctx)
	if err != nil {
		return nil, err
	}
	out := map[int64]bool{}
	for _, a := range ags {
		if a.Status == agent.Online && !a.Disabled {
			for _, t := range a.Teams {
				out[t] = true
			}
		}
	}
	return out, nil
}
