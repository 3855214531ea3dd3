package api

import (
	"net/http"

	"vigil/internal/auth"
	"vigil/internal/macro"
)

// macroRoutes: every agent keeps personal macros and applies what they
// see; team and global macros need canned:manage, checked in the service.
func (a *API) macroRoutes() []Route {
	return []Route{
		{"GET", "/api/v1/macros", auth.PermConversationRead, "Macros I may apply: mine, my teams' and the global ones", a.listMacros},
		{"POST", "/api/v1/macros", auth.PermConversationWrite, "Create a macro (team and global ones need canned:manage)", a.createMacro},
		{"PUT", "/api/v1/macros/{id}", auth.PermConversationWrite, "Replace a macro", a.replaceMacro},
		{"DELETE", "/api/v1/macros/{id}", auth.PermConversationWrite, "Delete a macro", a.deleteMacro},
		{"POST", "/api/v1/conversations/{id}/macros/{macro_id}", auth.PermConversationWrite, "Apply a macro: its reply and field changes in one step", a.applyMacro},
	}
}

// MacroCaller describes the caller to the macro service.
func (a *API) MacroCaller(r *http.Request) (macro.Caller, error) {
	p := PrincipalFrom(r.Context())
	teams, err := a.Agents.TeamIDs(r.Context(), p.AgentID)
	return macro.Caller{AgentID: p.AgentID, Name: p.Name, TeamIDs: teams, Manage: p.Can(auth.PermCannedManage)}, err
}

func (a *API) listMacros(w http.ResponseWriter, r *http.Request) {
	c, err := a.MacroCaller(r)
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	ms, err := a.Macros.List(r.Context(), c)
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	WriteJSON(w, http.StatusOK, Page[macro.Macro]{Data: ms})
}

func (a *API) createMacro(w http.ResponseWriter, r *http.Request) {
	a.saveMacro(w, r, 0, http.StatusCreated)
}

func (a *API) replaceMacro(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	a.saveMacro(w, r, id, http.StatusOK)
}

func (a *API) saveMacro(w http.ResponseWriter, r *http.Request, id int64, status int) {
	var m macro.Macro
	if err := Decode(w, r, a.MaxBody, &m); err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	c, err := a.MacroCaller(r)
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	m.ID = id
	saved, err := a.Macros.Save(r.Context(), c, m)
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	WriteJSON(w, status, saved)
}

func (a *API) deleteMacro(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	c, err := a.MacroCaller(r)
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	if err := a.Macros.Delete(r.Context(), c, id); err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (a *API) applyMacro(w http.ResponseWriter, r *http.Request) {
	conv, scope, ok := a.loadConversation(w, r)
	if !ok {
		return
	}
	id, err := pathID(r, "macro_id")
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	c, err := a.MacroCaller(r)
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	res, err := a.Macros.Apply(r.Context(), c, scope, id, conv.ID)
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	WriteJSON(w, http.StatusOK, res)
}
