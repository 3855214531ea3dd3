package web

import (
	"context"
	"embed"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"vigil/internal/apperr"
	"vigil/internal/assets"
	"vigil/internal/auth"
	"vigil/internal/i18n"
	"vigil/internal/incident"
	"vigil/internal/kb"
)

//go:embed helpcenter/*.html helpcenter/static/*
var helpFiles embed.FS

// HelpDeps are what the public help center reads.
type HelpDeps struct {
	KB       *kb.Service
	Logger   *slog.Logger
	ClientIP func(*http.Request) string
	// FeedbackLimiter throttles "was this helpful?" answers per address.
	FeedbackLimiter *auth.Limiter
	// Incidents, when set, lists the open incidents to show as banners to
	// a reader of a page about these words (the help center has no
	// sign-in, so its readers are anonymous).
	Incidents func(ctx context.Context, page []string) ([]kb.Announcement, error)
}

// HelpCenter serves the public help center under /help/: server-rendered
// pages with no script at all, so they are fast on a phone and readable by
// search engines. URLs are stable: /help/{lang}/articles/{slug}.
type HelpCenter struct {
	HelpDeps
	pages  map[string]*template.Template
	assets *assets.Set
}

// NewHelpCenter parses the help center's templates.
func NewHelpCenter(d HelpDeps) *HelpCenter {
	h := &HelpCenter{HelpDeps: d, pages: map[string]*template.Template{},
		assets: assets.New(helpFiles, "helpcenter/static", "/help-assets/")}
	for _, p := range []string{"home", "category", "article", "search", "notfound"} {
		h.pages[p] = template.Must(template.ParseFS(helpFiles, "helpcenter/layout.html", "helpcenter/"+p+".html"))
	}
	return h
}

// Register adds the help center's routes.
func (h *HelpCenter) Register(mux *http.ServeMux) {
	mux.Handle("GET /help-assets/{name}", h.assets)
	mux.HandleFunc("GET /help", h.redirect)
	mux.HandleFunc("GET /help/{$}", h.redirect)
	mux.HandleFunc("GET /help/{lang}/{$}", h.home)
	mux.HandleFunc("GET /help/{lang}/categories/{slug}", h.category)
	mux.HandleFunc("GET /help/{lang}/articles/{slug}", h.article)
	mux.HandleFunc("POST /help/{lang}/articles/{slug}/feedback", h.feedback)
	mux.HandleFunc("GET /help/{lang}/search", h.search)
}

// helpPage is what every help-center template receives.
type helpPage struct {
	Lang, HTMLLang  string
	Title           string
	Description     string
	Path            string // after /help/{lang}, for the language switch
	Query           string
	CSS             string
	Alternates      []alternate
	Announcements   []notice
	Categories      []categoryView
	Category        *categoryView
	Article         *kb.Page
	ContentLang     string
	BodyHTML        template.HTML
	Hits            []kb.Hit
	Thanks, Limited bool
}

type alternate struct {
	HTMLLang, URL, Name string
	Current             bool
}

// notice is a banner; Window is its times in UTC and in the zone they were
// planned in (the help center runs no script, so it cannot show the
// reader's own clock), and Start its first instant for the <time> element.
type notice struct{ Title, Body, Window, Start string }

type categoryView struct {
	Slug, Name string
	Articles   []kb.Page
}

// T translates a key in the page's language.
func (p *helpPage) T(key string, args ...any) string { return i18n.T(p.Lang, key, args...) }

func htmlLang(lang string) string {
	if lang == "zh" {
		return "zh-Hans"
	}
	return "en"
}

func (h *HelpCenter) redirect(w http.ResponseWriter, r *http.Request) {
	http.Redirect(w, r, "/help/"+i18n.Negotiate(r.Header.Get("Accept-Language"))+"/", http.StatusFound)
}

