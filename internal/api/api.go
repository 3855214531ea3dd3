// Package api serves the JSON API under /api/v1. Each route names the
// permission it needs in one table; handlers load, check, act and respond,
// and hold no SQL or business rules.
package api

import (
	"context"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"vigil/internal/agent"
	"vigil/internal/apperr"
	"vigil/internal/audit"
	"vigil/internal/auth"
	"vigil/internal/automation"
	"vigil/internal/bot"
	"vigil/internal/callback"
	"vigil/internal/canned"
	"vigil/internal/channel"
	"vigil/internal/channel/settings"
	"vigil/internal/compliance"
	"vigil/internal/customer"
	"vigil/internal/incident"
	"vigil/internal/kb"
	"vigil/internal/macro"
	"vigil/internal/report"
	"vigil/internal/routing"
	"vigil/internal/sla"
	"vigil/internal/ticket"
	"vigil/internal/trust"
	"vigil/internal/webhook"
)

// Deps are the services the API calls.
type Deps struct {
	Auth          *auth.Service
	Agents        *agent.Service
	Customers     *customer.Service
	Tickets       *ticket.Service
	Channels      *channel.Service
	Settings      *settings.Service // channel settings; nil: routes answer 503
	Canned        *canned.Service
	KB            *kb.Service
	Bot           *bot.Bot
	Router        *routing.Router
	SLA           *sla.Service
	Audit         *audit.Log
	Trust         *trust.Service // nil: no identity checks (no exchange)
	Reports       *report.Service
	Macros        *macro.Service
	Webhooks      *webhook.Service
	Automation    *automation.Service
	Incidents     *incident.Service
	Callbacks     *callback.Service // nil: no phone callbacks
	Compliance    *compliance.Service
	Logger        *slog.Logger
	MaxBody       int64
	MaxUpload     int64
	SecureCookies bool
	// LoginLimiter throttles login attempts per client IP.
	LoginLimiter *auth.Limiter
	// VerifyLimiter and ReportLimiter throttle the public verifier and
	// impersonation reports per client IP.
	VerifyLimiter *auth.Limiter
	ReportLimiter *auth.Limiter
	ClientIP      func(*http.Request) string
	// Tx runs fn in one database transaction (db.DB.WithTx).
	Tx func(ctx context.Context, fn func(ctx context.Context) error) error
	// Now is the clock for answers that depend on the time (who is on
	// call); time.Now when nil.
	Now func() time.Time
	// Transparency publishes chat availability to anyone (opt-in);
	// TransparencyLimiter throttles it per address.
	Transparency        bool
	TransparencyLimiter *auth.Limiter
}

// API holds the handlers.
type API struct {
	Deps
}

