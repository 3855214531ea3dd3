package web

import (
	"bytes"
	"encoding/base64"
	"html/template"
	"image/png"
	"net/http"
	"net/url"
	"strings"

	"github.com/pquerna/otp"

	"vigil/internal/api"
	"vigil/internal/apperr"
	"vigil/internal/auth"
	"vigil/internal/i18n"
)

type loginData struct {
	Email    string
	Next     string
	NeedCode bool
}

func (c *Console) loginPage(w http.ResponseWriter, r *http.Request) {
	p := c.newPage(r, "")
	p.Title = p.T("console.sign_in")
	p.Data = loginData{Next: safeNext(r.URL.Query().Get("next"))}
	c.render(w, "login", http.StatusOK, p)
}

// login checks the form and opens a session. The form carries no CSRF
// token (there is no session yet); a cross-site post is refused by its
// Origin instead, so nobody can sign a victim into an attacker's account.
func (c *Console) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	p := c.newPage(r, "")
	p.Title = p.T("console.sign_in")
	if !sameOrigin(r) {
		http.Error(w, "cross-site sign-in refused", http.StatusForbidden)
		return
	}
	data := loginData{Email: strings.TrimSpace(r.PostFormValue("email")), Next: safeNext(r.PostFormValue("next"))}
	p.Data = &data
	ip := c.ClientIP(r)
	if c.LoginLimiter != nil && !c.LoginLimiter.Allow("login:"+ip) {
		p.Error = i18n.T(p.Lang, "auth.rate_limited")
		c.render(w, "login", http.StatusTooManyRequests, p)
		return
	}
	code := strings.TrimSpace(r.PostFormValue("code"))
	in := auth.LoginInput{Email: data.Email, Password: r.PostFormValue("password"), IP: ip, UserAgent: r.UserAgent()}
	// A code of more than six digits is a recovery code.
	if len(strings.ReplaceAll(code, "-", "")) > 6 {
		in.RecoveryCode = code
	} else {
		in.TOTPCode = code
	}
	s, err := c.Auth.Login(r.Context(), in)
	if err != nil {
		status, msg, ok := api.Explain(err, p.Lang)
		if !ok {
			c.fail(w, r, err)
			return
		}
		code := ""
		if e, ok := apperr.As(err); ok {
			code = e.Code
		}
		data.NeedCode = code == "auth.totp_required" || code == "auth.totp_invalid" || in.TOTPCode != "" || in.RecoveryCode != ""
		p.Error = msg
		c.render(w, "login", status, p)
		return
	}
	c.API.SetSessionCookie(w, s.Token, s.ExpiresAt)
	next := data.Next
	if s.MustEnrolTOTP {
		next = "/console/security"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (c *Console) logout(w http.ResponseWriter, r *http.Request, p *page) {
	if ck, err := r.Cookie(api.SessionCookie); err == nil {
		if err := c.Auth.Logout(r.Context(), ck.Value); err != nil {
			c.fail(w, r, err)
			return
		}
	}
	c.API.ClearSessionCookie(w)
	http.Redirect(w, r, "/console/login", http.StatusSeeOther)
}

// setLang stores the agent's language choice for the console.
func (c *Console) setLang(w http.ResponseWriter, r *http.Request, p *page) {
	lang := i18n.Normalize(r.PostFormValue("lang"))
	http.SetCookie(w, &http.Cookie{Name: langCookie, Value: lang, Path: "/", MaxAge: 365 * 24 * 3600,
		HttpOnly: true, Secure: c.SecureCookies, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, safeNext(r.PostFormValue("next")), http.StatusSeeOther)
}

type securityData struct {
	Enabled  bool
	Required bool
	Key      string
	QR       template.URL // a data: URL
	Recovery []string
}

func (c *Console) securityPage(w http.ResponseWriter, r *http.Request, p *page) {
	p.Title = p.T("console.security")
	enabled, err := c.Auth.TOTPEnabled(r.Context(), p.Agent.ID)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	d := &securityData{Enabled: enabled, Required: p.Principal.MustEnrolTOTP}
	p.Data = d
	if !enabled {
		en, err := c.Auth.BeginTOTP(r.Context(), p.Agent.ID, p.Agent.Email)
		if err != nil {
			c.fail(w, r, err)
			return
		}
		d.Key, d.QR = en.Secret, qrDataURL(en.URL)
	}
	c.render(w, "security", http.StatusOK, p)
}

func (c *Console) security(w http.ResponseWriter, r *http.Request, p *page) {
	p.Title = p.T("console.security")
	codes, err := c.Auth.ConfirmTOTP(r.Context(), p.Agent.ID, strings.TrimSpace(r.PostFormValue("code")))
	if err != nil {
		status, msg, ok := api.Explain(err, p.Lang)
		if !ok {
			c.fail(w, r, err)
			return
		}
		p.Error = msg
		d := &securityData{Required: p.Principal.MustEnrolTOTP, Key: r.PostFormValue("key")}
		if d.Key != "" {
			d.QR = qrDataURL((&url.URL{Scheme: "otpauth", Host: "totp", Path: "/Vigil:" + p.Agent.Email,
				RawQuery: url.Values{"secret": {d.Key}, "issuer": {"Vigil"}}.Encode()}).String())
		}
		p.Data = d
		c.render(w, "security", status, p)
		return
	}
	p.Data = &securityData{Enabled: true, Recovery: codes}
	c.render(w, "security", http.StatusOK, p)
}

// qrDataURL renders an otpauth URL as a PNG QR code in a data: URL, so
// the secret never leaves the page in a request.
func qrDataURL(otpURL string) template.URL {
	key, err := otp.NewKeyFromURL(otpURL)
	if err != nil {
		return ""
	}
	img, err := key.Image(220, 220)
	if err != nil {
		return ""
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return ""
	}
	return template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes()))
}

// safeNext keeps redirects on this site's console.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/console/") || strings.HasPrefix(next, "//") || strings.Contains(next, "\\") {
		return "/console/inbox"
	}
	return next
}

// sameOrigin accepts a form post whose Origin (or, failing that, Referer)
// names this host.
func sameOrigin(r *http.Request) bool {
	src := r.Header.Get("Origin")
	if src == "" {
		src = r.Header.Get("Referer")
	}
	if src == "" {
		return r.Header.Get("Sec-Fetch-Site") != "cross-site"
	}
	u, err := url.Parse(src)
	return err == nil && u.Host == r.Host
}
