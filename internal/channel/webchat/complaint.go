package webchat

import (
	"net/http"

	"vigil/internal/api"
	"vigil/internal/i18n"
	"vigil/internal/ticket"
)

type complaintRequest struct {
	Summary string `json:"summary"`
}

type complaintResponse struct {
	Complaint ticket.Complaint `json:"complaint"`
	Created   bool             `json:"created"`
	// Notice tells the customer, in the conversation's language, what
	// happens next and by when.
	Notice string `json:"notice"`
}

// complaint lets the customer mark their own conversation as a formal
// complaint. Marking it again answers the complaint as it is, so a
// repeated click changes nothing.
func (w *Widget) complaint(rw http.ResponseWriter, r *http.Request) {
	c, ok := w.conversation(rw, r)
	if !ok {
		return
	}
	var req complaintRequest
	if err := api.Decode(rw, r, 8<<10, &req); err != nil {
		api.WriteError(rw, r, w.Logger, err)
		return
	}
	p := api.PrincipalFrom(r.Context())
	k, created, err := w.Tickets.RaiseComplaint(r.Context(), customerScope(r), c.ID,
		ticket.ComplaintInput{ByKind: ticket.ByCustomer, ByID: p.CustomerID, Summary: req.Summary})
	if err != nil {
		api.WriteError(rw, r, w.Logger, err)
		return
	}
	notice := i18n.T(c.Language, "widget.complaint.already")
	if created {
		notice = i18n.T(c.Language, "widget.complaint.done", k.AckDue.Format("2006-01-02"), k.FinalDue.Format("2006-01-02"))
	}
	api.WriteJSON(rw, http.StatusOK, complaintResponse{Complaint: k, Created: created, Notice: notice})
}
