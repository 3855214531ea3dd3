package api

import (
	"net/http"

	"vigil/internal/auth"
	"vigil/internal/automation"
)

// automationRoutes: rules change conversations on their own, so only
// administrators keep them.
func (a *API) automationRoutes() []Route {
	return []Route{
		{"GET", "/api/v1/automations", auth.PermSettingsManage, "Automation rules in the order they run", a.listAutomations},
		{"POST", "/api/v1/automations", auth.PermSettingsManage, "Create an automation rule", a.createAutomation},
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
	var rule automation.Rule
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
