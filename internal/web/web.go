// Package web is the agents' console: server-rendered HTML pages with a
// small script for live updates over the console WebSocket. Every change
// an agent makes goes through the JSON API, so the same permission table
// guards both.
package web

import (
	"embed"
	"encoding/json"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"vigil/internal/agent"
	"vigil/internal/api"
	"vigil/internal/assets"
	"vigil/internal/auth"
	"vigil/internal/automation"
	"vigil/internal/bot"
	"vigil/internal/callback"
	"vigil/internal/customer"
	"vigil/internal/exchange"
	"vigil/internal/i18n"
	"vigil/internal/incident"
	"vigil/internal/kb"
	"vigil/internal/macro"
	"vigil/internal/report"
	"vigil/internal/ticket"
	"vigil/internal/trust"
	"vigil/internal/webhook"
)

//go:embed templates/*.html static/*
var files embed.FS

// Deps are the services the console reads from.
type Deps struct {
	API           *api.API // sessions and cookies, shared with the JSON API
	Auth          *auth.Service
	Agents        *agent.Service
	Customers     *customer.Service
	Tickets       *ticket.Service
	Exchange      exchange.Connector // nil: no exchange connected
	Trust         *trust.Service     // nil: no identity panel
	Reports       *report.Service
	Macros        *macro.Service
	Automation    *automation.Service // nil: no automation rules page
	Webhooks      *webhook.Service    // nil: rules cannot be pointed at webhooks
	Incidents     *incident.Service
	KB            *kb.Service
	Bot           *bot.Bot
	Callbacks     *callback.Service // nil: no phone callbacks
	Logger        *slog.Logger
	Now           func() time.Time
	ClientIP      func(*http.Request) string
	LoginLimiter  *auth.Limiter
	SecureCookies bool
}

// Console serves the agent console under /console/.
type Console struct {
	Deps
	pages  map[string]*template.Template
	assets *assets.Set
}

// AtRisk is how long a conversation may wait for a first reply before the
// "at risk" view lists it.
const AtRisk = 15 * time.Minute

// DueSoon is how close an SLA breach deadline must be for the "at risk"
// view to list the conversation (overdue ones always are).
const DueSoon = 30 * time.Minute

// New parses the templates and fingerprints the static assets.
func New(d Deps) *Console {
	if d.Now == nil {
		d.Now = time.Now
	}
	c := &Console{Deps: d, pages: map[string]*template.Template{}, assets: assets.New(files, "static", "/console/static/")}
	for _, page := range []string{"login", "inbox", "conversation", "security", "coverage", "queues", "settings", "reports", "incidents", "campaigns", "callbacks",
		"kb", "kb_article", "kb_version", "announcements", "botlog", "automations"} {
		c.pages[page] = template.Must(template.New("layout.html").Funcs(funcs).ParseFS(files, "templates/layout.html", "templates/kbnav.html", "templates/"+page+".html"))
	}
	c.pages["inbox_list"] = template.Must(template.New("inbox.html").Funcs(funcs).ParseFS(files, "templates/inbox.html"))
	return c
}

// Register adds the console routes. Each handler checks the session
// itself (agentOnly): pages redirect to sign-in instead of answering 401.
func (c *Console) Register(mux *http.ServeMux) {
	mux.Handle("GET /console/static/{name}", c.assets)
	mux.HandleFunc("GET /console/login", c.loginPage)
	mux.HandleFunc("POST /console/login", c.login)
	mux.HandleFunc("POST /console/logout", c.agentOnly(c.logout))
	mux.HandleFunc("POST /console/lang", c.agentOnly(c.setLang))
	mux.HandleFunc("GET /console/{$}", c.agentOnly(func(w http.ResponseWriter, r *http.Request, _ *page) {
		http.Redirect(w, r, "/console/inbox", http.StatusSeeOther)
	}))
	mux.HandleFunc("GET /console/inbox", c.agentOnly(c.inbox))
	mux.HandleFunc("GET /console/counts", c.agentOnly(c.counts))
	mux.HandleFunc("GET /console/conversations/{id}", c.agentOnly(c.conversation))
	mux.HandleFunc("GET /console/security", c.agentOnly(c.securityPage))
	mux.HandleFunc("POST /console/security", c.agentOnly(c.security))
	mux.HandleFunc("GET /console/coverage", c.agentOnly(c.coveragePage))
	mux.HandleFunc("GET /console/queues", c.agentOnly(c.queuesPage))
	mux.HandleFunc("GET /console/settings/channels", c.agentOnly(c.channelSettingsPage))
	mux.HandleFunc("POST /console/settings/channels", c.agentOnly(c.saveChannelSettings))
	mux.HandleFunc("GET /console/reports", c.agentOnly(c.reportsPage))
	if c.Automation != nil {
		mux.HandleFunc("GET /console/automations", c.agentOnly(c.automationsPage))
		mux.HandleFunc("POST /console/automations", c.agentOnly(c.createAutomation))
		mux.HandleFunc("POST /console/automations/{id}/delete", c.agentOnly(c.deleteAutomation))
		mux.HandleFunc("POST /console/automations/{id}/enabled", c.agentOnly(c.toggleAutomation))
		mux.HandleFunc("GET /console/automations/{id}", c.agentOnly(c.editAutomationPage))
		mux.HandleFunc("POST /console/automations/{id}", c.agentOnly(c.updateAutomation))
	}
	mux.HandleFunc("POST /console/conversations/{id}/macro", c.agentOnly(c.applyMacro))
	mux.HandleFunc("POST /console/conversations/{id}/complaint", c.agentOnly(c.complaintAction))
	mux.HandleFunc("POST /console/conversations/{id}/complaint/{step}", c.agentOnly(c.complaintAction))
	mux.HandleFunc("GET /console/incidents", c.agentOnly(c.incidentsPage))
	mux.HandleFunc("GET /console/campaigns", c.agentOnly(c.campaignsPage))
	mux.HandleFunc("GET /console/callbacks", c.agentOnly(c.callbacksPage))
	mux.HandleFunc("POST /console/incidents", c.agentOnly(c.incidentAction(c.declareIncident)))
	mux.HandleFunc("POST /console/incidents/{id}/updates", c.agentOnly(c.incidentAction(c.postIncidentUpdate)))
	mux.HandleFunc("POST /console/incidents/{id}/resolve", c.agentOnly(c.incidentAction(c.resolveIncident)))
	c.registerKB(mux)
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/console/", http.StatusSeeOther)
	})
}

