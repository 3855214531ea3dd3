package web

import (
	"net/http"
	"slices"

	"vigil/internal/auth"
	"vigil/internal/incident"
)

type campaignsData struct{ Rows []campaignRow }

type campaignRow struct {
	ID                int64
	Name              string
	Total, Queued     int
	Notified          int
	Delivery, Skipped []countRow
	Receipts          []countRow // the SMS provider's delivery receipts
	Failures          []incident.Failure
}

type countRow struct {
	Label string
	Count int
}

// campaignsPage shows supervisors each campaign's progress: queued,
// delivered, failed with the reason, and who was skipped and why.
func (c *Console) campaignsPage(w http.ResponseWriter, r *http.Request, p *page) {
	p.Title, p.View = p.T("campaigns.title"), "campaigns"
	d := &campaignsData{}
	p.Data = d
	if !c.admit(w, r, p, "campaigns", p.Principal.Can(auth.PermIncidentManage), "incidents.managers_only") {
		return
	}
	list, err := c.Incidents.Campaigns(r.Context())
	if err != nil {
		c.fail(w, r, err)
		return
	}
	for _, cp := range list {
		pr, err := c.Incidents.Progress(r.Context(), cp.ID)
		if err != nil {
			c.fail(w, r, err)
			return
		}
		row := campaignRow{ID: cp.ID, Name: cp.Name, Total: pr.Total, Queued: pr.Queued, Notified: pr.Notified, Failures: pr.Failures}
		row.Delivery = counts(pr.Delivery, p, "campaigns.delivery.")
		row.Skipped = counts(pr.Skipped, p, "campaigns.reason.")
		row.Receipts = counts(pr.Receipts, p, "campaigns.receipt.")
		d.Rows = append(d.Rows, row)
	}
	c.render(w, "campaigns", http.StatusOK, p)
}

func counts(m map[string]int, p *page, prefix string) []countRow {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make([]countRow, 0, len(keys))
	for _, k := range keys {
		out = append(out, countRow{Label: p.T(prefix + k), Count: m[k]})
	}
	return out
}
