// Package webchat is the website and in-app chat channel: the embeddable
// widget, the customer's side of the JSON API, and the customer WebSocket.
// It turns widget traffic into ticket calls; conversation rules are not its
// business.
package webchat

import (
	"context"
	"embed"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"slices"
	"strings"
	"time"

	"vigil/internal/api"
	"vigil/internal/apperr"
	"vigil/internal/assets"
	"vigil/internal/audit"
	"vigil/internal/auth"
	"vigil/internal/customer"
	"vigil/internal/i18n"
	"vigil/internal/kb"
	"vigil/internal/realtime"
	"vigil/internal/ticket"
)

//go:embed static
var staticFS embed.FS

// Deps are what the widget needs.
type Deps struct {
	Auth      *auth.Service
	Customers *customer.Service
	Tickets   *ticket.Service
	Online    func(ctx context.Context) (int, error) // agents online now
	Hub       *realtime.Hub
	Logger    *slog.Logger
	Now       func() time.Time
	// WidgetSecret verifies identity tokens signed by the exchange.
	WidgetSecret []byte
	// RequireIdentity refuses anonymous visitors.
	RequireIdentity bool
	MaxBody         int64
	MaxUpload       int64
	ClientIP        func(*http.Request) string
	// SessionLimiter throttles new widget sessions per IP; MessageLimiter
	// throttles messages per customer.
	SessionLimiter *auth.Limiter
	MessageLimiter *auth.Limiter
	// Announcements lists the notices showing now to a viewer (maintenance,
	// the incidents that concern them), shown above the chat; nil shows none.
	Announcements func(ctx context.Context, v Viewer) ([]kb.Announcement, error)
	// NoticeLimiter throttles notice lookups per customer: each may ask
	// the exchange about them.
	NoticeLimiter *auth.Limiter
	// VerifyLimiter and ReportLimiter throttle the public verifier page
	// and impersonation reports per IP (shared with the API's).
	VerifyLimiter *auth.Limiter
	ReportLimiter *auth.Limiter
	// Trust records a signed widget identity on the conversation and runs
	// the self-service freeze; nil leaves both out.
	Trust Trust
	// Callbacks takes phone callback requests; nil refuses them.
	Callbacks Callbacks
}

// Widget serves the channel.
type Widget struct {
	Deps
	assets *assets.Set
}

// New returns the widget channel.
func New(d Deps) *Widget {
	w := &Widget{Deps: d, assets: assets.New(staticFS, "static", "/widget/static/")}
	return w
}

// Register adds the widget's routes.
func (w *Widget) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /widget.js", w.loader)
	mux.HandleFunc("GET /widget/chat", w.chatPage)
	mux.Handle("GET /widget/static/{name}", w.assets)
	mux.HandleFunc("POST /widget/api/session", w.startSession)
	mux.HandleFunc("GET /widget/api/conversations", w.customerOnly(w.listConversations))
	mux.HandleFunc("POST /widget/api/conversations", w.customerOnly(w.openConversation))
	mux.HandleFunc("GET /widget/api/conversations/{id}/messages", w.customerOnly(w.messages))
	mux.HandleFunc("POST /widget/api/conversations/{id}/messages", w.customerOnly(w.send))
	mux.HandleFunc("GET /widget/api/conversations/{id}/queue", w.customerOnly(w.queue))
	mux.HandleFunc("POST /widget/api/conversations/{id}/complaint", w.customerOnly(w.complaint))
	mux.HandleFunc("POST /widget/api/conversations/{id}/attachments", w.customerOnly(w.upload))
	mux.HandleFunc("GET /widget/api/attachments/{id}", w.customerOnly(w.download))
	mux.HandleFunc("GET /ws/widget", w.socket)
	mux.HandleFunc("GET /widget/api/notices", w.customerOnly(w.notices))
	mux.HandleFunc("POST /widget/api/freeze", w.customerOnly(w.freeze))
	mux.HandleFunc("POST /widget/api/callbacks", w.customerOnly(w.requestCallback))
	mux.HandleFunc("GET /freeze", w.freezePage)
	mux.HandleFunc("POST /freeze", w.freezeByLink)
	mux.HandleFunc("GET /verify", w.verifyPage)
	mux.HandleFunc("POST /verify/report", w.verifyReport)
}

