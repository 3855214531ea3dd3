package web

import (
	"context"
	"net/http"
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
	c.conversationForm(w, r, p, "#complaint", "complaint_error", func(ctx context.Context, scope ticket.Scope, id int64) error {
		var err error
		if r.PathValue("step") == "final" {
			_, _, err = c.Tickets.SendFinalResponse(ctx, scope, ticket.MessageInput{ConversationID: id,
				AuthorID: p.Principal.AgentID, AuthorName: p.Principal.Name, Body: r.PostFormValue("body")})
		} else {
			_, _, err = c.Tickets.RaiseComplaint(ctx, scope, id, ticket.ComplaintInput{ByKind: ticket.ByAgent,
				ByID: p.Principal.AgentID, Summary: r.PostFormValue("summary")})
		}
		return err
	})
}
