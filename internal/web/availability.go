package web

import (
	"embed"
	"html/template"
	"log/slog"
	"net/http"
	"time"

	"vigil/internal/assets"
	"vigil/internal/auth"
	"vigil/internal/i18n"
	"vigil/internal/report"
)

//go:embed public/*.html
var publicFiles embed.FS

// AvailabilityDeps are what the public availability widget needs.
type AvailabilityDeps struct {
	Reports  *report.Service
	Logger   *slog.Logger
	ClientIP func(*http.Request) string
	Limiter  *auth.Limiter
	Enabled  bool // VIGIL_TRANSPARENCY
}

// AvailabilityWidget serves /status/chat: a script-free page an exchange
// embeds in an iframe to show whether live chat is staffed now and the
// median wait of the last hour, in English or Chinese (?lang=).
type AvailabilityWidget struct {
	AvailabilityDeps
	page *template.Template
	css  string
}

// NewAvailabilityWidget parses the widget's page.
func NewAvailabilityWidget(d AvailabilityDeps) *AvailabilityWidget {
	return &AvailabilityWidget{AvailabilityDeps: d, css: assets.New(helpFiles, "helpcenter/static", "/help-assets/").URL("help.css"),
		page: template.Must(template.ParseFS(publicFiles, "public/availability.html"))}
}

// Register adds the widget's route.
func (a *AvailabilityWidget) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /status/chat", a.show)
}

type availabilityView struct {
	Lang, HTMLLang, CSS, ISO string
	A                        report.Availability
	Wait                     string
}

// T translates in the page's language.
func (v *availabilityView) T(key string, args ...any) string { return i18n.T(v.Lang, key, args...) }

func (a *AvailabilityWidget) show(w http.ResponseWriter, r *http.Request) {
	lang := i18n.Negotiate(r.Header.Get("Accept-Language"))
	if l := r.URL.Query().Get("lang"); l != "" {
		lang = i18n.Normalize(l)
	}
	if !a.Enabled {
		http.Error(w, i18n.T(lang, "transparency.off"), http.StatusNotFound)
		return
	}
	if !a.Limiter.Allow("availability:" + a.ClientIP(r)) {
		w.Header().Set("Retry-After", "10")
		http.Error(w, i18n.T(lang, "transparency.rate_limited"), http.StatusTooManyRequests)
		return
	}
	av, err := a.Reports.Availability(r.Context())
	if err != nil {
		a.Logger.Error("availability", "component", "web", "err", err)
		http.Error(w, i18n.T(lang, "widget.error"), http.StatusInternalServerError)
		return
	}
	v := &availabilityView{Lang: lang, HTMLLang: lang, CSS: a.css, A: av, ISO: av.At.Format(time.RFC3339)}
	if lang == "zh" {
		v.HTMLLang = "zh-Hans"
	}
	if av.MedianWait != nil {
		v.Wait = clock(lang, *av.MedianWait)
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	// Embedding is the point, so any site may frame it; it has no script
	// and no form, and shows nothing about any one customer.
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; base-uri 'none'")
	h.Set("Cache-Control", "public, max-age=15")
	if err := a.page.Execute(w, v); err != nil {
		a.Logger.Error("render", "component", "web", "page", "availability", "err", err)
	}
}
