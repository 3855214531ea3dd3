package email

import (
	"bytes"
	"strings"

	"github.com/emersion/go-msgauth/dkim"
)

// maxSignatures bounds the DKIM signatures checked per message; each costs
// a DNS lookup and a signature verification.
const maxSignatures = 5

// signedBy reports whether the message carries a valid DKIM signature
// from the From address's domain or a parent of it (DMARC's relaxed
// alignment): the one sign that the From address was not forged. A DNS
// failure counts as unverified; the message is still stored.
func (r *Receiver) signedBy(raw []byte, from string) bool {
	_, domain, ok := strings.Cut(from, "@")
	if !ok || !bytes.Contains(raw, []byte("DKIM-Signature")) && !bytes.Contains(raw, []byte("dkim-signature")) {
		return false
	}
	vs, err := dkim.VerifyWithOptions(bytes.NewReader(raw), &dkim.VerifyOptions{LookupTXT: r.lookupTXT, MaxVerifications: maxSignatures})
	if err != nil && len(vs) == 0 {
		return false
	}
	for _, v := range vs {
		d := strings.ToLower(v.Domain)
		if v.Err == nil && (domain == d || strings.HasSuffix(domain, "."+d)) {
			return true
		}
	}
	return false
}