// newPage starts a page for the {lang} in the URL; ok is false (and a 404
// sent) for a language the help center does not have.
func (h *HelpCenter) newPage(w http.ResponseWriter, r *http.Request, path string) (*helpPage, bool) {
	lang := r.PathValue("lang")
	if !slices.Contains(kb.Languages, lang) {
		http.NotFound(w, r)
		return nil, false
	}
	p := &helpPage{Lang: lang, HTMLLang: htmlLang(lang), Path: path, CSS: h.assets.URL("help.css")}
	p.Title, p.Description = p.T("help.title"), p.T("help.meta")
	for _, l := range kb.Languages {
		p.Alternates = append(p.Alternates, alternate{HTMLLang: htmlLang(l), URL: "/help/" + l + path, Name: i18n.T(l, "help.lang."+l), Current: l == lang})
	}
	active, err := h.KB.Active(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return nil, false
	}
	if h.Incidents != nil {
		incidents, err := h.Incidents(r.Context(), incident.PageWords(path+" "+r.URL.Query().Get("q")))
		if err != nil {
			h.fail(w, r, err)
			return nil, false
		}
		active = append(incidents, active...)
	}
	for _, a := range active {
		n := notice{Title: a.Title(lang), Body: a.Body(lang), Window: a.Window()}
		if n.Window != "" {
			n.Start = a.StartsAt.UTC().Format(time.RFC3339)
		}
		p.Announcements = append(p.Announcements, n)
	}
	return p, true
}

func (h *HelpCenter) render(w http.ResponseWriter, name string, status int, p *helpPage) {
	hd := w.Header()
	hd.Set("Content-Type", "text/html; charset=utf-8")
	hd.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' https: data:; style-src 'self'; script-src 'none'; "+
		"form-action 'self'; frame-ancestors 'self'; base-uri 'none'")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "strict-origin-when-cross-origin")
	hd.Set("Cache-Control", "public, max-age=60")
	hd.Set("Content-Language", p.HTMLLang)
	w.WriteHeader(status)
	if err := h.pages[name].ExecuteTemplate(w, "layout.html", p); err != nil {
		h.Logger.Error("render", "component", "helpcenter", "page", name, "err", err)
	}
}

func (h *HelpCenter) fail(w http.ResponseWriter, r *http.Request, err error) {
	h.Logger.Error("help center", "component", "helpcenter", "path", r.URL.Path, "err", err)
	http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
}

// categories groups the published public articles by category, in order.
func (h *HelpCenter) categories(r *http.Request, lang string) ([]categoryView, error) {
	cats, err := h.KB.Categories(r.Context())
	if err != nil {
		return nil, err
	}
	pages, err := h.KB.Published(r.Context(), lang, kb.Public)
	if err != nil {
		return nil, err
	}
	views := make([]categoryView, 0, len(cats)+1)
	index := map[int64]int{}
	for _, c := range cats {
		index[c.ID] = len(views)
		views = append(views, categoryView{Slug: c.Slug, Name: c.Name(lang)})
	}
	other := categoryView{Slug: "other", Name: i18n.T(lang, "help.uncategorised")}
	for _, p := range pages {
		if i, ok := index[p.CategoryID]; ok {
			views[i].Articles = append(views[i].Articles, p)
		} else {
			other.Articles = append(other.Articles, p)
		}
	}
	out := views[:0]
	for _, v := range views {
		if len(v.Articles) > 0 {
			out = append(out, v)
		}
	}
	if len(other.Articles) > 0 {
		out = append(out, other)
	}
	return out, nil
}

func (h *HelpCenter) home(w http.ResponseWriter, r *http.Request) {
	p, ok := h.newPage(w, r, "/")
	if !ok {
		return
	}
	cats, err := h.categories(r, p.Lang)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	p.Categories = cats
	h.render(w, "home", http.StatusOK, p)
}

