package api

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strconv"

	"vigil/internal/apperr"
	"vigil/internal/auth"
	"vigil/internal/compliance"
	"vigil/internal/i18n"
	"vigil/internal/ticket"
)

// complianceRoutes are complaints (agents, on the conversations they
// see) and legal holds, data-subject requests and retention
// (administrators).
func (a *API) complianceRoutes() []Route {
	return []Route{
		{"GET", "/api/v1/complaints", auth.PermConversationRead, "Complaints on conversations I can see, newest first", a.listComplaints},
		{"POST", "/api/v1/conversations/{id}/complaint", auth.PermConversationWrite, "Mark a conversation as a complaint and start its clocks", a.raiseComplaint},
		{"GET", "/api/v1/conversations/{id}/complaint", auth.PermConversationRead, "A conversation's complaint, its deadlines and the reply templates", a.complaint},
		{"POST", "/api/v1/conversations/{id}/complaint/final-response", auth.PermConversationWrite, "Send the final response, which stops the complaint's clocks", a.finalResponse},
		{"GET", "/api/v1/legal-holds", auth.PermComplianceManage, "Customers under legal hold", a.listHolds},
		{"PUT", "/api/v1/customers/{id}/legal-hold", auth.PermComplianceManage, "Place a customer under legal hold", a.placeHold},
		{"DELETE", "/api/v1/customers/{id}/legal-hold", auth.PermComplianceManage, "Lift a customer's legal hold", a.liftHold},
		{"GET", "/api/v1/customers/{id}/export", auth.PermComplianceManage, "Everything held about a customer, as a zip of JSON and files", a.exportCustomer},
		{"POST", "/api/v1/customers/{id}/erase", auth.PermComplianceManage, "Erase a customer's personal data (refused under legal hold)", a.eraseCustomer},
		{"GET", "/api/v1/retention", auth.PermComplianceManage, "How long each kind of data is kept", a.retentionPolicy},
		{"POST", "/api/v1/retention/run", auth.PermComplianceManage, "Run retention now", a.runRetention},
	}
}

func (a *API) listComplaints(w http.ResponseWriter, r *http.Request) {
	scope, err := a.scope(r.Context(), PrincipalFrom(r.Context()))
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	f := ticket.ComplaintFilter{}
	switch r.URL.Query().Get("state") {
	case "", "open":
		f.Open = true
	case "all":
	default:
		WriteError(w, r, a.Logger, apperr.Field("state", "complaint.state_filter_invalid", "state must be open or all"))
		return
	}
	if f.Before, err = queryInt(r, "cursor"); err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	if f.Limit, err = pageLimit(r, 50, 200); err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	list, next, err := a.Tickets.Complaints(r.Context(), scope, f)
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	WriteJSON(w, http.StatusOK, Page[ticket.Complaint]{Data: list, NextCursor: cursor(next)})
}

type raiseComplaintRequest struct {
	Summary string `json:"summary"`
}

func (a *API) raiseComplaint(w http.ResponseWriter, r *http.Request) {
	conv, scope, ok := a.loadConversation(w, r)
	if !ok {
		return
	}
	var req raiseComplaintRequest
	if err := Decode(w, r, a.MaxBody, &req); err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	k, created, err := a.Tickets.RaiseComplaint(r.Context(), scope, conv.ID,
		ticket.ComplaintInput{ByKind: ticket.ByAgent, ByID: PrincipalFrom(r.Context()).AgentID, Summary: req.Summary})
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	WriteJSON(w, status, k)
}

// ComplaintTemplates are the standard texts, in the conversation's
// language, an agent starts the acknowledgement and final response from.
type ComplaintTemplates struct {
	Acknowledgement string `json:"acknowledgement"`
	FinalResponse   string `json:"final_response"`
}

type complaintView struct {
	ticket.Complaint
	Templates ComplaintTemplates `json:"templates"`
}

// Templates fills the complaint templates for a conversation.
func (a *API) Templates(r *http.Request, conv ticket.Conversation, k ticket.Complaint) ComplaintTemplates {
	name := ""
	if c, err := a.Customers.ByID(r.Context(), conv.CustomerID); err == nil {
		name = c.Name
	}
	if name == "" {
		name = i18n.T(conv.Language, "complaint.template.customer")
	}
	ref := strconv.FormatInt(conv.ID, 10)
	due := k.FinalDue.UTC().Format("2006-01-02")
	return ComplaintTemplates{
		Acknowledgement: i18n.T(conv.Language, "complaint.template.ack", name, ref, due),
		FinalResponse:   i18n.T(conv.Language, "complaint.template.final", name, ref, PrincipalFrom(r.Context()).Name),
	}
}

