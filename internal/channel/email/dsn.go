package email

import (
	"bufio"
	"bytes"
	"net/textproto"
	"strings"
)

// Bounce is what a delivery status notification (RFC 3464) says about the
// recipients of a message the desk sent.
type Bounce struct {
	Recipients []BounceRecipient
}

// BounceRecipient is one per-recipient block of a DSN.
type BounceRecipient struct {
	Address    string
	Action     string // failed, delayed, delivered, relayed, expanded
	Status     string // "5.1.1"
	Diagnostic string
}

// Permanent reports whether delivery to the recipient failed for good: a
// failed action with a 5.x.x status. A 4.x.x "delayed" is still trying.
func (r BounceRecipient) Permanent() bool {
	return r.Action == "failed" && strings.HasPrefix(r.Status, "5")
}

// parseDeliveryStatus reads a message/delivery-status body: one block of
// per-message fields, then a block per recipient, separated by blank lines.
func parseDeliveryStatus(b []byte) Bounce {
	var out Bounce
	r := textproto.NewReader(bufio.NewReader(bytes.NewReader(bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n")))))
	first := true
	for {
		h, err := r.ReadMIMEHeader()
		if len(h) > 0 && !first {
			rcpt := BounceRecipient{
				Address:    addressField(h.Get("Final-Recipient")),
				Action:     strings.ToLower(strings.TrimSpace(h.Get("Action"))),
				Status:     strings.TrimSpace(h.Get("Status")),
				Diagnostic: strings.TrimSpace(h.Get("Diagnostic-Code")),
			}
			if rcpt.Address == "" {
				rcpt.Address = addressField(h.Get("Original-Recipient"))
			}
			if rcpt.Status, _, _ = strings.Cut(rcpt.Status, " "); rcpt.Address != "" {
				out.Recipients = append(out.Recipients, rcpt)
			}
		}
		if len(h) > 0 {
			first = false
		}
		if err != nil {
			return out
		}
	}
}

// addressField reads "rfc822; user@example.com".
func addressField(v string) string {
	if _, addr, ok := strings.Cut(v, ";"); ok {
		v = addr
	}
	return strings.ToLower(strings.Trim(strings.TrimSpace(v), "<>"))
}
