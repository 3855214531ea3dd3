package api

import (
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"vigil/internal/apperr"
	"vigil/internal/ticket"
)

// createConversationRequest opens a conversation for a customer.
type createConversationRequest struct {
	CustomerID int64    `json:"customer_id"`
	Channel    string   `json:"channel"`
	Subject    string   `json:"subject"`
	Category   string   `json:"category"`
	Language   string   `json:"language"`
	Priority   string   `json:"priority"`
	TeamID     int64    `json:"team_id"`
	AssigneeID int64    `json:"assignee_id"`
	Asset      string   `json:"asset"`
	Network    string   `json:"network"`
	TxID       string   `json:"txid"`
	Memo       string   `json:"memo"`
	OrderID    string   `json:"order_id"`
	Tags       []string `json:"tags"`
	Body       string   `json:"body"`
	// FromCustomer records the first message as the customer's words (an
	// agent logging a phone call); otherwise it is the agent's outbound message.
	FromCustomer bool `json:"from_customer"`
}

type conversationWithMessage struct {
	Conversation ticket.Conversation `json:"conversation"`
	Message      ticket.Message      `json:"message"`
}

func (a *API) createConversation(w http.ResponseWriter, r *http.Request) {
	var req createConversationRequest
	if err := Decode(w, r, a.MaxBody, &req); err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	p := PrincipalFrom(r.Context())
	prio := ticket.Normal
	if req.Priority != "" {
		var ok bool
		if prio, ok = ticket.ParsePriority(req.Priority); !ok {
			WriteError(w, r, a.Logger, apperr.Field("priority", "conversation.priority_invalid", "must be low, normal, high or urgent"))
			return
		}
	}
	if req.Channel == "" {
		req.Channel = "api"
	}
	msg := ticket.MessageInput{AuthorKind: ticket.ByAgent, AuthorID: p.AgentID, AuthorName: p.Name, Body: req.Body}
	if req.FromCustomer {
		msg = ticket.MessageInput{AuthorKind: ticket.ByCustomer, AuthorID: req.CustomerID, Body: req.Body}
	}
	scope, err := a.scope(r.Context(), p)
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	if !scope.All && req.TeamID != 0 && !containsID(scope.TeamIDs, req.TeamID) {
		WriteError(w, r, a.Logger, apperr.Forbiddenf("conversation.team_forbidden", "you can only open conversations in your own teams"))
		return
	}
	conv, m, err := a.Tickets.Open(r.Context(), ticket.OpenInput{
		CustomerID: req.CustomerID, Channel: req.Channel, Subject: req.Subject, Category: req.Category,
		Language: req.Language, Priority: prio, TeamID: req.TeamID, AssigneeID: req.AssigneeID,
		Crypto: ticket.Crypto{Asset: req.Asset, Network: req.Network, TxID: req.TxID, Memo: req.Memo, OrderID: req.OrderID},
		Tags:   req.Tags, Message: msg,
	})
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	w.Header().Set("Location", fmt.Sprintf("/api/v1/conversations/%d", conv.ID))
	WriteJSON(w, http.StatusCreated, conversationWithMessage{conv, m})
}

func (a *API) listConversations(w http.ResponseWriter, r *http.Request) {
	p := PrincipalFrom(r.Context())
	scope, err := a.scope(r.Context(), p)
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	f, err := conversationFilter(r)
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	list, next, err := a.Tickets.List(r.Context(), scope, f)
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	WriteJSON(w, http.StatusOK, Page[ticket.Conversation]{Data: list, NextCursor: cursor(next)})
}

