package api

import (
	"context"
	"net/http"

	"vigil/internal/apperr"
	"vigil/internal/ticket"
	"vigil/internal/trust"
)

// verificationView is a conversation's identity status and what the
// caller may see.
type verificationView struct {
	Status  trust.Status  `json:"status"`
	Masking trust.Masking `json:"masking"`
}

func (a *API) trustReady(w http.ResponseWriter, r *http.Request) bool {
	if a.Trust == nil {
		WriteError(w, r, a.Logger, apperr.New(apperr.Unavailable, "trust.no_exchange", "no exchange is connected"))
		return false
	}
	return true
}

// onConversation runs a trust action on the {id} conversation the caller
// may see: load it, decode In, act, answer status with what fn returns.
func onConversation[In, Out any](a *API, w http.ResponseWriter, r *http.Request, status int,
	fn func(context.Context, ticket.Conversation, In) (Out, error)) {
	conv, _, ok := a.loadConversation(w, r)
	if !ok || !a.trustReady(w, r) {
		return
	}
	var in In
	if err := Decode(w, r, a.MaxBody, &in); err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	out, err := fn(r.Context(), conv, in)
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	WriteJSON(w, status, out)
}

func (a *API) verification(w http.ResponseWriter, r *http.Request) {
	conv, _, ok := a.loadConversation(w, r)
	if !ok || !a.trustReady(w, r) {
		return
	}
	ctx := r.Context()
	st, err := a.Trust.Level(ctx, conv.ID)
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	m, err := a.Trust.Masking(ctx, conv.ID, PrincipalFrom(ctx).AgentID)
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	WriteJSON(w, http.StatusOK, verificationView{Status: st, Masking: m})
}

func (a *API) sendVerificationCode(w http.ResponseWriter, r *http.Request) {
	onConversation(a, w, r, http.StatusCreated, func(ctx context.Context, conv ticket.Conversation, in struct {
		Channel string `json:"channel"`
	}) (trust.PendingCode, error) {
		return a.Trust.SendCode(ctx, conv, in.Channel)
	})
}

func (a *API) verifyByChecks(w http.ResponseWriter, r *http.Request) {
	onConversation(a, w, r, http.StatusOK, func(ctx context.Context, conv ticket.Conversation, in struct {
		Answers map[string]string `json:"answers"`
	}) (trust.CheckResult, error) {
		return a.Trust.VerifyByAgent(ctx, conv, in.Answers)
	})
}

func (a *API) reveal(w http.ResponseWriter, r *http.Request) {
	onConversation(a, w, r, http.StatusOK, func(ctx context.Context, conv ticket.Conversation, in struct {
		Reason string `json:"reason"`
	}) (trust.Masking, error) {
		return a.Trust.Reveal(ctx, conv, in.Reason)
	})
}

func (a *API) conversationAccount(w http.ResponseWriter, r *http.Request) {
	conv, _, ok := a.loadConversation(w, r)
	if !ok || !a.trustReady(w, r) {
		return
	}
	limit, err := pageLimit(r, 10, 50)
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	if err := a.viewProfile(r, conv.CustomerID); err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	v, err := a.Trust.Account(r.Context(), conv, PrincipalFrom(r.Context()).AgentID, limit)
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	WriteJSON(w, http.StatusOK, v)
}

// viewProfile counts a customer profile the caller opens against the
// hourly bulk-access limit.
func (a *API) viewProfile(r *http.Request, customerID int64) error {
	p := PrincipalFrom(r.Context())
	if a.Trust == nil || !p.IsAgent() {
		return nil
	}
	return a.Trust.ViewProfile(r.Context(), p.AgentID, customerID)
}

func (a *API) accessAlerts(w http.ResponseWriter, r *http.Request) {
	if !a.trustReady(w, r) {
		return
	}
	as, err := a.Trust.AccessAlerts(r.Context())
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	WriteJSON(w, http.StatusOK, Page[trust.AccessAlert]{Data: as})
}