// New returns the API.
func New(d Deps) *API {
	if d.ClientIP == nil {
		d.ClientIP = RemoteIP
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	return &API{Deps: d}
}

func (a *API) now() time.Time { return a.Now() }

// Route is one entry of the route table. Perm "" means public: the handler
// is reachable without signing in (and must rate-limit itself).
type Route struct {
	Method  string
	Path    string
	Perm    auth.Permission
	Summary string
	handler http.HandlerFunc
}

// Public marks a route anyone may call.
const Public auth.Permission = ""

// Authenticated marks a route any signed-in agent may call.
const Authenticated auth.Permission = "authenticated"

// Routes is the route table: method, path, permission, handler.
func (a *API) Routes() []Route {
	return append([]Route{
		{"POST", "/api/v1/auth/login", Public, "Sign in with email, password and TOTP code", a.login},
		{"POST", "/api/v1/auth/logout", Authenticated, "Sign out of this session", a.logout},
		{"GET", "/api/v1/me", Authenticated, "The signed-in agent", a.me},
		{"PUT", "/api/v1/me/status", Authenticated, "Set my presence", a.setMyStatus},
		{"POST", "/api/v1/me/totp", Authenticated, "Begin TOTP enrolment", a.beginTOTP},
		{"POST", "/api/v1/me/totp/confirm", Authenticated, "Confirm TOTP enrolment; returns recovery codes once", a.confirmTOTP},
		{"GET", "/api/v1/me/tokens", auth.PermTokenManage, "My API tokens", a.listTokens},
		{"POST", "/api/v1/me/tokens", auth.PermTokenManage, "Create an API token; the value is shown once", a.createToken},
		{"DELETE", "/api/v1/me/tokens/{id}", auth.PermTokenManage, "Revoke an API token", a.revokeToken},

		{"GET", "/api/v1/conversations", auth.PermConversationRead, "List conversations (filters, cursor)", a.listConversations},
		{"POST", "/api/v1/conversations", auth.PermConversationWrite, "Open a conversation with its first message", a.createConversation},
		{"GET", "/api/v1/conversations/{id}", auth.PermConversationRead, "One conversation", a.conversation},
		{"PATCH", "/api/v1/conversations/{id}", auth.PermConversationWrite, "Change status, priority, fields, tags, team or assignee", a.updateConversation},
		{"GET", "/api/v1/conversations/{id}/messages", auth.PermConversationRead, "Messages after a sequence number", a.listMessages},
		{"POST", "/api/v1/conversations/{id}/messages", auth.PermConversationWrite, "Reply or add an internal note", a.createMessage},
		{"POST", "/api/v1/conversations/next", auth.PermConversationWrite, "Take the next waiting conversation that fits me", a.takeNext},
		{"POST", "/api/v1/conversations/{id}/merge", auth.PermConversationMerge, "Merge a duplicate into this conversation", a.mergeConversation},
		{"POST", "/api/v1/conversations/{id}/attachments", auth.PermConversationWrite, "Upload a file to attach to the next message", a.uploadAttachment},
		{"GET", "/api/v1/attachments/{id}", auth.PermConversationRead, "Download an attachment", a.downloadAttachment},
		{"GET", "/api/v1/conversations/{id}/sla", auth.PermConversationRead, "The conversation's SLA policy and deadlines", a.conversationSLA},
		{"POST", "/api/v1/conversations/{id}/transfer", auth.PermConversationAssign, "Transfer to a team or agent with a note", a.transferConversation},
		{"GET", "/api/v1/queues", auth.PermConversationRead, "Each team's queue: waiting, oldest, nearest SLA deadline", a.listQueues},

		{"GET", "/api/v1/sla/policies", auth.PermConversationRead, "SLA policies in the order they are tried", a.listPolicies},
		{"POST", "/api/v1/sla/policies", auth.PermSLAManage, "Create an SLA policy", a.createPolicy},
		{"PUT", "/api/v1/sla/policies/{id}", auth.PermSLAManage, "Replace an SLA policy", a.replacePolicy},
		{"DELETE", "/api/v1/sla/policies/{id}", auth.PermSLAManage, "Delete an SLA policy", a.deletePolicy},
		{"GET", "/api/v1/sla/calendars", auth.PermConversationRead, "Business calendars", a.listCalendars},
		{"POST", "/api/v1/sla/calendars", auth.PermSLAManage, "Create a business calendar", a.createCalendar},
		{"PUT", "/api/v1/sla/calendars/{id}", auth.PermSLAManage, "Replace a business calendar", a.replaceCalendar},
		{"GET", "/api/v1/messages/{id}/original", auth.PermConversationRead, "An inbound message as it arrived (raw email)", a.messageOriginal},

		{"GET", "/api/v1/customers", auth.PermCustomerRead, "List or search customers", a.listCustomers},
		{"POST", "/api/v1/customers", auth.PermCustomerWrite, "Create a customer", a.createCustomer},
		{"GET", "/api/v1/customers/{id}", auth.PermCustomerRead, "One customer", a.customer},
		{"PATCH", "/api/v1/customers/{id}", auth.PermCustomerWrite, "Change a customer", a.updateCustomer},
		{"POST", "/api/v1/customers/{id}/merge", auth.PermCustomerMerge, "Merge another customer into this one", a.mergeCustomer},

		{"GET", "/api/v1/agents", auth.PermAgentRead, "List agents", a.listAgents},
		{"POST", "/api/v1/agents", auth.PermAgentManage, "Create an agent", a.createAgent},
		{"GET", "/api/v1/agents/{id}", auth.PermAgentRead, "One agent", a.agent},
		{"PATCH", "/api/v1/agents/{id}", auth.PermAgentManage, "Change an agent's profile, role, teams or skills", a.updateAgent},
		{"PUT", "/api/v1/agents/{id}/password", auth.PermAgentManage, "Set an agent's password", a.setAgentPassword},
		{"DELETE", "/api/v1/agents/{id}/totp", auth.PermAgentManage, "Reset an agent's two-factor enrolment", a.resetAgentTOTP},

		{"GET", "/api/v1/teams", auth.PermAgentRead, "List teams", a.listTeams},
		{"POST", "/api/v1/teams", auth.PermTeamManage, "Create a team", a.createTeam},
		{"GET", "/api/v1/tags", auth.PermConversationRead, "List tags in use", a.listTags},

		{"GET", "/api/v1/canned-responses", auth.PermConversationRead, "Canned responses for a language", a.listCanned},
		{"POST", "/api/v1/canned-responses", auth.PermCannedManage, "Create a canned response", a.createCanned},
		{"PATCH", "/api/v1/canned-responses/{id}", auth.PermCannedManage, "Change a canned response", a.updateCanned},
		{"DELETE", "/api/v1/canned-responses/{id}", auth.PermCannedManage, "Delete a canned response", a.deleteCanned},

		{"GET", "/api/v1/teams/{id}/shifts", auth.PermAgentRead, "A team's recurring shifts", a.listShifts},
		{"POST", "/api/v1/teams/{id}/shifts", auth.PermShiftManage, "Add a recurring shift to a team", a.createShift},
		{"PUT", "/api/v1/shifts/{id}", auth.PermShiftManage, "Replace a recurring shift", a.updateShift},
		{"DELETE", "/api/v1/shifts/{id}", auth.PermShiftManage, "Delete a recurring shift", a.deleteShift},
		{"GET", "/api/v1/teams/{id}/shift-exceptions", auth.PermAgentRead, "A team's days off and extra shifts", a.listExceptions},
		{"POST", "/api/v1/teams/{id}/shift-exceptions", auth.PermShiftManage, "Add a day off or an extra shift", a.createException},
		{"PUT", "/api/v1/shift-exceptions/{id}", auth.PermShiftManage, "Replace a day off or an extra shift", a.updateException},
		{"DELETE", "/api/v1/shift-exceptions/{id}", auth.PermShiftManage, "Delete a day off or an extra shift", a.deleteException},
		{"GET", "/api/v1/teams/{id}/on-call", auth.PermAgentRead, "A team's on-call rota and who is on call now", a.onCall},
		{"PUT", "/api/v1/teams/{id}/on-call", auth.PermShiftManage, "Set a team's on-call rota", a.setOnCall},
		{"GET", "/api/v1/coverage", auth.PermAgentRead, "Agents scheduled per hour of a week, per team and language, with the gaps", a.coverage},

		{"GET", "/api/v1/audit", auth.PermAuditRead, "Audit entries, newest first", a.listAudit},
		{"GET", "/api/v1/audit/verify", auth.PermAuditRead, "Verify the audit hash chain", a.verifyAudit},
		{"GET", "/api/v1/openapi.json", Public, "This document", a.openapi},

		{"GET", "/api/v1/conversations/{id}/verification", auth.PermConversationRead, "The customer's verification level and what is masked for me", a.verification},
		{"POST", "/api/v1/conversations/{id}/verification/code", auth.PermConversationWrite, "Send the customer a one-time code through the exchange", a.sendVerificationCode},
		{"POST", "/api/v1/conversations/{id}/verification/checks", auth.PermConversationWrite, "Verify the customer by checks against exchange records", a.verifyByChecks},
		{"POST", "/api/v1/conversations/{id}/reveal", auth.PermConversationWrite, "Reveal masked fields with a reason (audited)", a.reveal},
		{"GET", "/api/v1/conversations/{id}/account", auth.PermConversationRead, "The customer's recent exchange activity, masked as policy requires", a.conversationAccount},
		{"GET", "/api/v1/conversations/{id}/freezes", auth.PermConversationRead, "The customer's account freezes", a.conversationFreezes},
		{"POST", "/api/v1/conversations/{id}/freeze", auth.PermConversationWrite, "Freeze the customer's account at the exchange now", a.freezeAccount},
		{"POST", "/api/v1/freezes/{id}/unfreeze-request", auth.PermConversationWrite, "Ask to lift a freeze (the customer must be verified)", a.requestUnfreeze},
		{"POST", "/api/v1/freezes/{id}/approve", auth.PermUnfreezeApprove, "Approve an unfreeze someone else asked for", a.approveUnfreeze},
		{"POST", "/api/v1/freezes/{id}/complete", auth.PermUnfreezeApprove, "Lift an approved freeze at the exchange after the cool-down", a.completeUnfreeze},
		{"GET", "/api/v1/verify", Public, "Is this link, email, phone, handle or staff ID official?", a.verifyChannel},
		{"POST", "/api/v1/verify/report", Public, "Report an impersonator; opens a security conversation", a.reportImpersonation},
		{"GET", "/api/v1/official-channels", auth.PermOfficialManage, "The registry of official channels", a.listOfficials},
		{"POST", "/api/v1/official-channels", auth.PermOfficialManage, "Register an official channel", a.addOfficial},
		{"POST", "/api/v1/official-channels/{id}/retire", auth.PermOfficialManage, "Mark a channel formerly official", a.retireOfficial},
		{"GET", "/api/v1/access-alerts", auth.PermAuditRead, "Agents opening unusually many customer profiles this hour", a.accessAlerts},
	}, slices.Concat(a.kbRoutes(), a.channelSettingsRoutes(), a.reportRoutes(), a.macroRoutes(), a.webhookRoutes(), a.automationRoutes(),
		a.incidentRoutes(), a.campaignRoutes(), a.callbackRoutes(), a.complianceRoutes())...)
}

// Register adds every route to mux behind authentication and authorisation.
func (a *API) Register(mux *http.ServeMux) {
	for _, rt := range a.Routes() {
		mux.Handle(rt.Method+" "+rt.Path, a.guard(rt))
	}
	// Unknown API paths answer in JSON, not with the HTML 404.
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		WriteError(w, r, a.Logger, apperr.NotFoundf("route.not_found", "no such API route: %s %s", r.Method, r.URL.Path))
	})
}

