package webchat

import (
	"html/template"
	"net/http"

	"vigil/internal/api"
	"vigil/internal/audit"
	"vigil/internal/i18n"
	"vigil/internal/trust"
)

var verifyTemplate = template.Must(template.New("verify").Parse(`<!doctype html>
<html lang="{{.Lang}}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title><link rel="stylesheet" href="{{.CSS}}"></head>
<body><main class="verify-page">
<h1>{{.Title}}</h1>
<p>{{.Intro}}</p>
<form method="get" action="/verify" role="search"><input type="hidden" name="lang" value="{{.Lang}}">
<label for="q">{{.Label}}</label><input id="q" name="q" value="{{.Q}}" maxlength="512" required autocomplete="off" spellcheck="false">
<button type="submit" class="primary">{{.Check}}</button></form>
{{if .Error}}<p class="error" role="alert">{{.Error}}</p>{{end}}
{{with .Answer}}<section id="verdict" class="verdict verdict-{{.Verdict}}" role="status" aria-live="polite">
<h2>{{$.Verdict}}</h2><p>{{$.Text}}</p>{{if $.Lookalike}}<p><strong>{{$.Lookalike}}</strong></p>{{end}}
</section>{{end}}
{{if .Report}}<form method="post" action="/verify/report" id="report" class="report"><input type="hidden" name="q" value="{{.Q}}"><input type="hidden" name="lang" value="{{.Lang}}">
<label for="r-email">{{.ReportEmail}}</label><input id="r-email" name="email" type="email" maxlength="200">
<label for="r-details">{{.ReportDetails}}</label><textarea id="r-details" name="details" maxlength="4000" rows="3"></textarea>
<button type="submit" class="danger">{{.ReportButton}}</button></form>{{end}}
{{if .Done}}<p id="report-done" role="status">{{.Done}}</p>{{end}}
<p class="never-ask">{{.NeverAsk}}</p>
</main></body></html>`))

// verifyPage is the public "is this channel official?" page. Anyone may
// use it; it is rate limited per address like the API.
func (w *Widget) verifyPage(rw http.ResponseWriter, r *http.Request) {
	lang := w.pageLang(r, r.URL.Query().Get("lang"))
	d := w.verifyData(lang)
	q := r.URL.Query().Get("q")
	status := http.StatusOK
	if q != "" && w.Trust != nil {
		d["Q"] = q
		if w.VerifyLimiter != nil && !w.VerifyLimiter.Allow("verify:"+w.ClientIP(r)) {
			d["Error"], status = i18n.T(lang, "verify.rate_limited"), http.StatusTooManyRequests
		} else if a, err := w.Trust.Verify(r.Context(), q); err != nil {
			var msg string
			status, msg, _ = api.Explain(err, lang)
			d["Error"] = msg
		} else {
			w.describe(d, a, lang)
		}
	}
	w.renderPublic(rw, verifyTemplate, status, d)
}

func (w *Widget) describe(d map[string]any, a trust.Answer, lang string) {
	shown := a.Display
	if shown == "" {
		shown = a.Value
	}
	d["Answer"], d["Verdict"] = a, i18n.T(lang, "verify.verdict."+a.Verdict)
	switch a.Verdict {
	case trust.VerdictOfficial:
		d["Text"] = i18n.T(lang, "verify.official_text", shown)
	case trust.VerdictFormer:
		d["Text"], d["Report"] = i18n.T(lang, "verify.former_text", shown), true
	default:
		d["Text"], d["Report"] = i18n.T(lang, "verify.not_official_text", shown), true
		if a.LookalikeOf != "" {
			d["Lookalike"] = i18n.T(lang, "verify.lookalike_text", a.LookalikeOf)
		}
	}
}

// verifyReport takes an impersonation report from the page.
func (w *Widget) verifyReport(rw http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(rw, r.Body, 16<<10)
	lang := w.pageLang(r, r.PostFormValue("lang"))
	d := w.verifyData(lang)
	d["Q"] = r.PostFormValue("q")
	if w.ReportLimiter != nil && !w.ReportLimiter.Allow("report:"+w.ClientIP(r)) {
		d["Error"] = i18n.T(lang, "verify.rate_limited")
		w.renderPublic(rw, verifyTemplate, http.StatusTooManyRequests, d)
		return
	}
	if w.Trust == nil {
		d["Error"] = i18n.T(lang, "trust.no_exchange")
		w.renderPublic(rw, verifyTemplate, http.StatusServiceUnavailable, d)
		return
	}
	ctx := audit.WithActor(r.Context(), audit.Actor{Kind: "anonymous", IP: w.ClientIP(r)})
	id, err := w.Trust.ReportImpersonation(ctx, trust.Report{Query: r.PostFormValue("q"), Email: r.PostFormValue("email"),
		Details: r.PostFormValue("details"), Language: lang})
	if err != nil {
		status, msg, ok := api.Explain(err, lang)
		if !ok {
			w.Logger.Error("impersonation report", "component", "webchat", "err", err)
			msg = i18n.T(lang, "internal")
		}
		d["Error"] = msg
		w.renderPublic(rw, verifyTemplate, status, d)
		return
	}
	d["Done"] = i18n.T(lang, "verify.report_done", id)
	w.renderPublic(rw, verifyTemplate, http.StatusCreated, d)
}

func (w *Widget) pageLang(r *http.Request, explicit string) string {
	if explicit != "" {
		return i18n.Normalize(explicit)
	}
	return i18n.Negotiate(r.Header.Get("Accept-Language"))
}

func (w *Widget) verifyData(lang string) map[string]any {
	d := map[string]any{"Lang": lang, "CSS": w.assets.URL("chat.css")}
	for k, key := range map[string]string{"Title": "verify.title", "Intro": "verify.intro", "Label": "verify.label", "Check": "verify.check",
		"ReportEmail": "verify.report_email", "ReportDetails": "verify.report_details", "ReportButton": "verify.report", "NeverAsk": "verify.never_ask"} {
		d[k] = i18n.T(lang, key)
	}
	return d
}

func (w *Widget) renderPublic(rw http.ResponseWriter, t *template.Template, status int, d map[string]any) {
	h := rw.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", "default-src 'self'; style-src 'self'; form-action 'self'; frame-ancestors 'none'")
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	rw.WriteHeader(status)
	if err := t.Execute(rw, d); err != nil {
		w.Logger.Error("render public page", "component", "webchat", "err", err)
	}
}
