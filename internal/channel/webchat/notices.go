package webchat

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"vigil/internal/api"
	"vigil/internal/apperr"
	"vigil/internal/i18n"
	"vigil/internal/incident"
)

// Viewer is who a notice is for: a signed-in customer, or an anonymous
// visitor described by the words of the page they opened the chat on.
type Viewer struct {
	CustomerID int64 // 0: anonymous
	Page       []string
}

// notice is a banner as the widget shows it.
// Window is its times in UTC and in the zone they were planned in (empty
// for an incident, which has no end); StartsAt and EndsAt let the script
// add the reader's own time.
type notice struct {
	Title    string `json:"title"`
	Body     string `json:"body"`
	Window   string `json:"window,omitempty"`
	StartsAt string `json:"starts_at,omitempty"`
	EndsAt   string `json:"ends_at,omitempty"`
}

// noticesFor lists the viewer's banners in lang; a failure shows none, as
// the chat matters more than the banner.
func (w *Widget) noticesFor(ctx context.Context, v Viewer, lang string) []notice {
	out := []notice{}
	if w.Announcements == nil {
		return out
	}
	list, err := w.Announcements(ctx, v)
	if err != nil {
		w.Logger.Warn("announcements not shown", "component", "webchat", "err", err)
	}
	for _, a := range list {
		n := notice{Title: a.Title(lang), Body: a.Body(lang), Window: a.Window()}
		if n.Window != "" {
			n.StartsAt, n.EndsAt = a.StartsAt.UTC().Format(time.RFC3339), a.EndsAt.UTC().Format(time.RFC3339)
		}
		out = append(out, n)
	}
	return out
}

// notices answers the banners for the signed-in customer: only the
// incidents that concern what they use. A visitor without a signed
// identity gets those of the page they are on.
func (w *Widget) notices(rw http.ResponseWriter, r *http.Request) {
	p := api.PrincipalFrom(r.Context())
	if w.NoticeLimiter != nil && !w.NoticeLimiter.Allow(strconv.FormatInt(p.CustomerID, 10)) {
		api.WriteError(rw, r, w.Logger, apperr.New(apperr.TooMany, "widget.rate_limited", "too many requests; try again shortly"))
		return
	}
	v := Viewer{Page: incident.PageWords(r.URL.Query().Get("context"))}
	if p.Verified {
		v.CustomerID = p.CustomerID
	}
	lang := i18n.Negotiate(r.Header.Get("Accept-Language"))
	if l := r.URL.Query().Get("lang"); l != "" {
		lang = i18n.Normalize(l)
	}
	api.WriteJSON(rw, http.StatusOK, map[string]any{"notices": w.noticesFor(r.Context(), v, lang)})
}
