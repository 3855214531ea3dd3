package api

import (
	"context"
	"net/http"

	"vigil/internal/sla"
	"vigil/internal/ticket"
)

func (a *API) listPolicies(w http.ResponseWriter, r *http.Request) { list(a, w, r, a.SLA.Policies) }

func (a *API) createPolicy(w http.ResponseWriter, r *http.Request) {
	save(a, w, r, http.StatusCreated, a.savePolicy)
}

func (a *API) replacePolicy(w http.ResponseWriter, r *http.Request) {
	save(a, w, r, http.StatusOK, a.savePolicy)
}

func (a *API) savePolicy(ctx context.Context, p sla.Policy, id int64) (sla.Policy, error) {
	p.ID = id
	return a.SLA.SavePolicy(ctx, p)
}

func (a *API) deletePolicy(w http.ResponseWriter, r *http.Request) {
	remove(a, w, r, a.SLA.DeletePolicy)
}

func (a *API) listCalendars(w http.ResponseWriter, r *http.Request) { list(a, w, r, a.SLA.Calendars) }

func (a *API) createCalendar(w http.ResponseWriter, r *http.Request) {
	save(a, w, r, http.StatusCreated, a.saveCalendar)
}

func (a *API) replaceCalendar(w http.ResponseWriter, r *http.Request) {
	save(a, w, r, http.StatusOK, a.saveCalendar)
}

func (a *API) saveCalendar(ctx context.Context, c sla.Calendar, id int64) (sla.Calendar, error) {
	c.ID = id
	return a.SLA.SaveCalendar(ctx, c)
}

func (a *API) conversationSLA(w http.ResponseWriter, r *http.Request) {
	conv, _, ok := a.loadConversation(w, r)
	if !ok {
		return
	}
	v, err := a.Tickets.SLAView(r.Context(), conv)
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	WriteJSON(w, http.StatusOK, v)
}

func (a *API) transferConversation(w http.ResponseWriter, r *http.Request) {
	conv, scope, ok := a.loadConversation(w, r)
	if !ok {
		return
	}
	var t ticket.Transfer
	if err := Decode(w, r, a.MaxBody, &t); err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	p := PrincipalFrom(r.Context())
	t.AuthorID, t.AuthorName = p.AgentID, p.Name
	got, err := a.Tickets.Transfer(r.Context(), conv.ID, t)
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	// The caller may no longer see what they handed away.
	if !scope.Allows(got) {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	WriteJSON(w, http.StatusOK, got)
}

func (a *API) listQueues(w http.ResponseWriter, r *http.Request) {
	qs, err := a.Tickets.Queues(r.Context())
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	WriteJSON(w, http.StatusOK, Page[ticket.QueueStat]{Data: qs})
}