type principalKey struct{}

// PrincipalFrom returns who is calling; anonymous when nobody signed in.
func PrincipalFrom(ctx context.Context) auth.Principal {
	if p, ok := ctx.Value(principalKey{}).(auth.Principal); ok {
		return p
	}
	return auth.Principal{Kind: auth.Anonymous}
}

// WithPrincipal returns ctx carrying p; the console's middleware uses it too.
func WithPrincipal(ctx context.Context, p auth.Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// SessionCookie names the agent session cookie.
const SessionCookie = "vigil_session"

// Authenticate finds the caller from a bearer token or the session cookie.
// It returns an anonymous principal when neither is present and an error
// when one is present but invalid.
func (a *API) Authenticate(r *http.Request) (auth.Principal, error) {
	if h := r.Header.Get("Authorization"); h != "" {
		raw, ok := strings.CutPrefix(h, "Bearer ")
		if !ok {
			return auth.Principal{}, &apperr.Error{Kind: apperr.Unauthenticated, Code: "auth.bad_header", Message: "use Authorization: Bearer <token>"}
		}
		return a.Auth.AuthenticateToken(r.Context(), strings.TrimSpace(raw))
	}
	if c, err := r.Cookie(SessionCookie); err == nil && c.Value != "" {
		return a.Auth.Authenticate(r.Context(), c.Value)
	}
	return auth.Principal{Kind: auth.Anonymous}, nil
}

// guard authenticates, authorises and checks CSRF before the handler runs.
func (a *API) guard(rt Route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := a.Authenticate(r)
		switch {
		case err != nil && rt.Perm == Public:
			// A stale cookie must not lock anyone out of signing in again.
			p = auth.Principal{Kind: auth.Anonymous}
		case err != nil:
			WriteError(w, r, a.Logger, err)
			return
		}
		ctx := WithPrincipal(r.Context(), p)
		ctx = audit.WithActor(ctx, actorOf(p, a.ClientIP(r)))
		r = r.WithContext(ctx)
		if rt.Perm != Public {
			if err := authorise(p, rt.Perm); err != nil {
				WriteError(w, r, a.Logger, err)
				return
			}
			if err := checkCSRF(r, p); err != nil {
				WriteError(w, r, a.Logger, err)
				return
			}
		}
		rt.handler(w, r)
	})
}

