package api

import (
	"net/http"

	"vigil/internal/sla"
	"vigil/internal/ticket"
)

func (a *API) listPolicies(w http.ResponseWriter, r *http.Request) {
	ps, err := a.SLA.Policies(r.Context())
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	WriteJSON(w, http.StatusOK, Page[sla.Policy]{Data: ps})
}

func (a *API) createPolicy(w http.ResponseWriter, r *http.Request) {
	a.savePolicy(w, r, 0, http.StatusCreated)
}

func (a *API) replacePolicy(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	a.savePolicy(w, r, id, http.StatusOK)
}

func (a *API) savePolicy(w http.ResponseWriter, r *http.Request, id int64, status int) {
	var p sla.Policy
	if err := Decode(w, r, a.MaxBody, &p); err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	p.ID = id
	saved, err := a.SLA.SavePolicy(r.Context(), p)
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	WriteJSON(w, status, saved)
}

func (a *API) deletePolicy(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	if err := a.SLA.DeletePolicy(r.Context(), id); err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (a *API) listCalendars(w http.ResponseWriter, r *http.Request) {
	cs, err := a.SLA.Calendars(r.Context())
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	WriteJSON(w, http.StatusOK, Page[sla.Calendar]{Data: cs})
}

func (a *API) createCalendar(w http.ResponseWriter, r *http.Request) {
	a.saveCalendar(w, r, 0, http.StatusCreated)
}

func (a *API) replaceCalendar(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	a.saveCalendar(w, r, id, http.StatusOK)
}

func (a *API) saveCalendar(w http.ResponseWriter, r *http.Request, id int64, status int) {
	var c sla.Calendar
	if err := Decode(w, r, a.MaxBody, &c); err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	c.ID = id
	saved, err := a.SLA.SaveCalendar(r.Context(), c)
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	WriteJSON(w, status, saved)
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
