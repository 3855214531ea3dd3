package api

import (
	"net/http"

	"vigil/internal/auth"
	"vigil/internal/exchange"
	"vigil/internal/incident"
)

// campaignRoutes are the outreach routes; supervisors run campaigns.
func (a *API) campaignRoutes() []Route {
	return []Route{
		{"GET", "/api/v1/campaigns", auth.PermIncidentManage, "Outreach campaigns, newest first", a.listCampaigns},
		{"POST", "/api/v1/campaigns", auth.PermIncidentManage, "Create an outreach campaign", a.createCampaign},
		{"GET", "/api/v1/campaigns/{id}", auth.PermIncidentManage, "A campaign's progress: queued, skipped, delivery, failures", a.campaignProgress},
		{"POST", "/api/v1/campaigns/{id}/recipients", auth.PermIncidentManage, "Add customers by exchange UID, or those an exchange query finds", a.addRecipients},
		{"POST", "/api/v1/customers/{id}/outreach-opt-out", auth.PermIncidentManage, "Stop outreach to a customer", a.optOut},
	}
}

func (a *API) listCampaigns(w http.ResponseWriter, r *http.Request) {
	list, err := a.Incidents.Campaigns(r.Context())
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	WriteJSON(w, http.StatusOK, Page[incident.Campaign]{Data: list})
}

func (a *API) createCampaign(w http.ResponseWriter, r *http.Request) {
	var in incident.CampaignInput
	if err := Decode(w, r, a.MaxBody, &in); err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	c, err := a.Incidents.CreateCampaign(r.Context(), PrincipalFrom(r.Context()).AgentID, in)
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	WriteJSON(w, http.StatusCreated, c)
}

func (a *API) campaignProgress(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	p, err := a.Incidents.Progress(r.Context(), id)
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	WriteJSON(w, http.StatusOK, p)
}

func (a *API) addRecipients(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	var in struct {
		UIDs  []string `json:"uids"`
		Query *struct {
			Feature string `json:"feature"`
			Asset   string `json:"asset"`
			Network string `json:"network"`
		} `json:"query"`
	}
	if err := Decode(w, r, a.MaxBody, &in); err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	var added incident.Added
	if q := in.Query; q != nil && len(in.UIDs) == 0 {
		added, err = a.Incidents.AddAffected(r.Context(), id, exchange.AffectedQuery{Feature: q.Feature, Asset: q.Asset, Network: q.Network})
	} else {
		added, err = a.Incidents.AddRecipients(r.Context(), id, in.UIDs)
	}
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	WriteJSON(w, http.StatusOK, added)
}

func (a *API) optOut(w http.ResponseWriter, r *http.Request) {
	remove(a, w, r, a.Incidents.OptOut)
}
