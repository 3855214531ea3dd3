package api

import (
	"net/http"

	"vigil/internal/apperr"
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
	conv, _, ok := a.loadConversation(w, r)
	if !ok || !a.trustReady(w, r) {
		return
	}
	var in struct {
		Channel string `json:"channel"`
	}
	if err := Decode(w, r, a.MaxBody, &in); err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	pc, err := a.Trust.SendCode(r.Context(), conv, in.Channel)
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	WriteJSON(w, http.StatusCreated, pc)
}

func (a *API) verifyByChecks(w http.ResponseWriter, r *http.Request) {
	conv, _, ok := a.loadConversation(w, r)
	if !ok || !a.trustReady(w, r) {
		return
	}
	var in struct {
		Answers map[string]string `json:"answers"`
	}
	if err := Decode(w, r, a.MaxBody, &in); err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	res, err := a.Trust.VerifyByAgent(r.Context(), conv, in.Answers)
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	WriteJSON(w, http.StatusOK, res)
}

func (a *API) reveal(w http.ResponseWriter, r *http.Request) {
	conv, _, ok := a.loadConversation(w, r)
	if !ok || !a.trustReady(w, r) {
		return
	}
	var in struct {
		Reason string `json:"reason"`
	}
	if err := Decode(w, r, a.MaxBody, &in); err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	m, err := a.Trust.Reveal(r.Context(), conv, in.Reason)
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	WriteJSON(w, http.StatusOK, m)
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
