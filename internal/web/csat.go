package web

import (
	"embed"
	"html/template"
	"log/slog"
	"net/http"
	"strconv"

	"vigil/internal/apperr"
	"vigil/internal/assets"
	"vigil/internal/auth"
	"vigil/internal/i18n"
	"vigil/internal/report"
)

//go:embed csat/*.html
var csatFiles embed.FS

// SurveyDeps are what the public rating page needs.
type SurveyDeps struct {
	Reports  *report.Service
	Logger   *slog.Logger
	ClientIP func(*http.Request) string
	// Limiter throttles rating pages per address: the links are signed,
	// but a stranger may still try many.
	Limiter *auth.Limiter
}

// SurveyPage serves /csat/{token}: the page a customer reaches from the
// rating link in an email or chat message. It has no script and is shown
// in the conversation's language.
type SurveyPage struct {
	SurveyDeps
	page *template.Template
	css  string
}

// NewSurveyPage parses the rating page.
func NewSurveyPage(d SurveyDeps) *SurveyPage {
	css := assets.New(helpFiles, "helpcenter/static", "/help-assets/").URL("help.css")
	return &SurveyPage{SurveyDeps: d, css: css, page: template.Must(template.ParseFS(csatFiles, "csat/rate.html"))}
}

// Register adds the rating page's routes.
func (s *SurveyPage) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /csat/{token}", s.show)
	mux.HandleFunc("POST /csat/{token}", s.answer)
}

type surveyView struct {
	Lang, HTMLLang string
	CSS, Token     string
	Form, Done     bool
	Error          string
	Comment        string
	Ratings        []ratingOption
}

type ratingOption struct {
	Value   int
	Label   string
	Checked bool
}

// T translates in the survey's language.
func (v *surveyView) T(key string, args ...any) string { return i18n.T(v.Lang, key, args...) }

func (s *SurveyPage) view(r *http.Request, lang string, chosen int) *surveyView {
	if lang == "" {
		lang = i18n.Negotiate(r.Header.Get("Accept-Language"))
	}
	v := &surveyView{Lang: i18n.Normalize(lang), CSS: s.css, Token: r.PathValue("token"), Form: true}
	v.HTMLLang = map[string]string{"zh": "zh-Hans"}[v.Lang]
	if v.HTMLLang == "" {
		v.HTMLLang = v.Lang
	}
	for i := 5; i >= 1; i-- {
		v.Ratings = append(v.Ratings, ratingOption{Value: i, Label: v.T("csat.rating_" + strconv.Itoa(i)), Checked: i == chosen})
	}
	return v
}

func (s *SurveyPage) limited(w http.ResponseWriter, r *http.Request) bool {
	if s.Limiter.Allow("csat:" + s.ClientIP(r)) {
		return false
	}
	w.Header().Set("Retry-After", "60")
	v := s.view(r, "", 0)
	v.Form, v.Error = false, v.T("csat.limited")
	s.render(w, http.StatusTooManyRequests, v)
	return true
}

func (s *SurveyPage) show(w http.ResponseWriter, r *http.Request) {
	if s.limited(w, r) {
		return
	}
	sv, err := s.Reports.Open(r.Context(), r.PathValue("token"))
	// The widget's rating card links here with the score chosen.
	chosen, _ := strconv.Atoi(r.URL.Query().Get("rating"))
	v := s.view(r, sv.Language, chosen)
	if err != nil {
		s.refuse(w, r, v, err)
		return
	}
	s.render(w, http.StatusOK, v)
}

func (s *SurveyPage) answer(w http.ResponseWriter, r *http.Request) {
	if s.limited(w, r) {
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	rating, _ := strconv.Atoi(r.PostFormValue("rating"))
	comment := r.PostFormValue("comment")
	sv, err := s.Reports.Answer(r.Context(), r.PathValue("token"), rating, comment)
	if err != nil {
		// Keep what the customer typed so a refused answer loses nothing.
		open, _ := s.Reports.Open(r.Context(), r.PathValue("token"))
		v := s.view(r, open.Language, rating)
		v.Comment = comment
		s.refuse(w, r, v, err)
		return
	}
	v := s.view(r, sv.Language, 0)
	v.Form, v.Done = false, true
	s.render(w, http.StatusOK, v)
}

// refuse shows why a link or an answer was not accepted; only a bad
// rating or comment leaves the form up to try again.
func (s *SurveyPage) refuse(w http.ResponseWriter, r *http.Request, v *surveyView, err error) {
	e, ok := apperr.As(err)
	if !ok || e.Kind == apperr.Internal {
		s.Logger.Error("csat", "component", "web", "err", err)
		v.Form, v.Error = false, v.T("widget.error")
		s.render(w, http.StatusInternalServerError, v)
		return
	}
	v.Error = v.T(e.Code)
	status := http.StatusUnprocessableEntity
	switch e.Kind {
	case apperr.NotFound:
		v.Form, status = false, http.StatusNotFound
	case apperr.Conflict:
		v.Form, status = false, http.StatusConflict
	case apperr.Invalid:
		if e.Code == "csat.expired" {
			v.Form, status = false, http.StatusGone
		}
	}
	s.render(w, status, v)
}

func (s *SurveyPage) render(w http.ResponseWriter, status int, v *surveyView) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if err := s.page.Execute(w, v); err != nil {
		s.Logger.Error("render", "component", "web", "page", "csat", "err", err)
	}
}
