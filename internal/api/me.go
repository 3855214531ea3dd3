package api

import (
	"net/http"
	"time"

	"vigil/internal/agent"
	"vigil/internal/apperr"
	"vigil/internal/auth"
)

type loginRequest struct {
	Email        string `json:"email"`
	Password     string `json:"password"`
	TOTPCode     string `json:"totp_code"`
	RecoveryCode string `json:"recovery_code"`
}

type loginResponse struct {
	Agent         agent.Agent `json:"agent"`
	CSRFToken     string      `json:"csrf_token"`
	ExpiresAt     time.Time   `json:"expires_at"`
	MustEnrolTOTP bool        `json:"must_enrol_totp"`
}

func (a *API) login(w http.ResponseWriter, r *http.Request) {
	ip := a.ClientIP(r)
	if a.LoginLimiter != nil && !a.LoginLimiter.Allow("login:"+ip) {
		WriteError(w, r, a.Logger, apperr.New(apperr.TooMany, "auth.rate_limited", "too many sign-in attempts from this address; wait a minute"))
		return
	}
	var req loginRequest
	if err := Decode(w, r, 16<<10, &req); err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	s, err := a.Auth.Login(r.Context(), auth.LoginInput{Email: req.Email, Password: req.Password, TOTPCode: req.TOTPCode,
		RecoveryCode: req.RecoveryCode, IP: ip, UserAgent: r.UserAgent()})
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	ag, err := a.Agents.ByID(r.Context(), s.AgentID)
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	a.SetSessionCookie(w, s.Token, s.ExpiresAt)
	WriteJSON(w, http.StatusOK, loginResponse{Agent: ag, CSRFToken: s.CSRFToken, ExpiresAt: s.ExpiresAt, MustEnrolTOTP: s.MustEnrolTOTP})
}

// SetSessionCookie sets the session cookie: HttpOnly, SameSite=Lax, and
// Secure when Vigil is served over TLS.
func (a *API) SetSessionCookie(w http.ResponseWriter, token string, expires time.Time) {
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: token, Path: "/", Expires: expires,
		HttpOnly: true, Secure: a.SecureCookies, SameSite: http.SameSiteLaxMode})
}

func (a *API) logout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(SessionCookie); err == nil {
		if err := a.Auth.Logout(r.Context(), c.Value); err != nil {
			WriteError(w, r, a.Logger, err)
			return
		}
	}
	a.ClearSessionCookie(w)
	w.WriteHeader(http.StatusNoContent)
}

// ClearSessionCookie tells the browser to drop the session cookie.
func (a *API) ClearSessionCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		Secure: a.SecureCookies, SameSite: http.SameSiteLaxMode})
}

type meResponse struct {
	agent.Agent
	TOTPEnabled   bool `json:"totp_enabled"`
	MustEnrolTOTP bool `json:"must_enrol_totp"`
}

func (a *API) me(w http.ResponseWriter, r *http.Request) {
	p := PrincipalFrom(r.Context())
	ag, err := a.Agents.ByID(r.Context(), p.AgentID)
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	totp, err := a.Auth.TOTPEnabled(r.Context(), p.AgentID)
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	WriteJSON(w, http.StatusOK, meResponse{Agent: ag, TOTPEnabled: totp, MustEnrolTOTP: p.MustEnrolTOTP})
}

type statusRequest struct {
	Status agent.Status `json:"status"`
}

func (a *API) setMyStatus(w http.ResponseWriter, r *http.Request) {
	var req statusRequest
	if err := Decode(w, r, a.MaxBody, &req); err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	if err := a.Agents.SetStatus(r.Context(), PrincipalFrom(r.Context()).AgentID, req.Status); err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (a *API) beginTOTP(w http.ResponseWriter, r *http.Request) {
	p := PrincipalFrom(r.Context())
	ag, err := a.Agents.ByID(r.Context(), p.AgentID)
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	enrol, err := a.Auth.BeginTOTP(r.Context(), p.AgentID, ag.Email)
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	WriteJSON(w, http.StatusOK, map[string]string{"secret": enrol.Secret, "otpauth_url": enrol.URL})
}

type codeRequest struct {
	Code string `json:"code"`
}

func (a *API) confirmTOTP(w http.ResponseWriter, r *http.Request) {
	var req codeRequest
	if err := Decode(w, r, a.MaxBody, &req); err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	codes, err := a.Auth.ConfirmTOTP(r.Context(), PrincipalFrom(r.Context()).AgentID, req.Code)
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	WriteJSON(w, http.StatusOK, map[string]any{"recovery_codes": codes})
}

func (a *API) listTokens(w http.ResponseWriter, r *http.Request) {
	list, err := a.Auth.ListTokens(r.Context(), PrincipalFrom(r.Context()).AgentID)
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	WriteJSON(w, http.StatusOK, Page[auth.Token]{Data: list})
}

type tokenRequest struct {
	Name      string            `json:"name"`
	Scopes    []auth.Permission `json:"scopes"`
	ExpiresAt *time.Time        `json:"expires_at"`
}

func (a *API) createToken(w http.ResponseWriter, r *http.Request) {
	var req tokenRequest
	if err := Decode(w, r, a.MaxBody, &req); err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	p := PrincipalFrom(r.Context())
	if p.TokenID != 0 {
		WriteError(w, r, a.Logger, apperr.Forbiddenf("auth.token_from_token", "API tokens cannot create other tokens; sign in to the console"))
		return
	}
	tok, raw, err := a.Auth.CreateToken(r.Context(), p.AgentID, req.Name, req.Scopes, req.ExpiresAt)
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	WriteJSON(w, http.StatusCreated, map[string]any{"token": tok, "value": raw})
}

func (a *API) revokeToken(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	if err := a.Auth.RevokeToken(r.Context(), PrincipalFrom(r.Context()).AgentID, id); err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
