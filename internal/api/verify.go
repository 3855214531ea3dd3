package api

import (
	"net/http"

	"vigil/internal/apperr"
	"vigil/internal/i18n"
	"vigil/internal/trust"
)

// limited spends one of the caller's tokens on a public route.
func (a *API) limited(w http.ResponseWriter, r *http.Request, l interface{ Allow(string) bool }, key string) bool {
	if l != nil && !l.Allow(key+":"+a.ClientIP(r)) {
		WriteError(w, r, a.Logger, apperr.New(apperr.TooMany, "verify.rate_limited", "too many checks from this address; wait a minute"))
		return false
	}
	return true
}

func (a *API) verifyChannel(w http.ResponseWriter, r *http.Request) {
	if !a.trustReady(w, r) || !a.limited(w, r, a.VerifyLimiter, "verify") {
		return
	}
	ans, err := a.Trust.Verify(r.Context(), r.URL.Query().Get("q"))
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	WriteJSON(w, http.StatusOK, ans)
}

func (a *API) reportImpersonation(w http.ResponseWriter, r *http.Request) {
	if !a.trustReady(w, r) || !a.limited(w, r, a.ReportLimiter, "report") {
		return
	}
	var in struct {
		Query   string `json:"q"`
		Email   string `json:"email"`
		Details string `json:"details"`
	}
	if err := Decode(w, r, a.MaxBody, &in); err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	id, err := a.Trust.ReportImpersonation(r.Context(), trust.Report{Query: in.Query, Email: in.Email, Details: in.Details,
		Language: i18n.Negotiate(r.Header.Get("Accept-Language"))})
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	WriteJSON(w, http.StatusCreated, map[string]int64{"conversation_id": id})
}

func (a *API) listOfficials(w http.ResponseWriter, r *http.Request) {
	if !a.trustReady(w, r) {
		return
	}
	os, err := a.Trust.Officials(r.Context())
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	WriteJSON(w, http.StatusOK, Page[trust.Official]{Data: os})
}

func (a *API) addOfficial(w http.ResponseWriter, r *http.Request) {
	if !a.trustReady(w, r) {
		return
	}
	var in struct {
		Kind  string `json:"kind"`
		Value string `json:"value"`
		Note  string `json:"note"`
	}
	if err := Decode(w, r, a.MaxBody, &in); err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	o, err := a.Trust.AddOfficial(r.Context(), in.Kind, in.Value, in.Note)
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	WriteJSON(w, http.StatusCreated, o)
}

func (a *API) retireOfficial(w http.ResponseWriter, r *http.Request) {
	if !a.trustReady(w, r) {
		return
	}
	id, err := pathID(r, "id")
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	o, err := a.Trust.RetireOfficial(r.Context(), id)
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	WriteJSON(w, http.StatusOK, o)
}
