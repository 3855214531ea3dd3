package api

import (
	"net/http"

	"vigil/internal/auth"
	"vigil/internal/webhook"
)

// webhookRoutes are administrators' only: an endpoint receives every
// conversation and message, so registering one is a settings change.
func (a *API) webhookRoutes() []Route {
	return []Route{
		{"GET", "/api/v1/webhooks", auth.PermSettingsManage, "Outgoing webhooks (secrets withheld)", a.listWebhooks},
		{"POST", "/api/v1/webhooks", auth.PermSettingsManage, "Register a webhook; its signing secret is shown once", a.createWebhook},
		{"DELETE", "/api/v1/webhooks/{id}", auth.PermSettingsManage, "Remove a webhook", a.deleteWebhook},
		{"GET", "/api/v1/webhooks/{id}/deliveries", auth.PermSettingsManage, "A webhook's delivery log, newest first", a.webhookDeliveries},
	}
}

func (a *API) listWebhooks(w http.ResponseWriter, r *http.Request) {
	hooks, err := a.Webhooks.List(r.Context())
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	WriteJSON(w, http.StatusOK, Page[webhook.Hook]{Data: hooks})
}

func (a *API) createWebhook(w http.ResponseWriter, r *http.Request) {
	var in webhook.Input
	if err := Decode(w, r, a.MaxBody, &in); err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	h, err := a.Webhooks.Create(r.Context(), PrincipalFrom(r.Context()).AgentID, in)
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	WriteJSON(w, http.StatusCreated, h)
}

func (a *API) deleteWebhook(w http.ResponseWriter, r *http.Request) {
	remove(a, w, r, a.Webhooks.Delete)
}

func (a *API) webhookDeliveries(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	log, err := a.Webhooks.Deliveries(r.Context(), id, 100)
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	WriteJSON(w, http.StatusOK, Page[webhook.Delivery]{Data: log})
}