// customerOnly authenticates the widget's bearer token.
func (w *Widget) customerOnly(h http.HandlerFunc) http.HandlerFunc {
	return func(rw http.ResponseWriter, r *http.Request) {
		raw, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		p, err := w.authenticate(r.Context(), raw)
		if err != nil {
			api.WriteError(rw, r, w.Logger, err)
			return
		}
		ctx := api.WithPrincipal(r.Context(), p)
		ctx = audit.WithActor(ctx, audit.Actor{Kind: "customer", ID: p.CustomerID, IP: w.ClientIP(r)})
		h(rw, r.WithContext(ctx))
	}
}

// authenticate checks a customer session; once the desk requires signed
// identities, sessions opened anonymously before that stop working too.
func (w *Widget) authenticate(ctx context.Context, token string) (auth.Principal, error) {
	p, err := w.Auth.AuthenticateCustomer(ctx, token)
	if err == nil && w.RequireIdentity && !p.Verified {
		return auth.Principal{}, identityError("widget.identity_required", "sign in to the exchange to chat with support")
	}
	return p, err
}

// customerConversation is a conversation as its customer sees it: no
// team, assignee, priority or tags, and no count that reveals notes.
type customerConversation struct {
	ID            int64     `json:"id"`
	Channel       string    `json:"channel"`
	Subject       string    `json:"subject"`
	Status        string    `json:"status"`
	Category      string    `json:"category"`
	Language      string    `json:"language"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
	LastMessageAt time.Time `json:"last_message_at"`
}

func forCustomer(c ticket.Conversation) customerConversation {
	return customerConversation{ID: c.ID, Channel: c.Channel, Subject: c.Subject, Status: string(c.Status), Category: c.Category,
		Language: c.Language, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt, LastMessageAt: c.LastMessageAt}
}

func customerScope(r *http.Request) ticket.Scope {
	return ticket.Scope{CustomerID: api.PrincipalFrom(r.Context()).CustomerID}
}

type sessionRequest struct {
	VisitorID     string `json:"visitor_id"`
	IdentityToken string `json:"identity_token"`
	Language      string `json:"language"`
}

type sessionResponse struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
	Customer  struct {
		ID       int64  `json:"id"`
		Name     string `json:"name"`
		Language string `json:"language"`
	} `json:"customer"`
	Verified bool `json:"verified"`
}

const sessionTTL = 24 * time.Hour

// startSession identifies the visitor: a signed identity from the
// exchange, or an anonymous visitor id the widget keeps in the browser. A
// bad identity token is refused, never downgraded to anonymous.
func (w *Widget) startSession(rw http.ResponseWriter, r *http.Request) {
	ip := w.ClientIP(r)
	if !w.SessionLimiter.Allow("widget-session:" + ip) {
		api.WriteError(rw, r, w.Logger, apperr.New(apperr.TooMany, "widget.rate_limited", "too many chat sessions from this address"))
		return
	}
	var req sessionRequest
	if err := api.Decode(rw, r, 8<<10, &req); err != nil {
		api.WriteError(rw, r, w.Logger, err)
		return
	}
	ctx := audit.WithActor(r.Context(), audit.Actor{Kind: "anonymous", IP: ip})
	lang := i18n.Normalize(req.Language)
	var cust customer.Customer
	var verified bool
	switch {
	case req.IdentityToken != "":
		claims, err := VerifyIdentity(w.WidgetSecret, req.IdentityToken, w.Now())
		if err != nil {
			api.WriteError(rw, r, w.Logger, err)
			return
		}
		if err := w.Auth.UseNonce(ctx, claims.Nonce, time.Unix(claims.Exp, 0)); err != nil {
			api.WriteError(rw, r, w.Logger, err)
			return
		}
		if claims.Language != "" {
			lang = i18n.Normalize(claims.Language)
		}
		cust, err = w.identified(ctx, claims, lang)
		if err != nil {
			api.WriteError(rw, r, w.Logger, err)
			return
		}
		verified = true
	case w.RequireIdentity:
		api.WriteError(rw, r, w.Logger, apperr.New(apperr.Unauthenticated, "widget.identity_required", "sign in to the exchange to chat with support"))
		return
	default:
		id := strings.TrimSpace(req.VisitorID)
		if len(id) < 16 || len(id) > 64 || strings.ContainsFunc(id, func(c rune) bool { return c < 33 || c > 126 }) {
			api.WriteError(rw, r, w.Logger, apperr.Field("visitor_id", "widget.visitor_invalid", "must be 16 to 64 printable characters"))
			return
		}
		var err error
		cust, _, err = w.Customers.Resolve(ctx, customer.Identity{Channel: "webchat", ExternalID: id}, customer.Input{Language: &lang})
		if err != nil {
			api.WriteError(rw, r, w.Logger, err)
			return
		}
	}
	if cust.MergedInto != 0 {
		cust.ID = cust.MergedInto
	}
	s, err := w.Auth.StartCustomerSession(ctx, cust.ID, verified, sessionTTL)
	if err != nil {
		api.WriteError(rw, r, w.Logger, err)
		return
	}
	var resp sessionResponse
	resp.Token, resp.ExpiresAt, resp.Verified = s.Token, s.ExpiresAt, verified
	resp.Customer.ID, resp.Customer.Name, resp.Customer.Language = cust.ID, cust.Name, cust.Language
	api.WriteJSON(rw, http.StatusOK, resp)
}

// identified finds or creates the customer for an exchange UID and keeps
// their name and email current.
func (w *Widget) identified(ctx context.Context, c Claims, lang string) (customer.Customer, error) {
	in := customer.Input{}
	if c.Name != "" {
		in.Name = &c.Name
	}
	if c.Email != "" {
		in.Email = &c.Email
	}
	existing, err := w.Customers.ByUID(ctx, c.UID)
	if apperr.Is(err, apperr.NotFound) {
		in.UID, in.Language = &c.UID, &lang
		created, err := w.Customers.Create(ctx, in)
		if apperr.Is(err, apperr.Conflict) { // created meanwhile by another tab
			return w.Customers.ByUID(ctx, c.UID)
		}
		return created, err
	}
	if err != nil || (in.Name == nil && in.Email == nil) {
		return existing, err
	}
	return w.Customers.Update(ctx, existing.ID, in)
}

func (w *Widget) listConversations(rw http.ResponseWriter, r *http.Request) {
	list, _, err := w.Tickets.List(r.Context(), customerScope(r), ticket.Filter{Limit: 20})
	if err != nil {
		api.WriteError(rw, r, w.Logger, err)
		return
	}
	out := make([]customerConversation, len(list))
	for i, c := range list {
		out[i] = forCustomer(c)
	}
	api.WriteJSON(rw, http.StatusOK, api.Page[customerConversation]{Data: out})
}

type openRequest struct {
	Category string `json:"category"`
	Language string `json:"language"`
	Email    string `json:"email"`
	Body     string `json:"body"`
	ClientID string `json:"client_id"`
}

func (w *Widget) openConversation(rw http.ResponseWriter, r *http.Request) {
	var req openRequest
	if err := api.Decode(rw, r, w.MaxBody, &req); err != nil {
		api.WriteError(rw, r, w.Logger, err)
		return
	}
	p := api.PrincipalFrom(r.Context())
	if !w.MessageLimiter.Allow(fmt.Sprintf("customer:%d", p.CustomerID)) {
		api.WriteError(rw, r, w.Logger, apperr.New(apperr.TooMany, "widget.rate_limited", "you are sending messages too fast"))
		return
	}
	if req.Category != "" && !slices.Contains(ticket.Categories, req.Category) {
		api.WriteError(rw, r, w.Logger, apperr.Field("category", "conversation.category_invalid", "unknown topic"))
		return
	}
	cust, err := w.Customers.ByID(r.Context(), p.CustomerID)
	if err != nil {
		api.WriteError(rw, r, w.Logger, err)
		return
	}
	if email := strings.TrimSpace(req.Email); email != "" {
		if err := customer.CheckEmail(email); err != nil {
			api.WriteError(rw, r, w.Logger, err)
			return
		}
	}
	lang := i18n.Normalize(req.Language)
	if req.Language == "" {
		lang = cust.Language
	}
	conv, msg, err := w.Tickets.Open(r.Context(), ticket.OpenInput{CustomerID: cust.ID, Channel: "webchat", Category: req.Category,
		Language: lang, Priority: ticket.Normal, Message: ticket.MessageInput{AuthorKind: ticket.ByCustomer, AuthorID: cust.ID,
			AuthorName: cust.Name, Body: req.Body, ExternalID: clientKey(req.ClientID)}})
	if err != nil {
		api.WriteError(rw, r, w.Logger, err)
		return
	}
	w.recordLevel(r, conv)
	// An email left for follow-up is kept when the customer has none yet;
	// saved only once the conversation exists.
	if email := strings.TrimSpace(req.Email); email != "" && cust.Email == "" {
		if _, err = w.Customers.Update(r.Context(), cust.ID, customer.Input{Email: &email}); err != nil {
			w.Logger.Warn("pre-chat email not saved", "component", "webchat", "customer", cust.ID, "err", err)
		}
	}
	api.WriteJSON(rw, http.StatusCreated, map[string]any{"conversation": forCustomer(conv), "message": msg})
}

// clientKey turns the widget's idempotency key into a message external id.
func clientKey(id string) string {
	if id == "" || len(id) > 100 {
		return ""
	}
	return "web:" + id
}

func (w *Widget) conversation(rw http.ResponseWriter, r *http.Request) (ticket.Conversation, bool) {
	id, err := pathID(r)
	if err != nil {
		api.WriteError(rw, r, w.Logger, err)
		return ticket.Conversation{}, false
	}
	c, err := w.Tickets.ByID(r.Context(), customerScope(r), id)
	if err != nil {
		api.WriteError(rw, r, w.Logger, err)
		return ticket.Conversation{}, false
	}
	return c, true
}

func (w *Widget) messages(rw http.ResponseWriter, r *http.Request) {
	c, ok := w.conversation(rw, r)
	if !ok {
		return
	}
	var after int64
	if v := r.URL.Query().Get("after_seq"); v != "" {
		if _, err := fmt.Sscan(v, &after); err != nil || after < 0 {
			api.WriteError(rw, r, w.Logger, apperr.Field("after_seq", "request.query_int", "must be a whole number"))
			return
		}
	}
	msgs, err := w.Tickets.Messages(r.Context(), customerScope(r), c.ID, ticket.MessagesFilter{AfterSeq: after, Limit: 200})
	if err != nil {
		api.WriteError(rw, r, w.Logger, err)
		return
	}
	read, err := w.Tickets.ReadUpTo(r.Context(), c.ID, ticket.ByAgent)
	if err != nil {
		api.WriteError(rw, r, w.Logger, err)
		return
	}
	api.WriteJSON(rw, http.StatusOK, map[string]any{"conversation": forCustomer(c), "data": msgs, "agent_read_seq": read})
}

type sendRequest struct {
	Body        string  `json:"body"`
	ClientID    string  `json:"client_id"`
	Attachments []int64 `json:"attachments"`
}

func (w *Widget) send(rw http.ResponseWriter, r *http.Request) {
	c, ok := w.conversation(rw, r)
	if !ok {
		return
	}
	var req sendRequest
	if err := api.Decode(rw, r, w.MaxBody, &req); err != nil {
		api.WriteError(rw, r, w.Logger, err)
		return
	}
	p := api.PrincipalFrom(r.Context())
	if !w.MessageLimiter.Allow(fmt.Sprintf("customer:%d", p.CustomerID)) {
		api.WriteError(rw, r, w.Logger, apperr.New(apperr.TooMany, "widget.rate_limited", "you are sending messages too fast"))
		return
	}
	w.recordLevel(r, c)
	m, err := w.Tickets.AddMessage(r.Context(), ticket.MessageInput{ConversationID: c.ID, AuthorKind: ticket.ByCustomer,
		AuthorID: p.CustomerID, Body: req.Body, AttachmentIDs: req.Attachments, ExternalID: clientKey(req.ClientID)})
	if err != nil {
		api.WriteError(rw, r, w.Logger, err)
		return
	}
	api.WriteJSON(rw, http.StatusCreated, m)
}

// queueResponse is what the widget shows while the customer waits.
type queueResponse struct {
	Position     int    `json:"position"`
	OnlineAgents int    `json:"online_agents"`
	WaitSeconds  *int64 `json:"estimated_wait_seconds"`
	BasedOn      int    `json:"based_on_conversations"`
}

// queue gives the customer's place and an honest estimate: the median
// first response of the last day, scaled by the queue ahead and the agents
// online; no estimate when there is no recent data or nobody is online.
func (w *Widget) queue(rw http.ResponseWriter, r *http.Request) {
	c, ok := w.conversation(rw, r)
	if !ok {
		return
	}
	pos, err := w.Tickets.QueuePosition(r.Context(), c.ID)
	if err != nil {
		api.WriteError(rw, r, w.Logger, err)
		return
	}
	online, err := w.Online(r.Context())
	if err != nil {
		api.WriteError(rw, r, w.Logger, err)
		return
	}
	resp := queueResponse{Position: pos, OnlineAgents: online}
	if pos > 0 && online > 0 {
		median, n, err := w.Tickets.MedianFirstResponse(r.Context(), w.Now().Add(-24*time.Hour))
		if err != nil {
			api.WriteError(rw, r, w.Logger, err)
			return
		}
		if n >= 5 {
			rounds := int64((pos + online - 1) / online)
			secs := int64(median.Seconds()) * rounds
			resp.WaitSeconds = &secs
		}
		resp.BasedOn = n
	}
	api.WriteJSON(rw, http.StatusOK, resp)
}

func (w *Widget) upload(rw http.ResponseWriter, r *http.Request) {
	c, ok := w.conversation(rw, r)
	if !ok {
		return
	}
	r.Body = http.MaxBytesReader(rw, r.Body, w.MaxUpload+64<<10)
	mr, err := r.MultipartReader()
	if err != nil {
		api.WriteError(rw, r, w.Logger, apperr.Invalidf("attachment.multipart", "send the file as multipart/form-data in a field named file"))
		return
	}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			api.WriteError(rw, r, w.Logger, &apperr.Error{Kind: apperr.TooLarge, Code: "attachment.too_large", Field: "file", Message: "the upload is too large"})
			return
		}
		if part.FormName() != "file" {
			part.Close()
			continue
		}
		att, err := w.Tickets.Upload(r.Context(), customerScope(r), ticket.UploadInput{ConversationID: c.ID, Filename: part.FileName(),
			Content: part, UploadedBy: fmt.Sprintf("customer:%d", api.PrincipalFrom(r.Context()).CustomerID)})
		part.Close()
		if err != nil {
			api.WriteError(rw, r, w.Logger, err)
			return
		}
		api.WriteJSON(rw, http.StatusCreated, att)
		return
	}
	api.WriteError(rw, r, w.Logger, apperr.Field("file", "attachment.missing", "no file field in the upload"))
}

func (w *Widget) download(rw http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		api.WriteError(rw, r, w.Logger, err)
		return
	}
	att, f, err := w.Tickets.OpenAttachment(r.Context(), customerScope(r), id)
	if err != nil {
		api.WriteError(rw, r, w.Logger, err)
		return
	}
	defer f.Close()
	rw.Header().Set("Content-Type", att.ContentType)
	rw.Header().Set("Content-Security-Policy", "default-src 'none'; sandbox")
	rw.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": att.Filename}))
	http.ServeContent(rw, r, "", att.CreatedAt, f)
}

// socket is the customer's WebSocket; browsers cannot set headers on it,
// so the session token comes as a query parameter (never logged: the
// access log records the path only).
func (w *Widget) socket(rw http.ResponseWriter, r *http.Request) {
	p, err := w.authenticate(r.Context(), r.URL.Query().Get("token"))
	if err != nil {
		api.WriteError(rw, r, w.Logger, err)
		return
	}
	name := ""
	if c, err := w.Customers.ByID(r.Context(), p.CustomerID); err == nil {
		name = c.Name
	}
	w.Hub.ServeWS(rw, r, realtime.Viewer{Kind: "customer", CustomerID: p.CustomerID, Name: name}, nil, nil)
}

func pathID(r *http.Request) (int64, error) {
	var id int64
	if _, err := fmt.Sscan(r.PathValue("id"), &id); err != nil || id <= 0 {
		return 0, apperr.NotFoundf("route.bad_id", "id must be a positive number")
	}
	return id, nil
}
