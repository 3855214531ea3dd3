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
		{"PATCH", "/api/v1/automations/{id}", auth.PermSettingsManage, "Change, enable or disable an automation rule", a.updateAutomation},
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

// automationPatch is what PATCH changes: each field sent replaces the
// rule's; a rule moved off the idle trigger loses its idle settings.
type automationPatch struct {
	Name       *string                 `json:"name"`
	On         *string                 `json:"on"`
	Conditions *[]automation.Condition `json:"conditions"`
	Actions    *automation.Actions     `json:"actions"`
	Idle       *automation.Idle        `json:"idle"`
	Position   *int                    `json:"position"`
	Enabled    *bool                   `json:"enabled"`
}

func (p automationPatch) apply(r *automation.Rule) bool {
	changed := p.Name != nil || p.On != nil || p.Conditions != nil || p.Actions != nil || p.Idle != nil || p.Position != nil
	if p.Name != nil {
		r.Name = *p.Name
	}
	if p.On != nil {
		r.On = *p.On
		if r.On != automation.OnIdle && p.Idle == nil {
			r.Idle = nil
		}
	}
	if p.Conditions != nil {
		r.Conditions = *p.Conditions
	}
	if p.Actions != nil {
		r.Actions = *p.Actions
	}
	if p.Idle != nil {
		r.Idle = p.Idle
	}
	if p.Position != nil {
		r.Position = *p.Position
	}
	return changed
}

// updateAutomation changes the fields sent, checked as on create, and
// enables or disables the rule when "enabled" is sent, in one transaction.
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
	rule, err := a.Automation.Patch(r.Context(), id, p.apply, p.Enabled)
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	WriteJSON(w, http.StatusOK, rule)
}
