package email_test

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/emersion/go-msgauth/dkim"

	"vigil/internal/ticket"
)

// A customer's mail provider signs with DKIM; a forger cannot.
func TestSenderVerification(t *testing.T) {
	provider, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	dns := func(name string) ([]string, error) {
		if name == "s1._domainkey.mail.example" {
			return []string{dkimRecord(t, provider)}, nil
		}
		return nil, errors.New("no such record")
	}
	d := newDesk(t, deskOptions{lookupTXT: dns})
	sign := func(raw string, domain string) []byte {
		var out bytes.Buffer
		if err := dkim.Sign(&out, strings.NewReader(raw), &dkim.SignOptions{Domain: domain, Selector: "s1", Signer: provider,
			HeaderKeys: []string{"From", "To", "Subject", "Message-ID"}}); err != nil {
			t.Fatal(err)
		}
		return out.Bytes()
	}
	mail := func(id, subject string) string {
		return "From: Bea <bea@mail.example>\r\nTo: support@exchange.example\r\nSubject: " + subject + "\r\nMessage-ID: <" + id +
			"@mail.example>\r\n\r\nPlease help.\r\n"
	}
	notes := func(convID int64) int {
		n := 0
		for _, m := range d.Messages(t, convID) {
			if m.Internal && strings.Contains(m.Body, "could not be verified") {
				n++
			}
		}
		return n
	}

	// Signed by the From domain: verified, no warning.
	if err := d.send(t, "bea@mail.example", []string{support}, sign(mail("v1", "Withdrawal"), "mail.example")); err != nil {
		t.Fatal(err)
	}
	convs, _, _ := d.Tickets.List(d.Ctx, ticket.Scope{All: true}, ticket.Filter{})
	first := convs[0].ID
	if notes(first) != 0 {
		t.Fatal("a signed message was flagged")
	}
	token := " [#" + strconv.FormatInt(first, 10) + "]"
	// The same customer, signed, quoting the conversation number: threads.
	d.send(t, "bea@mail.example", []string{support}, sign(mail("v2", "More"+token), "mail.example"))
	// A forger using her address without her provider's signature: the
	// number is not trusted, and agents are warned.
	d.send(t, "bea@mail.example", []string{support}, []byte(mail("f1", "Change my withdrawal address"+token)))
	// A signature from another domain does not vouch for the From address.
	forged := strings.Replace(mail("f2", "Also"+token), "Message-ID", "X-Note: hi\r\nMessage-ID", 1)
	d.send(t, "bea@mail.example", []string{support}, sign(forged, "other.example"))

	if ms := d.Messages(t, first); len(ms) != 2 {
		t.Fatalf("the verified conversation has %d messages, want 2 (no forged ones)", len(ms))
	}
	convs, _, _ = d.Tickets.List(d.Ctx, ticket.Scope{All: true}, ticket.Filter{})
	if len(convs) != 3 {
		t.Fatalf("%d conversations, want the forged mails in their own", len(convs))
	}
	for _, c := range convs {
		if c.ID != first && notes(c.ID) != 1 {
			t.Errorf("conversation %d (%s) carries no warning", c.ID, c.Subject)
		}
	}
}
