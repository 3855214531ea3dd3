package web

import (
	"context"
	"embed"
	"encoding/json"
	"encoding/xml"
	"html/template"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"vigil/internal/assets"
	"vigil/internal/auth"
	"vigil/internal/i18n"
	"vigil/internal/incident"
	"vigil/internal/kb"
)

//go:embed status/*.html
var statusFiles embed.FS

// StatusDeps are what the public status page reads.
type StatusDeps struct {
	Incidents *incident.Service
	Logger    *slog.Logger
	Now       func() time.Time
	// BaseURL, when set, makes the Atom feed's links absolute.
	BaseURL string
	// Limiter throttles each client address; nil allows everything.
	Limiter  *auth.Limiter
	ClientIP func(*http.Request) string
}

// StatusPage serves the public status page under /status/: components and
// their state, open incidents with their updates and the last 90 days'
// history, as HTML for people, JSON for programs and Atom for feed
// readers. A snapshot is reused for a few seconds, so a crowd refreshing
// during an outage costs the database one read per interval.
type StatusPage struct {
	StatusDeps
	page   *template.Template
	assets *assets.Set

	mu     sync.Mutex // guards snap and snapAt
	snap   statusSnapshot
	snapAt time.Time
}

// statusTTL is how long a snapshot is served before it is read again.
const statusTTL = 5 * time.Second

type statusSnapshot struct {
	Overall    string               `json:"status"`
	Components []incident.Component `json:"components"`
	Active     []incident.Incident  `json:"active"`
	History    []incident.Incident  `json:"history"`
}

// NewStatusPage parses the status page's template.
func NewStatusPage(d StatusDeps) *StatusPage {
	if d.Now == nil {
		d.Now = time.Now
	}
	return &StatusPage{StatusDeps: d, page: template.Must(template.ParseFS(statusFiles, "status/status.html")),
		assets: assets.New(helpFiles, "helpcenter/static", "/help-assets/")}
}

// Register adds the status page's routes.
func (s *StatusPage) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /status", s.redirect)
	mux.HandleFunc("GET /status/{$}", s.redirect)
	mux.HandleFunc("GET /status/{lang}/{$}", s.limited(s.html))
	mux.HandleFunc("GET /status/feed.json", s.limited(s.json))
	mux.HandleFunc("GET /status/feed.atom", s.limited(s.atom))
}

// limited refuses a client address past its budget; the snapshot already
// spares the database, this spares the process from one noisy client.
func (s *StatusPage) limited(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.Limiter != nil && s.ClientIP != nil && !s.Limiter.Allow("status:"+s.ClientIP(r)) {
			w.Header().Set("Retry-After", "10")
			http.Error(w, i18n.T(i18n.Negotiate(r.Header.Get("Accept-Language")), "kb.rate_limited"), http.StatusTooManyRequests)
			return
		}
		h(w, r)
	}
}

func (s *StatusPage) redirect(w http.ResponseWriter, r *http.Request) {
	http.Redirect(w, r, "/status/"+i18n.Negotiate(r.Header.Get("Accept-Language"))+"/", http.StatusFound)
}

func (s *StatusPage) snapshot(ctx context.Context) (statusSnapshot, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.Now()
	if !s.snapAt.IsZero() && now.Sub(s.snapAt) < statusTTL && !now.Before(s.snapAt) {
		return s.snap, nil
	}
	var snap statusSnapshot
	var err error
	if snap.Components, err = s.Incidents.Components(ctx); err != nil {
		return snap, err
	}
	if snap.Active, err = s.Incidents.Active(ctx); err != nil {
		return snap, err
	}
	if snap.History, err = s.Incidents.History(ctx, now.Add(-90*24*time.Hour)); err != nil {
		return snap, err
	}
	snap.Overall = incident.Overall(snap.Components)
	if snap.Overall == "operational" && len(snap.Active) > 0 {
		snap.Overall = "degraded"
	}
	s.snap, s.snapAt = snap, now
	return snap, nil
}

type statusView struct {
	Lang, HTMLLang, CSS string
	Overall             string
	Alternates          []alternate
	Components          []componentView
	Active, History     []incidentView
}

func (v *statusView) T(key string, args ...any) string { return i18n.T(v.Lang, key, args...) }

type componentView struct{ Name, State, StateLabel string }

type incidentView struct {
	ID                                      int64
	Title, Message, Severity, SeverityLabel string
	Scope                                   string
	Updates                                 []updateView
}

type updateView struct{ Status, Body, At, ISO string }

func viewIncident(i incident.Incident, lang string) incidentView {
	v := incidentView{ID: i.ID, Title: i.Title(lang), Message: i.Message(lang), Severity: i.Severity,
		SeverityLabel: i18n.T(lang, "incident.severity."+i.Severity), Scope: scopeLabel(i.Scope, lang)}
	for k := len(i.Updates) - 1; k >= 0; k-- {
		u := i.Updates[k]
		v.Updates = append(v.Updates, updateView{Status: i18n.T(lang, "incident.status."+u.Status), Body: u.Body(lang),
			At: u.CreatedAt.UTC().Format("2006-01-02 15:04 UTC"), ISO: u.CreatedAt.UTC().Format(time.RFC3339)})
	}
	return v
}

// scopeLabel names what an incident touches: "Withdrawals · USDT · TRC20".
func scopeLabel(sc incident.Scope, lang string) string {
	var parts []string
	for _, f := range sc.Features {
		parts = append(parts, i18n.T(lang, "incident.feature."+f))
	}
	for _, l := range [][]string{sc.Assets, sc.Networks, sc.Regions} {
		for _, x := range l {
			parts = append(parts, strings.ToUpper(x))
		}
	}
	return strings.Join(parts, " · ")
}