// page is what every template receives.
type page struct {
	Lang      string
	Title     string
	Agent     agent.Agent
	Principal auth.Principal
	CSRF      string
	CSS, JS   string
	Nav       []navItem
	View      string
	Data      any
	Error     string
}

// T translates a catalogue key in the page's language.
func (p *page) T(key string, args ...any) string { return i18n.T(p.Lang, key, args...) }

type navItem struct {
	Key   string
	Label string
	Count string
}

const langCookie = "vigil_lang"

// agentOnly resolves the signed-in agent or sends the browser to sign in.
// Administrators who have not enrolled in TOTP reach only the security
// page. Form posts must carry the session's CSRF token.
func (c *Console) agentOnly(h func(http.ResponseWriter, *http.Request, *page)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, err := c.API.Authenticate(r)
		if err != nil || !p.IsAgent() || p.SessionID == 0 {
			if r.Method != http.MethodGet {
				http.Error(w, "sign in first", http.StatusUnauthorized)
				return
			}
			http.Redirect(w, r, "/console/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		if r.Method == http.MethodPost && !auth.EqualSecret(r.PostFormValue("csrf"), p.CSRFToken) {
			http.Error(w, "the form expired; reload the page", http.StatusForbidden)
			return
		}
		if p.MustEnrolTOTP && !strings.HasPrefix(r.URL.Path, "/console/security") && r.URL.Path != "/console/logout" {
			http.Redirect(w, r, "/console/security", http.StatusSeeOther)
			return
		}
		ag, err := c.Agents.ByID(r.Context(), p.AgentID)
		if err != nil {
			c.fail(w, r, err)
			return
		}
		pg := c.newPage(r, ag.Locale)
		pg.Agent, pg.Principal, pg.CSRF = ag, p, p.CSRFToken
		h(w, c.API.WithCaller(r, p), pg)
	}
}

func (c *Console) newPage(r *http.Request, locale string) *page {
	lang := i18n.Negotiate(r.Header.Get("Accept-Language"))
	if locale != "" {
		lang = i18n.Normalize(locale)
	}
	if ck, err := r.Cookie(langCookie); err == nil {
		lang = i18n.Normalize(ck.Value)
	}
	return &page{Lang: lang, CSS: c.assets.URL("console.css"), JS: c.assets.URL("console.js")}
}

// render writes a full page with the console's security headers.
func (c *Console) render(w http.ResponseWriter, name string, status int, p *page) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "+
		"connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if err := c.pages[name].Execute(w, p); err != nil {
		c.Logger.Error("render", "component", "web", "page", name, "err", err)
	}
}

// fail shows an error page; domain messages are written for people.
func (c *Console) fail(w http.ResponseWriter, r *http.Request, err error) {
	api.WriteError(w, r, c.Logger, err)
}

var funcs = template.FuncMap{
	"list": func(s ...string) []string { return s },
	// pair hands a shared form block the page (P, for translations and
	// the CSRF token) and its data (D).
	"pair": func(p, d any) formPart { return formPart{P: p, D: d} },
	"join": func(s []string) string { return strings.Join(s, ", ") },
	"hours": func() []string {
		out := make([]string, 24)
		for h := range out {
			out[h] = fmt.Sprintf("%02d", h)
		}
		return out
	},
}

type formPart struct{ P, D any }

// jsKeys are the strings console.js shows, by its short name.
var jsKeys = map[string]string{
	"live": "console.live", "offline": "console.offline", "connecting": "console.connecting",
	"also": "console.also_viewing", "typing": "console.customer_typing", "revoked": "console.revoked",
	"saved": "console.saved", "sent": "console.sent", "error": "console.error", "note": "console.note",
	"note_badge": "console.note_badge", "reply_ph": "console.reply_placeholder", "note_ph": "console.note_placeholder",
	"read": "console.read_by_customer", "customer": "console.author.customer", "canned_none": "console.canned_none",
	"transferred": "console.transfer_done", "transfer_pick": "console.transfer_pick",
	"paged": "console.paged", "notified": "console.notified",
}

// JSStrings is the JSON object of translated strings for console.js.
func (p *page) JSStrings() string {
	m := make(map[string]string, len(jsKeys))
	for k, key := range jsKeys {
		m[k] = p.T(key)
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// admit starts a page only some may see: without the permission (allowed)
// it answers 403 with the reason (denied, a catalogue key) and returns
// false; otherwise it fills the navigation and returns true.
func (c *Console) admit(w http.ResponseWriter, r *http.Request, p *page, name string, allowed bool, denied string) bool {
	if !allowed {
		p.Error = p.T(denied)
		c.render(w, name, http.StatusForbidden, p)
		return false
	}
	scope, err := c.scope(r, p)
	if err == nil {
		p.Nav, err = c.nav(r, p, scope)
	}
	if err != nil {
		c.fail(w, r, err)
		return false
	}
	return true
}
