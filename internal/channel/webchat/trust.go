package webchat

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"html/template"
	"net/http"
	"strconv"
	"time"

	"vigil/internal/api"
	"vigil/internal/apperr"
	"vigil/internal/audit"
	"vigil/internal/customer"
	"vigil/internal/i18n"
	"vigil/internal/ticket"
	"vigil/internal/trust"
)

// Trust is what the widget needs from the trust service.
type Trust interface {
	RecordIdentified(ctx context.Context, c ticket.Conversation) error
	FreezeSelf(ctx context.Context, in trust.SelfFreeze) (trust.FreezeResult, error)
	Verify(ctx context.Context, q string) (trust.Answer, error)
	ReportImpersonation(ctx context.Context, r trust.Report) (int64, error)
}

// recordLevel records that the exchange signed this customer's identity,
// once per conversation. A failure costs the level, not the message.
func (w *Widget) recordLevel(r *http.Request, c ticket.Conversation) {
	if w.Trust == nil || !api.PrincipalFrom(r.Context()).Verified {
		return
	}
	if err := w.Trust.RecordIdentified(r.Context(), c); err != nil {
		w.Logger.Warn("identity level not recorded", "component", "webchat", "conversation", c.ID, "err", err)
	}
}

// freeze is the widget's "Freeze my account": only for a customer the
// exchange signed in, since the freeze acts on that account.
func (w *Widget) freeze(rw http.ResponseWriter, r *http.Request) {
	var req struct {
		Reason   string `json:"reason"`
		Language string `json:"language"`
	}
	if err := api.Decode(rw, r, w.MaxBody, &req); err != nil {
		api.WriteError(rw, r, w.Logger, err)
		return
	}
	p := api.PrincipalFrom(r.Context())
	if w.Trust == nil {
		api.WriteError(rw, r, w.Logger, apperr.New(apperr.Unavailable, "trust.no_exchange", "no exchange is connected"))
		return
	}
	if !p.Verified {
		api.WriteError(rw, r, w.Logger, apperr.Forbiddenf("trust.identity_required", "sign in to the exchange first"))
		return
	}
	if !w.MessageLimiter.Allow("freeze:" + strconv.FormatInt(p.CustomerID, 10)) {
		api.WriteError(rw, r, w.Logger, apperr.New(apperr.TooMany, "widget.rate_limited", "you are sending messages too fast"))
		return
	}
	res, err := w.Trust.FreezeSelf(r.Context(), trust.SelfFreeze{CustomerID: p.CustomerID, Source: "widget", Reason: req.Reason,
		Language: i18n.Normalize(req.Language)})
	if err != nil {
		api.WriteError(rw, r, w.Logger, err)
		return
	}
	api.WriteJSON(rw, http.StatusCreated, map[string]any{"frozen": res.Frozen, "next_steps": res.NextStep,
		"conversation": forCustomer(res.Conversation)})
}

// FreezeLink returns the path of a signed freeze link for security emails:
// /freeze?uid=…&exp=…&sig=hex(HMAC-SHA256(secret, "freeze\n" uid "\n" exp)).
// The exchange makes these with the widget secret it already shares.
func FreezeLink(secret []byte, uid string, exp time.Time) string {
	e := strconv.FormatInt(exp.Unix(), 10)
	return "/freeze?uid=" + uid + "&exp=" + e + "&sig=" + freezeSig(secret, uid, e)
}

func freezeSig(secret []byte, uid, exp string) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("freeze\n" + uid + "\n" + exp))
	return hex.EncodeToString(m.Sum(nil))
}

// checkLink validates a freeze link's fields.
func (w *Widget) checkLink(uid, exp, sig string) bool {
	if len(w.WidgetSecret) == 0 || uid == "" || len(uid) > 64 || len(sig) != 64 {
		return false
	}
	n, err := strconv.ParseInt(exp, 10, 64)
	if err != nil || w.Now().After(time.Unix(n, 0)) {
		return false
	}
	return hmac.Equal([]byte(sig), []byte(freezeSig(w.WidgetSecret, uid, exp)))
}

