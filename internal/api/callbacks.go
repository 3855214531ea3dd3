package api

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"vigil/internal/apperr"
	"vigil/internal/auth"
	"vigil/internal/callback"
	"vigil/internal/ticket"
)

func (a *API) callbackRoutes() []Route {
	return []Route{
		{"GET", "/api/v1/callbacks", auth.PermConversationRead, "Phone callback requests, soonest window first", a.listCallbacks},
		{"GET", "/api/v1/callbacks/{id}", auth.PermConversationRead, "One callback request with its calls", a.callback},
		{"POST", "/api/v1/callbacks/{id}/schedule", auth.PermConversationWrite, "Tell the customer my staff ID and the time of the call", a.scheduleCallback},
		{"POST", "/api/v1/callbacks/{id}/call", auth.PermConversationWrite, "Place the call through the SIP trunk", a.placeCall},
		{"POST", "/api/v1/callbacks/{id}/hangup", auth.PermConversationWrite, "Hang up the call in progress", a.hangUp},
		{"POST", "/api/v1/callbacks/{id}/done", auth.PermConversationWrite, "Record the outcome of a call made from a desk phone", a.completeCallback},
	}
}

// CallbackView is a callback as agents read it: the request, its calls,
// and whether a call is on the line now.
type CallbackView struct {
	callback.Callback
	Calls []callback.Call `json:"calls"`
	Live  bool            `json:"live"`
	// ConnectedAt is when the call on the line was answered.
	ConnectedAt *time.Time `json:"connected_at,omitempty"`
}

// callbackCall starts a callback route: the {id} callback's service, the
// caller's scope and id. Unknown ids and other teams' callbacks are 404.
func (a *API) callbackCall(w http.ResponseWriter, r *http.Request) (int64, ticket.Scope, bool) {
	if a.Callbacks == nil {
		WriteError(w, r, a.Logger, apperr.New(apperr.Unavailable, "callback.off", "phone callbacks are not set up"))
		return 0, ticket.Scope{}, false
	}
	id, err := pathID(r, "id")
	if err == nil {
		var scope ticket.Scope
		if scope, err = a.scope(r.Context(), PrincipalFrom(r.Context())); err == nil {
			return id, scope, true
		}
	}
	WriteError(w, r, a.Logger, err)
	return 0, ticket.Scope{}, false
}

func (a *API) listCallbacks(w http.ResponseWriter, r *http.Request) {
	if a.Callbacks == nil {
		WriteJSON(w, http.StatusOK, Page[callback.Callback]{Data: []callback.Callback{}})
		return
	}
	var f callback.Filter
	if v := r.URL.Query().Get("state"); v != "" {
		for _, st := range strings.Split(v, ",") {
			s := callback.State(strings.TrimSpace(st))
			if !slices.Contains([]callback.State{callback.Requested, callback.Scheduled, callback.Calling, callback.Done}, s) {
				WriteError(w, r, a.Logger, apperr.Field("state", "callback.state_invalid", "state must list requested, scheduled, calling or done"))
				return
			}
			f.States = append(f.States, s)
		}
	}
	limit, err := pageLimit(r, 100, 200)
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	f.Limit = limit
	scope, err := a.scope(r.Context(), PrincipalFrom(r.Context()))
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	list, err := a.Callbacks.List(r.Context(), scope, f)
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	WriteJSON(w, http.StatusOK, Page[callback.Callback]{Data: list})
}

func (a *API) callback(w http.ResponseWriter, r *http.Request) {
	id, scope, ok := a.callbackCall(w, r)
	if !ok {
		return
	}
	a.writeCallback(w, r, scope, id, http.StatusOK)
}

func (a *API) writeCallback(w http.ResponseWriter, r *http.Request, scope ticket.Scope, id int64, status int) {
	cb, calls, err := a.Callbacks.ByID(r.Context(), scope, id)
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	v := CallbackView{Callback: cb, Calls: calls}
	v.Live, v.ConnectedAt = a.Callbacks.Live(id)
	WriteJSON(w, status, v)
}

func (a *API) scheduleCallback(w http.ResponseWriter, r *http.Request) {
	id, scope, ok := a.callbackCall(w, r)
	if !ok {
		return
	}
	var in struct {
		CallAt time.Time `json:"call_at"`
	}
	if err := Decode(w, r, a.MaxBody, &in); err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	if in.CallAt.IsZero() {
		WriteError(w, r, a.Logger, apperr.Field("call_at", "callback.call_at_required", "call_at is required (RFC 3339)"))
		return
	}
	if _, err := a.Callbacks.Schedule(r.Context(), scope, id, PrincipalFrom(r.Context()).AgentID, in.CallAt); err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	a.writeCallback(w, r, scope, id, http.StatusOK)
}

func (a *API) placeCall(w http.ResponseWriter, r *http.Request) {
	id, scope, ok := a.callbackCall(w, r)
	if !ok {
		return
	}
	call, err := a.Callbacks.Place(r.Context(), scope, id, PrincipalFrom(r.Context()).AgentID)
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	WriteJSON(w, http.StatusAccepted, call)
}

func (a *API) hangUp(w http.ResponseWriter, r *http.Request) {
	id, scope, ok := a.callbackCall(w, r)
	if !ok {
		return
	}
	if err := a.Callbacks.Hangup(r.Context(), scope, id); err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	w.WriteHeader(http.StatusAccepted)
}

func (a *API) completeCallback(w http.ResponseWriter, r *http.Request) {
	id, scope, ok := a.callbackCall(w, r)
	if !ok {
		return
	}
	var in struct {
		Outcome   callback.Outcome `json:"outcome"`
		Seconds   int              `json:"duration_seconds"`
		Recording string           `json:"recording"`
	}
	if err := Decode(w, r, a.MaxBody, &in); err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	call, err := a.Callbacks.Complete(r.Context(), scope, id, PrincipalFrom(r.Context()).AgentID,
		callback.CompleteInput{Outcome: in.Outcome, Seconds: in.Seconds, Recording: in.Recording})
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	WriteJSON(w, http.StatusCreated, call)
}
