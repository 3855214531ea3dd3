package web

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"vigil/internal/api"
	"vigil/internal/apperr"
	"vigil/internal/auth"
	"vigil/internal/ticket"
)

// complaintPanel is the complaint section of the conversation page.
type complaintPanel struct {
	Shown     bool // a complaint exists
	CanWrite  bool
	Raised    string
	AckDue    dueLabel
	AckAt     string
	FinalDue  dueLabel
	FinalAt   string
	Summary   string
	Overdue   bool
	Templates api.ComplaintTemplates
}

func stampUTC(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

func (c *Console) complaintPanelFor(r *http.Request, p *page, scope ticket.Scope, conv ticket.Conversation) (complaintPanel, error) {
	out := complaintPanel{CanWrite: p.Principal.Can(auth.PermConversationWrite)}
	k, err := c.Tickets.ComplaintOf(r.Context(), scope, conv.ID)
	if apperr.Is(err, apperr.NotFound) {
		return out, nil
	}
	if err != nil {
		return out, err
	}
	now := c.Now()
	out.Shown, out.Summary, out.Overdue = true, k.Summary, k.Overdue != ""
	out.Raised = p.T("console.complaint.raised", stampUTC(k.RaisedAt), p.T("console.complaint.by."+k.RaisedBy))
	if k.AcknowledgedAt != nil {
		out.AckAt = stampUTC(*k.AcknowledgedAt)
	} else if k.FinalAt == nil {
		out.AckDue = due(now, &k.AckDue, p.Lang)
	}
	if k.FinalAt != nil {
		out.FinalAt = stampUTC(*k.FinalAt)
	} else {
		out.FinalDue = due(now, &k.FinalDue, p.Lang)
	}
	out.Templates = c.API.Templates(r, conv, k)
	return out, nil
}

// complaintAction marks the conversation as a complaint or sends the
// final response, then returns to the conversation page.
func (c *Console) complaintAction(w http.ResponseWriter, r *http.Request, p *page) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	back := "/console/conversations/" + r.PathValue("id")
	if err != nil {
		http.NotFound(w, r)
		return
	}
	if !p.Principal.Can(auth.PermConversationWrite) {
		http.Error(w, p.T("auth.forbidden"), http.StatusForbidden)
		return
	}
	scope, err := c.scope(r, p)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	if r.PathValue("step") == "final" {
		_, _, err = c.Tickets.SendFinalResponse(r.Context(), scope, ticket.MessageInput{ConversationID: id,
			AuthorID: p.Principal.AgentID, AuthorName: p.Principal.Name, Body: r.PostFormValue("body")})
	} else {
		_, _, err = c.Tickets.RaiseComplaint(r.Context(), scope, id, ticket.ComplaintInput{ByKind: ticket.ByAgent,
			ByID: p.Principal.AgentID, Summary: r.PostFormValue("summary")})
	}
	if err != nil {
		e, ok := apperr.As(err)
		if !ok || e.Kind == apperr.Internal {
			c.fail(w, r, err)
			return
		}
		http.Redirect(w, r, back+"?complaint_error="+url.QueryEscape(e.Code)+"#complaint", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, back+"#complaint", http.StatusSeeOther)
}