func (h *HelpCenter) category(w http.ResponseWriter, r *http.Request) {
	slug := r.PathValue("slug")
	p, ok := h.newPage(w, r, "/categories/"+url.PathEscape(slug))
	if !ok {
		return
	}
	cats, err := h.categories(r, p.Lang)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	for i := range cats {
		if cats[i].Slug == slug {
			p.Category = &cats[i]
			p.Title = cats[i].Name + " · " + p.T("help.title")
			h.render(w, "category", http.StatusOK, p)
			return
		}
	}
	p.Title = p.T("help.not_found")
	h.render(w, "notfound", http.StatusNotFound, p)
}

func (h *HelpCenter) article(w http.ResponseWriter, r *http.Request) {
	slug := r.PathValue("slug")
	p, ok := h.newPage(w, r, "/articles/"+url.PathEscape(slug))
	if !ok {
		return
	}
	art, err := h.KB.Read(r.Context(), slug, p.Lang, kb.Public)
	if apperr.Is(err, apperr.NotFound) {
		// A renamed article keeps its old links.
		if now, err := h.KB.Renamed(r.Context(), slug); err == nil {
			http.Redirect(w, r, "/help/"+p.Lang+"/articles/"+url.PathEscape(now), http.StatusMovedPermanently)
			return
		}
		p.Title = p.T("help.not_found")
		h.render(w, "notfound", http.StatusNotFound, p)
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	p.Article, p.ContentLang = &art, htmlLang(art.Language)
	p.BodyHTML = template.HTML(art.BodyHTML) // sanitised by markup.Render
	p.Title = art.Title + " · " + p.T("help.title")
	if art.Summary != "" {
		p.Description = art.Summary
	}
	if cats, err := h.KB.Categories(r.Context()); err == nil {
		for _, c := range cats {
			if c.ID == art.CategoryID {
				p.Category = &categoryView{Slug: c.Slug, Name: c.Name(p.Lang)}
			}
		}
	}
	q := r.URL.Query()
	p.Thanks, p.Limited = q.Get("feedback") == "thanks", q.Get("feedback") == "limited"
	h.render(w, "article", http.StatusOK, p)
}

// feedback records "was this helpful?". Strangers can call it, so it is
// limited per address; the answer comes back as a redirect (no script).
func (h *HelpCenter) feedback(w http.ResponseWriter, r *http.Request) {
	lang, slug := r.PathValue("lang"), r.PathValue("slug")
	if !slices.Contains(kb.Languages, lang) {
		http.NotFound(w, r)
		return
	}
	back := "/help/" + lang + "/articles/" + url.PathEscape(slug)
	if !h.FeedbackLimiter.Allow("help-feedback:" + h.ClientIP(r)) {
		http.Redirect(w, r, back+"?feedback=limited", http.StatusSeeOther)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 1<<10)
	v := r.PostFormValue("helpful")
	if v != "yes" && v != "no" {
		http.Error(w, "helpful must be yes or no", http.StatusUnprocessableEntity)
		return
	}
	art, err := h.KB.Read(r.Context(), slug, lang, kb.Public)
	if apperr.Is(err, apperr.NotFound) {
		http.NotFound(w, r)
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.KB.Feedback(r.Context(), art.ArticleID, art.Language, v == "yes"); err != nil {
		h.fail(w, r, err)
		return
	}
	http.Redirect(w, r, back+"?feedback=thanks", http.StatusSeeOther)
}

func (h *HelpCenter) search(w http.ResponseWriter, r *http.Request) {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	if len(q) > 200 {
		q = strings.ToValidUTF8(q[:200], "")
	}
	p, ok := h.newPage(w, r, "/search?q="+url.QueryEscape(q))
	if !ok {
		return
	}
	p.Query = q
	if q != "" {
		p.Hits = h.KB.Search(q, kb.SearchOptions{Language: p.Lang, Limit: 20})
		p.Title = p.T("help.results", q) + " · " + p.T("help.title")
	}
	h.render(w, "search", http.StatusOK, p)
}