func conversationFilter(r *http.Request) (ticket.Filter, error) {
	q := r.URL.Query()
	var f ticket.Filter
	var err error
	for _, s := range q["status"] {
		for _, part := range strings.Split(s, ",") {
			if part != "" {
				f.Statuses = append(f.Statuses, ticket.Status(part))
			}
		}
	}
	if v := q.Get("priority"); v != "" {
		pr, ok := ticket.ParsePriority(v)
		if !ok {
			return f, apperr.Field("priority", "conversation.priority_invalid", "must be low, normal, high or urgent")
		}
		f.Priority = &pr
	}
	if q.Get("team") == "none" {
		f.TeamID = -1
	} else if f.TeamID, err = queryInt(r, "team"); err != nil {
		return f, err
	}
	switch q.Get("assignee") {
	case "none":
		f.AssigneeID = -1
	case "me":
		f.AssigneeID = PrincipalFrom(r.Context()).AgentID
	default:
		if f.AssigneeID, err = queryInt(r, "assignee"); err != nil {
			return f, err
		}
	}
	f.Category, f.Channel, f.Tag, f.Text = q.Get("category"), q.Get("channel"), q.Get("tag"), q.Get("q")
	switch q.Get("complaint") {
	case "":
	case "open":
		f.Complaints = true
	default:
		return f, apperr.Field("complaint", "complaint.state_filter_invalid", "complaint must be open")
	}
	if f.CustomerID, err = queryInt(r, "customer"); err != nil {
		return f, err
	}
	if f.Before, err = queryInt(r, "cursor"); err != nil {
		return f, err
	}
	limit, err := queryInt(r, "limit")
	f.Limit = int(limit)
	return f, err
}

func (a *API) conversation(w http.ResponseWriter, r *http.Request) {
	conv, _, ok := a.loadConversation(w, r)
	if !ok {
		return
	}
	WriteJSON(w, http.StatusOK, conv)
}

// loadConversation reads the {id} conversation if the caller may see it.
func (a *API) loadConversation(w http.ResponseWriter, r *http.Request) (ticket.Conversation, ticket.Scope, bool) {
	id, err := pathID(r, "id")
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return ticket.Conversation{}, ticket.Scope{}, false
	}
	scope, err := a.scope(r.Context(), PrincipalFrom(r.Context()))
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return ticket.Conversation{}, scope, false
	}
	conv, err := a.Tickets.ByID(r.Context(), scope, id)
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return ticket.Conversation{}, scope, false
	}
	return conv, scope, true
}

func (a *API) updateConversation(w http.ResponseWriter, r *http.Request) {
	conv, scope, ok := a.loadConversation(w, r)
	if !ok {
		return
	}
	var patch ticket.Patch
	if err := Decode(w, r, a.MaxBody, &patch); err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	p := PrincipalFrom(r.Context())
	// Moving a conversation to another agent or team is assignment.
	if (patch.AssigneeID != nil || patch.TeamID != nil) && !p.Can(permAssign) {
		WriteError(w, r, a.Logger, apperr.Forbiddenf("auth.forbidden", "your role does not allow assigning conversations"))
		return
	}
	updated, err := a.Tickets.Update(r.Context(), conv.ID, patch)
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	// An agent may hand a conversation away; the response then says only
	// that it worked, not what is no longer theirs to see.
	if !scope.Allows(updated) {
		WriteJSON(w, http.StatusOK, map[string]any{"id": updated.ID, "visible": false})
		return
	}
	WriteJSON(w, http.StatusOK, updated)
}

func (a *API) listMessages(w http.ResponseWriter, r *http.Request) {
	conv, scope, ok := a.loadConversation(w, r)
	if !ok {
		return
	}
	after, err := queryInt(r, "after_seq")
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	limit, err := pageLimit(r, 200, 500)
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	msgs, err := a.Tickets.Messages(r.Context(), scope, conv.ID, ticket.MessagesFilter{AfterSeq: after, Limit: limit, IncludeInternal: true})
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	page := Page[ticket.Message]{Data: msgs}
	if len(msgs) > 0 && msgs[len(msgs)-1].Seq < conv.LastSeq {
		page.NextCursor = cursor(msgs[len(msgs)-1].Seq)
	}
	WriteJSON(w, http.StatusOK, page)
}

type createMessageRequest struct {
	Body        string  `json:"body"`
	Internal    bool    `json:"internal"`
	Attachments []int64 `json:"attachments"`
	Status      *string `json:"status"`
	ExternalID  string  `json:"external_id"`
}

func (a *API) createMessage(w http.ResponseWriter, r *http.Request) {
	conv, _, ok := a.loadConversation(w, r)
	if !ok {
		return
	}
	var req createMessageRequest
	if err := Decode(w, r, a.MaxBody, &req); err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	p := PrincipalFrom(r.Context())
	in := ticket.MessageInput{ConversationID: conv.ID, AuthorKind: ticket.ByAgent, AuthorID: p.AgentID, AuthorName: p.Name,
		Body: req.Body, Internal: req.Internal, AttachmentIDs: req.Attachments, ExternalID: req.ExternalID}
	if req.Status != nil {
		st := ticket.Status(*req.Status)
		in.Status = &st
	}
	m, err := a.Tickets.AddMessage(r.Context(), in)
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	WriteJSON(w, http.StatusCreated, m)
}

