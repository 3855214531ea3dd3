package api

import (
	"net/http"
	"time"

	"vigil/internal/apperr"
	"vigil/internal/auth"
	"vigil/internal/incident"
)

// incidentRoutes are the incident and status-page routes: agents read and
// link their own conversations, supervisors declare, update and resolve.
func (a *API) incidentRoutes() []Route {
	return []Route{
		{"GET", "/api/v1/incidents", auth.PermConversationRead, "Open incidents, or resolved ones with state=resolved", a.listIncidents},
		{"POST", "/api/v1/incidents", auth.PermIncidentManage, "Declare an incident", a.declareIncident},
		{"GET", "/api/v1/incidents/{id}", auth.PermConversationRead, "One incident with its updates", a.incident},
		{"PATCH", "/api/v1/incidents/{id}", auth.PermIncidentManage, "Change an open incident's severity, scope or text", a.changeIncident},
		{"POST", "/api/v1/incidents/{id}/updates", auth.PermIncidentManage, "Post a public update on an incident", a.postIncidentUpdate},
		{"POST", "/api/v1/incidents/{id}/resolve", auth.PermIncidentManage, "Resolve with a closing message; optionally answer and solve linked conversations", a.resolveIncident},
		{"GET", "/api/v1/incidents/{id}/conversations", auth.PermIncidentManage, "Conversations linked to an incident", a.incidentConversations},
		{"GET", "/api/v1/conversations/{id}/incidents", auth.PermConversationRead, "Incidents a conversation is linked to", a.conversationIncidents},
		{"POST", "/api/v1/conversations/{id}/incidents", auth.PermConversationWrite, "Link a conversation to an open incident", a.linkIncident},
		{"DELETE", "/api/v1/conversations/{id}/incidents/{incident}", auth.PermConversationWrite, "Unlink a conversation from an incident", a.unlinkIncident},
		{"GET", "/api/v1/status/components", auth.PermConversationRead, "Status-page components and their state", a.listComponents},
		{"PUT", "/api/v1/status/components/{slug}", auth.PermIncidentManage, "Create or change a status-page component", a.saveComponent},
	}
}

func (a *API) listIncidents(w http.ResponseWriter, r *http.Request) {
	var list []incident.Incident
	var err error
	switch r.URL.Query().Get("state") {
	case "", "active":
		list, err = a.Incidents.Active(r.Context())
	case "resolved":
		list, err = a.Incidents.History(r.Context(), a.now().Add(-90*24*time.Hour))
	default:
		err = apperr.Field("state", "incident.state_filter_invalid", "state must be active or resolved")
	}
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	WriteJSON(w, http.StatusOK, Page[incident.Incident]{Data: list})
}

func (a *API) declareIncident(w http.ResponseWriter, r *http.Request) {
	var in incident.Input
	if err := Decode(w, r, a.MaxBody, &in); err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	i, err := a.Incidents.Declare(r.Context(), PrincipalFrom(r.Context()).AgentID, in)
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	WriteJSON(w, http.StatusCreated, i)
}

func (a *API) incident(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	i, err := a.Incidents.ByID(r.Context(), id)
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	WriteJSON(w, http.StatusOK, i)
}

func (a *API) changeIncident(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	var in incident.Input
	if err := Decode(w, r, a.MaxBody, &in); err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	i, err := a.Incidents.Change(r.Context(), id, in)
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	WriteJSON(w, http.StatusOK, i)
}

func (a *API) postIncidentUpdate(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	var in incident.UpdateInput
	if err := Decode(w, r, a.MaxBody, &in); err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	u, err := a.Incidents.PostUpdate(r.Context(), id, PrincipalFrom(r.Context()).AgentID, in)
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	WriteJSON(w, http.StatusCreated, u)
}

func (a *API) resolveIncident(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	var in incident.ResolveInput
	if err := Decode(w, r, a.MaxBody, &in); err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	p := PrincipalFrom(r.Context())
	res, err := a.Incidents.Resolve(r.Context(), id, p.AgentID, p.Name, in)
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	WriteJSON(w, http.StatusOK, res)
}

func (a *API) incidentConversations(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	if _, err := a.Incidents.ByID(r.Context(), id); err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	ids, err := a.Incidents.Linked(r.Context(), id)
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	WriteJSON(w, http.StatusOK, Page[int64]{Data: ids})
}

func (a *API) conversationIncidents(w http.ResponseWriter, r *http.Request) {
	conv, _, ok := a.loadConversation(w, r)
	if !ok {
		return
	}
	list, err := a.Incidents.Of(r.Context(), conv.ID)
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	WriteJSON(w, http.StatusOK, Page[incident.Incident]{Data: list})
}

func (a *API) linkIncident(w http.ResponseWriter, r *http.Request) {
	conv, _, ok := a.loadConversation(w, r)
	if !ok {
		return
	}
	var in struct {
		IncidentID int64 `json:"incident_id"`
	}
	if err := Decode(w, r, a.MaxBody, &in); err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	if in.IncidentID <= 0 {
		WriteError(w, r, a.Logger, apperr.Field("incident_id", "incident.id_required", "incident_id is required"))
		return
	}
	if _, err := a.Incidents.Link(r.Context(), in.IncidentID, conv.ID, PrincipalFrom(r.Context()).AgentID); err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (a *API) unlinkIncident(w http.ResponseWriter, r *http.Request) {
	conv, _, ok := a.loadConversation(w, r)
	if !ok {
		return
	}
	id, err := pathID(r, "incident")
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	if err := a.Incidents.Unlink(r.Context(), id, conv.ID); err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (a *API) listComponents(w http.ResponseWriter, r *http.Request) {
	list, err := a.Incidents.Components(r.Context())
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	WriteJSON(w, http.StatusOK, Page[incident.Component]{Data: list})
}

func (a *API) saveComponent(w http.ResponseWriter, r *http.Request) {
	var in incident.ComponentInput
	if err := Decode(w, r, a.MaxBody, &in); err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	in.Slug = r.PathValue("slug")
	c, err := a.Incidents.SaveComponent(r.Context(), in)
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	WriteJSON(w, http.StatusOK, c)
}
