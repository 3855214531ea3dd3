package api

import (
	"context"
	"net/http"

	"vigil/internal/agent"
	"vigil/internal/apperr"
)

func (a *API) listAgents(w http.ResponseWriter, r *http.Request) {
	list, err := a.Agents.List(r.Context())
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	WriteJSON(w, http.StatusOK, Page[agent.Agent]{Data: list})
}

type createAgentRequest struct {
	agent.Input
	Password string `json:"password"`
}

func (a *API) createAgent(w http.ResponseWriter, r *http.Request) {
	var req createAgentRequest
	if err := Decode(w, r, a.MaxBody, &req); err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	p := PrincipalFrom(r.Context())
	if req.Role != nil && *req.Role == agent.RoleAdmin && p.Role != "admin" {
		WriteError(w, r, a.Logger, apperr.Forbiddenf("auth.forbidden", "only administrators can create administrators"))
		return
	}
	var created agent.Agent
	err := a.Tx(r.Context(), func(ctx context.Context) error {
		var err error
		if created, err = a.Agents.Create(ctx, req.Input); err != nil {
			return err
		}
		if req.Password != "" {
			return a.Auth.SetPassword(ctx, created.ID, req.Password)
		}
		return nil
	})
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	WriteJSON(w, http.StatusCreated, created)
}

func (a *API) agent(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	ag, err := a.Agents.ByID(r.Context(), id)
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	WriteJSON(w, http.StatusOK, ag)
}

func (a *API) updateAgent(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	var in agent.Input
	if err := Decode(w, r, a.MaxBody, &in); err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	p := PrincipalFrom(r.Context())
	if id == p.AgentID && ((in.Role != nil && *in.Role != agent.Role(p.Role)) || (in.Disabled != nil && *in.Disabled)) {
		WriteError(w, r, a.Logger, apperr.Forbiddenf("agent.self_demotion", "you cannot change your own role or disable yourself; ask another administrator"))
		return
	}
	updated, err := a.Agents.Update(r.Context(), id, in)
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	// A demoted or disabled agent's sessions end now, not at expiry.
	if in.Role != nil || (in.Disabled != nil && *in.Disabled) {
		if err := a.Auth.RevokeSessions(r.Context(), id); err != nil {
			WriteError(w, r, a.Logger, err)
			return
		}
	}
	WriteJSON(w, http.StatusOK, updated)
}

type passwordRequest struct {
	Password string `json:"password"`
}

func (a *API) setAgentPassword(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	var req passwordRequest
	if err := Decode(w, r, a.MaxBody, &req); err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	if _, err := a.Agents.ByID(r.Context(), id); err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	if err := a.Auth.SetPassword(r.Context(), id, req.Password); err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	if err := a.Auth.RevokeSessions(r.Context(), id); err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (a *API) resetAgentTOTP(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	if _, err := a.Agents.ByID(r.Context(), id); err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	if err := a.Auth.DisableTOTP(r.Context(), id); err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (a *API) listTeams(w http.ResponseWriter, r *http.Request) {
	teams, err := a.Agents.Teams(r.Context())
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	WriteJSON(w, http.StatusOK, Page[agent.Team]{Data: teams})
}

type teamRequest struct {
	Name        string `json:"name"`
	Description string `json:"description"`
}

func (a *API) createTeam(w http.ResponseWriter, r *http.Request) {
	var req teamRequest
	if err := Decode(w, r, a.MaxBody, &req); err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	t, err := a.Agents.CreateTeam(r.Context(), req.Name, req.Description)
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	WriteJSON(w, http.StatusCreated, t)
}
