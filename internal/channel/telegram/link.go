package telegram

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"time"
)

// A link token rides in a deep link, t.me/<bot>?start=<token>, which
// Telegram limits to 64 characters of A-Z, a-z, 0-9, _ and -. So it is
// binary, not JSON: base64url(mac[16] || expiry[4] || uid), where mac is
// the first 16 bytes of HMAC-SHA256(secret, "vigil-telegram-link" ||
// expiry || uid) and expiry is Unix seconds, big-endian. A UID of up to 26
// bytes fits.
const (
	linkMAC     = 16
	maxLinkUID  = 26
	MaxLinkLife = time.Hour
)

var errLink = errors.New("telegram: the link is not valid")

// SignLink makes a link token for uid, as the exchange's backend does.
func SignLink(secret []byte, uid string, exp time.Time) string {
	body := make([]byte, 4, 4+len(uid))
	binary.BigEndian.PutUint32(body, uint32(exp.Unix()))
	body = append(body, uid...)
	return base64.RawURLEncoding.EncodeToString(append(linkSum(secret, body), body...))
}

// VerifyLink checks a link token and returns the UID and expiry it carries.
func VerifyLink(secret []byte, token string, now time.Time) (string, time.Time, error) {
	if len(secret) == 0 || len(token) > 64 {
		return "", time.Time{}, errLink
	}
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(raw) <= linkMAC+4 || len(raw) > linkMAC+4+maxLinkUID {
		return "", time.Time{}, errLink
	}
	mac, body := raw[:linkMAC], raw[linkMAC:]
	if !hmac.Equal(mac, linkSum(secret, body)) {
		return "", time.Time{}, errLink
	}
	exp := time.Unix(int64(binary.BigEndian.Uint32(body[:4])), 0)
	if !exp.After(now) || exp.After(now.Add(MaxLinkLife+time.Minute)) {
		return "", time.Time{}, errLink
	}
	return string(body[4:]), exp, nil
}

func linkSum(secret, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("vigil-telegram-link"))
	m.Write(body)
	return m.Sum(nil)[:linkMAC]
}