func (s *StatusPage) html(w http.ResponseWriter, r *http.Request) {
	lang := r.PathValue("lang")
	if !slices.Contains(incident.Languages, lang) {
		http.NotFound(w, r)
		return
	}
	snap, err := s.snapshot(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := &statusView{Lang: lang, HTMLLang: htmlLang(lang), CSS: s.assets.URL("help.css"), Overall: snap.Overall}
	for _, l := range incident.Languages {
		v.Alternates = append(v.Alternates, alternate{HTMLLang: htmlLang(l), URL: "/status/" + l + "/", Name: i18n.T(l, "help.lang."+l), Current: l == lang})
	}
	for _, c := range snap.Components {
		v.Components = append(v.Components, componentView{Name: c.Name(lang), State: c.State, StateLabel: i18n.T(lang, "statuspage.state."+c.State)})
	}
	for _, i := range snap.Active {
		v.Active = append(v.Active, viewIncident(i, lang))
	}
	for _, i := range snap.History {
		v.History = append(v.History, viewIncident(i, lang))
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
	h.Set("Cache-Control", "public, max-age=5")
	if err := s.page.Execute(w, v); err != nil {
		s.Logger.Error("render", "component", "status", "err", err)
	}
}

func (s *StatusPage) json(w http.ResponseWriter, r *http.Request) {
	snap, err := s.snapshot(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=5")
	w.Header().Set("Access-Control-Allow-Origin", "*")
	_ = json.NewEncoder(w).Encode(snap)
}

// atomFeed is RFC 4287: one entry per incident, updated at its last change.
type atomFeed struct {
	XMLName xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	Lang    string      `xml:"http://www.w3.org/XML/1998/namespace lang,attr"`
	ID      string      `xml:"id"`
	Title   string      `xml:"title"`
	Updated string      `xml:"updated"`
	Link    []atomLink  `xml:"link"`
	Entries []atomEntry `xml:"entry"`
}

type atomLink struct {
	Href string `xml:"href,attr"`
	Rel  string `xml:"rel,attr,omitempty"`
}

type atomEntry struct {
	ID      string   `xml:"id"`
	Title   string   `xml:"title"`
	Updated string   `xml:"updated"`
	Link    atomLink `xml:"link"`
	Content atomText `xml:"content"`
}

type atomText struct {
	Type string `xml:"type,attr"`
	Body string `xml:",chardata"`
}

func (s *StatusPage) atom(w http.ResponseWriter, r *http.Request) {
	lang := i18n.Normalize(r.URL.Query().Get("lang"))
	snap, err := s.snapshot(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	page := s.BaseURL + "/status/" + lang + "/"
	f := atomFeed{Lang: htmlLang(lang), ID: "urn:vigil:status:" + lang, Title: i18n.T(lang, "statuspage.title"),
		Updated: time.Unix(0, 0).UTC().Format(time.RFC3339),
		Link:    []atomLink{{Href: page}, {Href: s.BaseURL + "/status/feed.atom?lang=" + lang, Rel: "self"}}}
	var latest time.Time
	for _, i := range slices.Concat(snap.Active, snap.History) {
		v := viewIncident(i, lang)
		var body strings.Builder
		body.WriteString(v.Message)
		for _, u := range v.Updates {
			body.WriteString("\n\n" + u.At + " " + u.Status + ": " + u.Body)
		}
		title := v.Title
		if i.Active() {
			title = "[" + v.SeverityLabel + "] " + title
		}
		f.Entries = append(f.Entries, atomEntry{ID: "urn:vigil:incident:" + strconv.FormatInt(i.ID, 10), Title: title,
			Updated: i.UpdatedAt.UTC().Format(time.RFC3339), Link: atomLink{Href: page + "#incident-" + strconv.FormatInt(i.ID, 10)},
			Content: atomText{Type: "text", Body: body.String()}})
		if i.UpdatedAt.After(latest) {
			latest = i.UpdatedAt
		}
	}
	if !latest.IsZero() {
		f.Updated = latest.UTC().Format(time.RFC3339)
	}
	w.Header().Set("Content-Type", "application/atom+xml; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=5")
	_, _ = w.Write([]byte(xml.Header))
	_ = xml.NewEncoder(w).Encode(f)
}

func (s *StatusPage) fail(w http.ResponseWriter, r *http.Request, err error) {
	s.Logger.Error("status page", "component", "status", "path", r.URL.Path, "err", err)
	http.Error(w, http.StatusText(http.StatusServiceUnavailable), http.StatusServiceUnavailable)
}

// IncidentNotices turns open incidents into banners for the widget and the
// help center, titled with what they touch so a reader sees at a glance
// whether it concerns them.
func IncidentNotices(list []incident.Incident) []kb.Announcement {
	out := make([]kb.Announcement, 0, len(list))
	for _, i := range list {
		a := kb.Announcement{ID: i.ID, Titles: map[string]string{}, Bodies: map[string]string{}, StartsAt: i.StartedAt}
		for _, l := range incident.Languages {
			title := i.Title(l)
			if sc := scopeLabel(i.Scope, l); sc != "" {
				title += " (" + sc + ")"
			}
			a.Titles[l], a.Bodies[l] = title, i.Message(l)
		}
		out = append(out, a)
	}
	return out
}
