package api

import (
	"context"
	"net/http"
	"slices"
	"time"

	"vigil/internal/agent"
	"vigil/internal/apperr"
	"vigil/internal/auth"
)

// SeesTeam checks that the caller may read a team's schedule: supervisors
// and administrators see every team, agents their own. The team must
// exist either way.
func (a *API) SeesTeam(ctx context.Context, p auth.Principal, teamID int64) error {
	if _, err := a.Agents.Team(ctx, teamID); err != nil {
		return err
	}
	if p.SeesAllTeams() {
		return nil
	}
	teams, err := a.Agents.TeamIDs(ctx, p.AgentID)
	if err != nil {
		return err
	}
	if !slices.Contains(teams, teamID) {
		return apperr.Forbiddenf("shift.team_forbidden", "you can read the schedule of your own teams only")
	}
	return nil
}

// teamParam reads {id} as a team the caller may read.
func (a *API) teamParam(r *http.Request) (int64, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return 0, err
	}
	return id, a.SeesTeam(r.Context(), PrincipalFrom(r.Context()), id)
}

func (a *API) listShifts(w http.ResponseWriter, r *http.Request) {
	team, err := a.teamParam(r)
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	list, err := a.Agents.Shifts(r.Context(), team)
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	WriteJSON(w, http.StatusOK, Page[agent.Shift]{Data: list})
}

func (a *API) createShift(w http.ResponseWriter, r *http.Request) {
	save(a, w, r, http.StatusCreated, func(ctx context.Context, in agent.ShiftInput, team int64) (agent.Shift, error) {
		return a.Agents.CreateShift(ctx, team, in)
	})
}

func (a *API) updateShift(w http.ResponseWriter, r *http.Request) {
	save(a, w, r, http.StatusOK, func(ctx context.Context, in agent.ShiftInput, id int64) (agent.Shift, error) {
		return a.Agents.UpdateShift(ctx, id, in)
	})
}

func (a *API) deleteShift(w http.ResponseWriter, r *http.Request) {
	remove(a, w, r, a.Agents.DeleteShift)
}

func (a *API) listExceptions(w http.ResponseWriter, r *http.Request) {
	team, err := a.teamParam(r)
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	since := r.URL.Query().Get("since")
	if since != "" {
		if _, err := time.Parse("2006-01-02", since); err != nil {
			WriteError(w, r, a.Logger, apperr.Field("since", "shift.day_invalid", "must be a date like 2026-12-24"))
			return
		}
	}
	list, err := a.Agents.Exceptions(r.Context(), team, since)
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	WriteJSON(w, http.StatusOK, Page[agent.Exception]{Data: list})
}

func (a *API) createException(w http.ResponseWriter, r *http.Request) {
	save(a, w, r, http.StatusCreated, func(ctx context.Context, in agent.ExceptionInput, team int64) (agent.Exception, error) {
		return a.Agents.CreateException(ctx, team, in)
	})
}

func (a *API) updateException(w http.ResponseWriter, r *http.Request) {
	save(a, w, r, http.StatusOK, func(ctx context.Context, in agent.ExceptionInput, id int64) (agent.Exception, error) {
		return a.Agents.UpdateException(ctx, id, in)
	})
}

func (a *API) deleteException(w http.ResponseWriter, r *http.Request) {
	remove(a, w, r, a.Agents.DeleteException)
}

// onCallResponse is the rota and the supervisor it names now; OnCall is
// null when nobody in the rota can be called.
type onCallResponse struct {
	Rota   agent.Rota   `json:"rota"`
	OnCall *agent.Agent `json:"on_call"`
}

func (a *API) onCall(w http.ResponseWriter, r *http.Request) {
	team, err := a.teamParam(r)
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	a.writeOnCall(w, r, team, http.StatusOK)
}

func (a *API) writeOnCall(w http.ResponseWriter, r *http.Request, team int64, status int) {
	rota, err := a.Agents.Rota(r.Context(), team)
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	resp := onCallResponse{Rota: rota}
	switch who, err := a.Agents.OnCall(r.Context(), team, a.now()); {
	case err == nil:
		resp.OnCall = &who
	case apperr.KindOf(err) != apperr.NotFound:
		WriteError(w, r, a.Logger, err)
		return
	}
	WriteJSON(w, status, resp)
}

func (a *API) setOnCall(w http.ResponseWriter, r *http.Request) {
	team, err := pathID(r, "id")
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	var in agent.Rota
	if err := Decode(w, r, a.MaxBody, &in); err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	if _, err := a.Agents.SetRota(r.Context(), team, in); err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	a.writeOnCall(w, r, team, http.StatusOK)
}