func authorise(p auth.Principal, perm auth.Permission) error {
	if !p.IsAgent() {
		return &apperr.Error{Kind: apperr.Unauthenticated, Code: "auth.required", Message: "sign in or send an API token"}
	}
	if p.MustEnrolTOTP && !strings.HasPrefix(string(perm), "authenticated") {
		return apperr.Forbiddenf("auth.totp_enrolment_required", "administrators must set up two-factor authentication first")
	}
	if perm == Authenticated || p.Can(perm) {
		return nil
	}
	return apperr.Forbiddenf("auth.forbidden", "your role does not allow this")
}

// checkCSRF requires the session's CSRF token on state-changing requests
// made with the session cookie. Bearer tokens are not sent by browsers on
// their own, so they need none.
func checkCSRF(r *http.Request, p auth.Principal) error {
	if p.SessionID == 0 {
		return nil
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return nil
	}
	if !auth.EqualSecret(r.Header.Get("X-CSRF-Token"), p.CSRFToken) {
		return apperr.Forbiddenf("auth.csrf", "missing or wrong X-CSRF-Token header")
	}
	return nil
}

func actorOf(p auth.Principal, ip string) audit.Actor {
	switch p.Kind {
	case auth.AgentPrincipal:
		return audit.Actor{Kind: "agent", ID: p.AgentID, IP: ip}
	case auth.CustomerPrincipal:
		return audit.Actor{Kind: "customer", ID: p.CustomerID, IP: ip}
	}
	return audit.Actor{Kind: "anonymous", IP: ip}
}

