package web

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"vigil/internal/api"
	"vigil/internal/apperr"
	"vigil/internal/auth"
	"vigil/internal/i18n"
	"vigil/internal/incident"
)

type incidentsData struct {
	Notice               string
	Active               []consoleIncident
	Severities, Statuses []option
	Features             []option
}

type consoleIncident struct {
	incidentView
	Linked int
}

// incidentsPage lets supervisors declare, update and resolve incidents
// without leaving the console; everything else goes through the API.
func (c *Console) incidentsPage(w http.ResponseWriter, r *http.Request, p *page) {
	c.renderIncidents(w, r, p, http.StatusOK, "")
}

func (c *Console) renderIncidents(w http.ResponseWriter, r *http.Request, p *page, status int, notice string) {
	p.Title, p.View = p.T("incidents.title"), "incidents"
	d := &incidentsData{Notice: notice}
	p.Data = d
	if !c.admit(w, r, p, "incidents", p.Principal.Can(auth.PermIncidentManage), "incidents.managers_only") {
		return
	}
	list, err := c.Incidents.Active(r.Context())
	if err != nil {
		c.fail(w, r, err)
		return
	}
	for _, i := range list {
		ids, err := c.Incidents.Linked(r.Context(), i.ID)
		if err != nil {
			c.fail(w, r, err)
			return
		}
		d.Active = append(d.Active, consoleIncident{incidentView: viewIncident(i, p.Lang), Linked: len(ids)})
	}
	for _, s := range incident.Severities {
		d.Severities = append(d.Severities, option{Value: s, Label: i18n.T(p.Lang, "incident.severity."+s)})
	}
	for _, s := range incident.Statuses[:3] {
		d.Statuses = append(d.Statuses, option{Value: s, Label: i18n.T(p.Lang, "incident.status."+s)})
	}
	features := make([]string, 0, len(incident.Features))
	for f := range incident.Features {
		features = append(features, f)
	}
	slices.Sort(features)
	for _, f := range features {
		d.Features = append(d.Features, option{Value: f, Label: i18n.T(p.Lang, "incident.feature."+f)})
	}
	c.render(w, "incidents", status, p)
}

// incidentAction runs a form's action for a supervisor and shows the page
// again: with the translated error on bad input, nothing lost.
func (c *Console) incidentAction(act func(r *http.Request, p *page) (string, error)) func(http.ResponseWriter, *http.Request, *page) {
	return func(w http.ResponseWriter, r *http.Request, p *page) {
		if !p.Principal.Can(auth.PermIncidentManage) {
			c.renderIncidents(w, r, p, http.StatusForbidden, "")
			return
		}
		notice, err := act(r, p)
		if err != nil {
			status, msg, ok := api.Explain(err, p.Lang)
			if !ok {
				c.fail(w, r, err)
				return
			}
			p.Error = msg
			c.renderIncidents(w, r, p, status, "")
			return
		}
		if notice == "" {
			http.Redirect(w, r, "/console/incidents", http.StatusSeeOther)
			return
		}
		c.renderIncidents(w, r, p, http.StatusOK, notice)
	}
}

func formTexts(r *http.Request, prefix string) map[string]string {
	return map[string]string{"en": r.PostFormValue(prefix + "_en"), "zh": r.PostFormValue(prefix + "_zh")}
}

func words(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '，' })
}

func (c *Console) declareIncident(r *http.Request, p *page) (string, error) {
	_, err := c.Incidents.Declare(r.Context(), p.Agent.ID, incident.Input{Severity: r.PostFormValue("severity"),
		Scope: incident.Scope{Features: r.PostForm["features"], Assets: words(r.PostFormValue("assets")),
			Networks: words(r.PostFormValue("networks")), Regions: words(r.PostFormValue("regions"))},
		Titles: formTexts(r, "title"), Messages: formTexts(r, "message")})
	return "", err
}

func (c *Console) postIncidentUpdate(r *http.Request, p *page) (string, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return "", apperr.NotFoundf("incident.not_found", "incident %q not found", r.PathValue("id"))
	}
	_, err = c.Incidents.PostUpdate(r.Context(), id, p.Agent.ID, incident.UpdateInput{Status: r.PostFormValue("status"), Bodies: formTexts(r, "body")})
	return "", err
}

func (c *Console) resolveIncident(r *http.Request, p *page) (string, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return "", apperr.NotFoundf("incident.not_found", "incident %q not found", r.PathValue("id"))
	}
	res, err := c.Incidents.Resolve(r.Context(), id, p.Agent.ID, p.Agent.Name, incident.ResolveInput{Bodies: formTexts(r, "body"),
		NotifyLinked: r.PostFormValue("notify_linked") != "", SolveLinked: r.PostFormValue("solve_linked") != ""})
	if err != nil {
		return "", err
	}
	return p.T("incidents.resolved_n", res.Notified, res.Solved), nil
}