type mergeRequest struct {
	SourceID int64 `json:"source_id"`
}

func (a *API) mergeConversation(w http.ResponseWriter, r *http.Request) {
	conv, scope, ok := a.loadConversation(w, r)
	if !ok {
		return
	}
	var req mergeRequest
	if err := Decode(w, r, a.MaxBody, &req); err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	if _, err := a.Tickets.ByID(r.Context(), scope, req.SourceID); err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	merged, err := a.Tickets.Merge(r.Context(), conv.ID, req.SourceID)
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	WriteJSON(w, http.StatusOK, merged)
}

func (a *API) uploadAttachment(w http.ResponseWriter, r *http.Request) {
	conv, scope, ok := a.loadConversation(w, r)
	if !ok {
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, a.MaxUpload+64<<10)
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		WriteError(w, r, a.Logger, apperr.Invalidf("attachment.multipart", "send the file as multipart/form-data in a field named file"))
		return
	}
	mr, err := r.MultipartReader()
	if err != nil {
		WriteError(w, r, a.Logger, apperr.Invalidf("attachment.multipart", "send the file as multipart/form-data in a field named file"))
		return
	}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			WriteError(w, r, a.Logger, tooLargeOr(err, apperr.Invalidf("attachment.multipart", "the multipart body could not be read")))
			return
		}
		if part.FormName() != "file" {
			part.Close()
			continue
		}
		p := PrincipalFrom(r.Context())
		att, err := a.Tickets.Upload(r.Context(), scope, ticket.UploadInput{ConversationID: conv.ID, Filename: part.FileName(),
			Content: part, UploadedBy: fmt.Sprintf("agent:%d", p.AgentID)})
		part.Close()
		if err != nil {
			WriteError(w, r, a.Logger, tooLargeOr(err, err))
			return
		}
		WriteJSON(w, http.StatusCreated, att)
		return
	}
	WriteError(w, r, a.Logger, apperr.Field("file", "attachment.missing", "no file field in the upload"))
}

func tooLargeOr(err, other error) error {
	var maxErr *http.MaxBytesError
	if asMaxBytes(err, &maxErr) {
		return &apperr.Error{Kind: apperr.TooLarge, Code: "attachment.too_large", Field: "file", Message: "the upload is too large"}
	}
	return other
}

func (a *API) downloadAttachment(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	scope, err := a.scope(r.Context(), PrincipalFrom(r.Context()))
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	att, f, err := a.Tickets.OpenAttachment(r.Context(), scope, id)
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	defer f.Close()
	w.Header().Set("Content-Type", att.ContentType)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; sandbox")
	disposition := "attachment"
	if strings.HasPrefix(att.ContentType, "image/") {
		disposition = "inline"
	}
	w.Header().Set("Content-Disposition", mime.FormatMediaType(disposition, map[string]string{"filename": att.Filename}))
	http.ServeContent(w, r, "", att.CreatedAt, f)
}

func (a *API) listTags(w http.ResponseWriter, r *http.Request) {
	tags, err := a.Tickets.Tags(r.Context())
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	WriteJSON(w, http.StatusOK, Page[ticket.Tag]{Data: tags})
}

func containsID(ids []int64, id int64) bool {
	for _, v := range ids {
		if v == id {
			return true
		}
	}
	return false
}

// takeNext assigns the caller the first waiting conversation that fits
// them, in queue order (priority, then age).
func (a *API) takeNext(w http.ResponseWriter, r *http.Request) {
	p := PrincipalFrom(r.Context())
	scope, err := a.scope(r.Context(), p)
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	me, err := a.Agents.ByID(r.Context(), p.AgentID)
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	c, ok, err := a.Router.TakeNext(r.Context(), me, scope.Allows)
	switch {
	case err != nil:
		WriteError(w, r, a.Logger, err)
	case !ok:
		WriteError(w, r, a.Logger, apperr.NotFoundf("queue.empty", "no waiting conversation fits you right now"))
	default:
		WriteJSON(w, http.StatusOK, c)
	}
}