// scope turns the caller into the conversations they may see.
func (a *API) scope(ctx context.Context, p auth.Principal) (ticket.Scope, error) {
	switch {
	case p.SeesAllTeams():
		return ticket.Scope{All: true}, nil
	case p.Kind == auth.CustomerPrincipal:
		return ticket.Scope{CustomerID: p.CustomerID}, nil
	case p.IsAgent():
		teams, err := a.Agents.TeamIDs(ctx, p.AgentID)
		return ticket.Scope{AgentID: p.AgentID, TeamIDs: teams}, err
	}
	return ticket.Scope{}, nil
}

func pathID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, apperr.NotFoundf("route.bad_id", "%s must be a positive number", name)
	}
	return id, nil
}

func queryInt(r *http.Request, name string) (int64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, apperr.Field(name, "request.query_int", "must be a whole number")
	}
	return n, nil
}

// Page is the envelope of every list response.
type Page[T any] struct {
	Data       []T    `json:"data"`
	NextCursor string `json:"next_cursor,omitempty"`
}

func cursor(next int64) string {
	if next == 0 {
		return ""
	}
	return strconv.FormatInt(next, 10)
}

// RemoteIP is the client address without the port.
func RemoteIP(r *http.Request) string {
	host := r.RemoteAddr
	if i := strings.LastIndexByte(host, ':'); i > 0 {
		host = host[:i]
	}
	return strings.Trim(host, "[]")
}

// Scope is what the principal may see, for other HTTP surfaces (the
// console) that read through the same rules.
func (a *API) Scope(ctx context.Context, p auth.Principal) (ticket.Scope, error) {
	return a.scope(ctx, p)
}

// WithCaller returns r carrying the principal and its audit actor.
func (a *API) WithCaller(r *http.Request, p auth.Principal) *http.Request {
	ctx := WithPrincipal(r.Context(), p)
	return r.WithContext(audit.WithActor(ctx, actorOf(p, a.ClientIP(r))))
}

// pageLimit reads ?limit=: default def, at most max; more is a 422, not a
// silently shorter page.
func pageLimit(r *http.Request, def, max int) (int, error) {
	n, err := queryInt(r, "limit")
	switch {
	case err != nil:
		return 0, err
	case n == 0:
		return def, nil
	case n < 0 || n > int64(max):
		return 0, apperr.Field("limit", "list.limit_invalid", "must be between 1 and %d", max)
	}
	return int(n), nil
}
