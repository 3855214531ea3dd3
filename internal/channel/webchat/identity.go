package webchat

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
	"time"

	"vigil/internal/apperr"
)

// Claims is what the exchange's backend vouches for about a signed-in
// user. The token is base64url(JSON claims) "." base64url(HMAC-SHA256 of
// the first part with the shared widget secret).
type Claims struct {
	UID      string `json:"uid"`
	Name     string `json:"name,omitempty"`
	Email    string `json:"email,omitempty"`
	Language string `json:"language,omitempty"`
	Exp      int64  `json:"exp"`   // Unix seconds; at most MaxTokenLife ahead
	Nonce    string `json:"nonce"` // single use
}

// MaxTokenLife bounds how far ahead a token may expire, so a leaked token
// is useful for minutes, not days.
const MaxTokenLife = time.Hour

func identityError(code, msg string) error {
	return &apperr.Error{Kind: apperr.Unauthenticated, Code: code, Message: msg}
}

// VerifyIdentity checks a signed identity token's signature and lifetime.
// The nonce is checked for reuse by the caller, against storage.
func VerifyIdentity(secret []byte, token string, now time.Time) (Claims, error) {
	if len(secret) == 0 {
		return Claims{}, identityError("widget.identity_disabled", "signed identities are not configured on this desk")
	}
	if len(token) > 4096 {
		return Claims{}, identityError("widget.identity_invalid", "the identity token is too long")
	}
	payload, sig, ok := strings.Cut(token, ".")
	if !ok {
		return Claims{}, identityError("widget.identity_invalid", "the identity token is malformed")
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil {
		return Claims{}, identityError("widget.identity_invalid", "the identity token is malformed")
	}
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(payload))
	if !hmac.Equal(got, mac.Sum(nil)) {
		return Claims{}, identityError("widget.identity_invalid", "the identity token's signature is wrong")
	}
	raw, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return Claims{}, identityError("widget.identity_invalid", "the identity token is malformed")
	}
	var c Claims
	if err := json.Unmarshal(raw, &c); err != nil {
		return Claims{}, identityError("widget.identity_invalid", "the identity token is malformed")
	}
	exp := time.Unix(c.Exp, 0)
	switch {
	case c.UID == "" || len(c.UID) > 64:
		return Claims{}, identityError("widget.identity_invalid", "the identity token has no valid uid")
	case !exp.After(now):
		return Claims{}, identityError("widget.identity_expired", "the identity token has expired")
	case exp.After(now.Add(MaxTokenLife + time.Minute)):
		return Claims{}, identityError("widget.identity_invalid", "the identity token expires too far in the future")
	case c.Nonce == "":
		return Claims{}, identityError("widget.identity_invalid", "the identity token has no nonce")
	}
	return c, nil
}

// SignIdentity produces a token as the exchange's backend would; tests and
// the demo page use it.
func SignIdentity(secret []byte, c Claims) string {
	raw, _ := json.Marshal(c)
	payload := base64.RawURLEncoding.EncodeToString(raw)
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(payload))
	return payload + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}