var freezeTemplate = template.Must(template.New("freeze").Parse(`<!doctype html>
<html lang="{{.Lang}}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title><link rel="stylesheet" href="{{.CSS}}"></head>
<body><main class="freeze-page">
<h1>{{.Title}}</h1>
{{if .Error}}<p class="error" role="alert">{{.Error}}</p>{{end}}
{{if .Done}}<p id="freeze-result" role="status">{{.Done}}</p>
{{else if .UID}}<p>{{.Explain}}</p>
<form method="post" action="/freeze"><input type="hidden" name="uid" value="{{.UID}}"><input type="hidden" name="exp" value="{{.Exp}}">
<input type="hidden" name="sig" value="{{.Sig}}"><input type="hidden" name="lang" value="{{.Lang}}">
<button type="submit" class="danger" id="freeze-now">{{.Button}}</button></form>{{end}}
<p class="hint">{{.NeverAsk}}</p>
</main></body></html>`))

// freezePage shows the signed link's confirmation. A GET never freezes:
// mail scanners open links by themselves.
func (w *Widget) freezePage(rw http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	lang := i18n.Negotiate(r.Header.Get("Accept-Language"))
	if l := q.Get("lang"); l != "" {
		lang = i18n.Normalize(l)
	}
	d := w.freezeData(lang)
	status := http.StatusOK
	if w.checkLink(q.Get("uid"), q.Get("exp"), q.Get("sig")) {
		d["UID"], d["Exp"], d["Sig"] = q.Get("uid"), q.Get("exp"), q.Get("sig")
		d["Explain"] = i18n.T(lang, "freeze.explain", q.Get("uid"))
	} else {
		d["Error"], status = i18n.T(lang, "trust.link_invalid"), http.StatusForbidden
	}
	w.renderFreeze(rw, status, d)
}

// freezeByLink freezes the account named by a valid signed link.
func (w *Widget) freezeByLink(rw http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(rw, r.Body, 4<<10)
	uid, exp, sig := r.PostFormValue("uid"), r.PostFormValue("exp"), r.PostFormValue("sig")
	lang := i18n.Normalize(r.PostFormValue("lang"))
	d := w.freezeData(lang)
	if !w.SessionLimiter.Allow("freeze-link:" + w.ClientIP(r)) {
		d["Error"] = i18n.T(lang, "auth.rate_limited")
		w.renderFreeze(rw, http.StatusTooManyRequests, d)
		return
	}
	if w.Trust == nil || !w.checkLink(uid, exp, sig) {
		d["Error"] = i18n.T(lang, "trust.link_invalid")
		w.renderFreeze(rw, http.StatusForbidden, d)
		return
	}
	ctx := audit.WithActor(r.Context(), audit.Actor{Kind: "customer", IP: w.ClientIP(r)})
	cu, err := w.Customers.ByUID(ctx, uid)
	if apperr.Is(err, apperr.NotFound) {
		cu, err = w.Customers.Create(ctx, customer.Input{UID: &uid, Language: &lang})
	}
	if err == nil {
		ctx = audit.WithActor(r.Context(), audit.Actor{Kind: "customer", ID: cu.ID, IP: w.ClientIP(r)})
		var res trust.FreezeResult
		if res, err = w.Trust.FreezeSelf(ctx, trust.SelfFreeze{CustomerID: cu.ID, Source: "link", Reason: "not_me", Language: lang}); err == nil {
			d["Title"], d["Done"] = i18n.T(lang, "freeze.done_title"), res.NextStep
			w.renderFreeze(rw, http.StatusOK, d)
			return
		}
	}
	status, msg, ok := api.Explain(err, lang)
	if !ok {
		w.Logger.Error("freeze by link", "component", "webchat", "err", err)
		msg = i18n.T(lang, "internal")
	}
	d["Error"] = msg
	w.renderFreeze(rw, status, d)
}

func (w *Widget) freezeData(lang string) map[string]any {
	return map[string]any{"Lang": lang, "Title": i18n.T(lang, "freeze.title"), "CSS": w.assets.URL("chat.css"),
		"Button": i18n.T(lang, "freeze.button"), "NeverAsk": i18n.T(lang, "widget.never_ask")}
}

func (w *Widget) renderFreeze(rw http.ResponseWriter, status int, d map[string]any) {
	h := rw.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", "default-src 'self'; style-src 'self'; form-action 'self'; frame-ancestors 'none'")
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	rw.WriteHeader(status)
	if err := freezeTemplate.Execute(rw, d); err != nil {
		w.Logger.Error("render freeze page", "component", "webchat", "err", err)
	}
}
