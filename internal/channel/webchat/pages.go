package webchat

import (
	"encoding/json"
	"html/template"
	"net/http"
	"strings"

	"vigil/internal/i18n"
	"vigil/internal/incident"
	"vigil/internal/ticket"
)

// loader is the embeddable snippet's script: it adds a launcher button
// and the chat iframe to the host page.
func (w *Widget) loader(rw http.ResponseWriter, r *http.Request) {
	body, ctype := w.assets.Body("widget.js")
	rw.Header().Set("Content-Type", ctype)
	rw.Header().Set("Cache-Control", "public, max-age=300")
	rw.Header().Set("Access-Control-Allow-Origin", "*")
	_, _ = rw.Write(body)
}

var chatTemplate = template.Must(template.New("chat").Parse(`<!doctype html>
<html lang="{{.Lang}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<link rel="stylesheet" href="{{.CSS}}">
</head>
<body>
{{range .Notices}}<div class="announcement" role="status"><strong>{{.Title}}</strong> {{.Body}}{{if .Window}} <time class="window" datetime="{{.StartsAt}}" data-end="{{.EndsAt}}">{{.Window}}</time>{{end}}</div>
{{end}}<main id="chat" data-strings="{{.Strings}}" data-categories="{{.Categories}}" data-lang="{{.Lang}}" aria-live="polite">
<noscript>{{.NoScript}}</noscript>
</main>
<script src="{{.JS}}"></script>
</body>
</html>`))

// widgetKeys are the catalogue entries the chat page uses.
var widgetKeys = []string{
	"widget.title", "widget.start", "widget.language", "widget.topic", "widget.email", "widget.email_hint", "widget.first_message",
	"widget.send", "widget.placeholder", "widget.attach", "widget.queue_position", "widget.wait_estimate", "widget.no_agents",
	"widget.connecting", "widget.reconnecting", "widget.connected", "widget.typing", "widget.read", "widget.history",
	"widget.new_conversation", "widget.bot", "widget.agent", "widget.you", "widget.error", "widget.verified", "widget.closed",
	"widget.attachment_too_large", "widget.back", "widget.local_time",
	"widget.freeze", "widget.freeze_hint", "widget.freeze_reason", "widget.freeze_reason.not_me", "widget.freeze_reason.withdrawal",
	"widget.freeze_reason.other", "widget.freeze_confirm", "widget.freeze_cancel", "widget.freeze_done", "widget.never_ask", "widget.staff_id",
	"widget.rate", "widget.rate_n",
	"widget.callback", "widget.callback_hint", "widget.callback_from", "widget.callback_to", "widget.callback_phone", "widget.callback_note",
	"widget.callback_send", "widget.callback_done", "widget.complaint.action", "widget.complaint.confirm",
}

// chatPage is the page inside the iframe, and the standalone chat for an
// app's web view.
func (w *Widget) chatPage(rw http.ResponseWriter, r *http.Request) {
	lang := i18n.Negotiate(r.Header.Get("Accept-Language"))
	if l := r.URL.Query().Get("lang"); l != "" {
		lang = i18n.Normalize(l)
	}
	strs := map[string]string{}
	for _, k := range widgetKeys {
		strs[strings.TrimPrefix(k, "widget.")] = i18n.T(lang, k)
	}
	cats := map[string]string{}
	for _, c := range ticket.Categories {
		cats[c] = i18n.T(lang, "category."+c)
	}
	// The visitor is not known yet (the identity arrives after the page):
	// the page shows what concerns anyone on it, and the script asks again
	// once the session says who they are.
	notices := w.noticesFor(r.Context(), Viewer{Page: incident.PageWords(r.URL.Query().Get("context"))}, lang)
	sj, _ := json.Marshal(strs)
	cj, _ := json.Marshal(map[string]any{"order": ticket.Categories, "names": cats})
	h := rw.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data: blob:; connect-src 'self'; style-src 'self'; script-src 'self'")
	h.Set("Cache-Control", "no-store")
	_ = chatTemplate.Execute(rw, map[string]any{
		"Lang": lang, "Title": i18n.T(lang, "widget.title"), "Strings": string(sj), "Categories": string(cj),
		"CSS": w.assets.URL("chat.css"), "JS": w.assets.URL("chat.js"), "NoScript": i18n.T(lang, "widget.noscript"),
		"Notices": notices,
	})
}
