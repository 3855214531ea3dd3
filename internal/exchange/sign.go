package exchange

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"time"
)

// Signature headers. Every request (and nothing else) is signed: the
// exchange rejects a request whose signature does not match or whose
// timestamp is outside the replay window.
const (
	HeaderTimestamp = "X-Vigil-Timestamp"
	HeaderSignature = "X-Vigil-Signature"
	HeaderIdemKey   = "Idempotency-Key"
)

// ReplayWindow is how far a request's timestamp may be from the receiver's
// clock, either way.
const ReplayWindow = 5 * time.Minute

// Sign returns the hex HMAC-SHA256 of timestamp, method, path (with its
// query string) and body, each separated by a newline.
func Sign(secret []byte, ts int64, method, path string, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(strconv.FormatInt(ts, 10)))
	m.Write([]byte{'\n'})
	m.Write([]byte(method))
	m.Write([]byte{'\n'})
	m.Write([]byte(path))
	m.Write([]byte{'\n'})
	m.Write(body)
	return "v1=" + hex.EncodeToString(m.Sum(nil))
}

// CheckSignature reports why a request's signature is not acceptable, or
// "" when it is. now is the receiver's clock.
func CheckSignature(secret []byte, now time.Time, tsHeader, sig, method, path string, body []byte) string {
	ts, err := strconv.ParseInt(tsHeader, 10, 64)
	if err != nil {
		return "missing or malformed " + HeaderTimestamp
	}
	skew := now.Sub(time.Unix(ts, 0))
	if skew > ReplayWindow || skew < -ReplayWindow {
		return "timestamp outside the replay window"
	}
	if !hmac.Equal([]byte(sig), []byte(Sign(secret, ts, method, path, body))) {
		return "bad signature"
	}
	return ""
}
