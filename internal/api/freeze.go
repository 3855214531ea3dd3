package api

import (
	"context"
	"net/http"

	"vigil/internal/ticket"
	"vigil/internal/trust"
)

func (a *API) conversationFreezes(w http.ResponseWriter, r *http.Request) {
	conv, _, ok := a.loadConversation(w, r)
	if !ok || !a.trustReady(w, r) {
		return
	}
	fs, err := a.Trust.Freezes(r.Context(), conv.CustomerID)
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	WriteJSON(w, http.StatusOK, Page[trust.Freeze]{Data: fs})
}

// loadFreeze finds a freeze whose conversation the caller may see; others
// answer 404 as if they did not exist.
func (a *API) loadFreeze(w http.ResponseWriter, r *http.Request) (trust.Freeze, bool) {
	if !a.trustReady(w, r) {
		return trust.Freeze{}, false
	}
	id, err := pathID(r, "id")
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return trust.Freeze{}, false
	}
	f, err := a.Trust.FreezeOf(r.Context(), id)
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return trust.Freeze{}, false
	}
	scope, err := a.scope(r.Context(), PrincipalFrom(r.Context()))
	if err == nil {
		_, err = a.Tickets.ByID(r.Context(), scope, f.ConversationID)
	}
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return trust.Freeze{}, false
	}
	return f, true
}

func (a *API) requestUnfreeze(w http.ResponseWriter, r *http.Request) {
	f, ok := a.loadFreeze(w, r)
	if !ok {
		return
	}
	var in struct {
		Reason string `json:"reason"`
	}
	if err := Decode(w, r, a.MaxBody, &in); err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	got, err := a.Trust.RequestUnfreeze(r.Context(), f.ID, in.Reason)
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	WriteJSON(w, http.StatusOK, got)
}

func (a *API) approveUnfreeze(w http.ResponseWriter, r *http.Request) {
	a.freezeStep(w, r, a.Trust.ApproveUnfreeze)
}

func (a *API) completeUnfreeze(w http.ResponseWriter, r *http.Request) {
	a.freezeStep(w, r, a.Trust.CompleteUnfreeze)
}

// freezeStep loads the {id} freeze the caller may see, applies step to it
// and answers with the freeze after it.
func (a *API) freezeStep(w http.ResponseWriter, r *http.Request, step func(context.Context, int64) (trust.Freeze, error)) {
	f, ok := a.loadFreeze(w, r)
	if !ok {
		return
	}
	got, err := step(r.Context(), f.ID)
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	WriteJSON(w, http.StatusOK, got)
}

func (a *API) freezeAccount(w http.ResponseWriter, r *http.Request) {
	onConversation(a, w, r, http.StatusCreated, func(ctx context.Context, conv ticket.Conversation, in struct {
		Reason string `json:"reason"`
	}) (trust.Freeze, error) {
		res, err := a.Trust.FreezeByAgent(ctx, conv, in.Reason)
		return res.Freeze, err
	})
}
