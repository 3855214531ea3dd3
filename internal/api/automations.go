package api

import (
	"net/http"

	"vigil/internal/apperr"
	"vigil/internal/auth"
	"vigil/internal/automation"
)

// automationRoutes: rules change conversations on their own, so only
// administrators keep them.
func (a *API) automationRoutes() []Route {
	return []Route{
		{"GET", "/api/v1/automations", auth.PermSettingsManage, "Automation rules in the order they run", a.listAutomations},
		{"POST", "/api/v1/automations", auth.PermSettingsManage, "Create an automation rule", a.createAutomation},
		{"PATCH", "/api/v1/automations/{id}", auth.PermSettingsManage, "Enable or disable an automation rule", a.updateAutomation},
		{"DELETE", "/api/v1/automations/{id}", auth.PermSettingsManage, "Delete an automation rule", a.deleteAutomation},
	}
}

func (a *API) listAutomations(w http.ResponseWriter, r *http.Request) {
	rules, err := a.Automation.Rules(r.Context())
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	WriteJSON(w, http.StatusOK, Page[automation.Rule]{Data: rules})
}

func (a *API) createAutomation(w http.ResponseWriter, r *http.Request) {
	rule := automation.Rule{Enabled: true} // a missing "enabled" is true
	if err := Decode(w, r, a.MaxBody, &rule); err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	rule.ID = 0
	saved, err := a.Automation.Create(r.Context(), rule)
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	WriteJSON(w, http.StatusCreated, saved)
}

func (a *API) deleteAutomation(w http.ResponseWriter, r *http.Request) {
	remove(a, w, r, a.Automation.Delete)
}

// automationPatch is what PATCH changes; enabled is required.
type automationPatch struct {
	Enabled *bool `json:"enabled"`
}

func (a *API) updateAutomation(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	var p automationPatch
	if err := Decode(w, r, a.MaxBody, &p); err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	if p.Enabled == nil {
		WriteError(w, r, a.Logger, apperr.Field("enabled", "automation.enabled_required", "enabled must be true or false"))
		return
	}
	saved, err := a.Automation.SetEnabled(r.Context(), id, *p.Enabled)
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	WriteJSON(w, http.StatusOK, saved)
}