func (a *API) complaint(w http.ResponseWriter, r *http.Request) {
	conv, scope, ok := a.loadConversation(w, r)
	if !ok {
		return
	}
	k, err := a.Tickets.ComplaintOf(r.Context(), scope, conv.ID)
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	WriteJSON(w, http.StatusOK, complaintView{Complaint: k, Templates: a.Templates(r, conv, k)})
}

type finalResponseRequest struct {
	Body        string  `json:"body"`
	Attachments []int64 `json:"attachments"`
}

type finalResponseAnswer struct {
	Message   ticket.Message   `json:"message"`
	Complaint ticket.Complaint `json:"complaint"`
}

func (a *API) finalResponse(w http.ResponseWriter, r *http.Request) {
	conv, scope, ok := a.loadConversation(w, r)
	if !ok {
		return
	}
	var req finalResponseRequest
	if err := Decode(w, r, a.MaxBody, &req); err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	p := PrincipalFrom(r.Context())
	m, k, err := a.Tickets.SendFinalResponse(r.Context(), scope, ticket.MessageInput{ConversationID: conv.ID, AuthorID: p.AgentID,
		AuthorName: p.Name, Body: req.Body, AttachmentIDs: req.Attachments})
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	WriteJSON(w, http.StatusCreated, finalResponseAnswer{Message: m, Complaint: k})
}

func (a *API) listHolds(w http.ResponseWriter, r *http.Request) {
	list(a, w, r, a.Compliance.Holds)
}

type holdRequest struct {
	Reason string `json:"reason"`
}

func (a *API) placeHold(w http.ResponseWriter, r *http.Request) {
	save(a, w, r, http.StatusOK, func(ctx context.Context, in holdRequest, id int64) (compliance.Hold, error) {
		return a.Compliance.PlaceHold(ctx, id, PrincipalFrom(ctx).AgentID, in.Reason)
	})
}

func (a *API) liftHold(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err == nil {
		err = a.Compliance.LiftHold(r.Context(), id)
	}
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (a *API) exportCustomer(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	// Built in memory first, so a failure answers an error, not half a zip.
	var buf bytes.Buffer
	if err := a.Compliance.Export(r.Context(), id, &buf); err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="customer-%d.zip"`, id))
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(buf.Bytes())
}

type eraseRequest struct {
	// Confirm must repeat the customer's id, so a mistyped path cannot
	// erase someone else.
	Confirm int64 `json:"confirm"`
}

func (a *API) eraseCustomer(w http.ResponseWriter, r *http.Request) {
	save(a, w, r, http.StatusOK, func(ctx context.Context, in eraseRequest, id int64) (compliance.Erasure, error) {
		if in.Confirm != id {
			return compliance.Erasure{}, apperr.Field("confirm", "erase.confirm", "repeat the customer's id (%d) in confirm", id)
		}
		return a.Compliance.Erase(ctx, id)
	})
}

func (a *API) retentionPolicy(w http.ResponseWriter, r *http.Request) {
	WriteJSON(w, http.StatusOK, retentionAnswer(a.Compliance.Policy()))
}

// RetentionPolicy is the retention in force, in days (0: kept for ever).
type RetentionPolicy struct {
	MessagesDays    int `json:"messages_days"`
	AttachmentsDays int `json:"attachments_days"`
	RecordingsDays  int `json:"recordings_days"`
	AuditDays       int `json:"audit_days"`
}

func retentionAnswer(p compliance.Retention) RetentionPolicy {
	days := func(d interface{ Hours() float64 }) int { return int(d.Hours() / 24) }
	return RetentionPolicy{days(p.Messages), days(p.Attachments), days(p.Recordings), days(p.Audit)}
}

func (a *API) runRetention(w http.ResponseWriter, r *http.Request) {
	run, err := a.Compliance.RunRetention(r.Context())
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	WriteJSON(w, http.StatusOK, run)
}
