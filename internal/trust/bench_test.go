package trust_test

import (
	"strings"
	"testing"

	"vigil/internal/ticket"
	"vigil/internal/trust"
)

// BenchmarkScan is the cost the secret screen adds to every customer
// message: a typical sentence, and a long message near the size limit.
func BenchmarkScan(b *testing.B) {
	for _, bc := range []struct{ name, body string }{
		{"sentence", "Hi, my USDT withdrawal W-88213407 on TRC20 is stuck at 12 of 20 confirmations since an hour, please check"},
		{"seed_phrase", "legal winner thank year wave sausage worth useful legal winner thank yellow"},
		{"8KiB", strings.Repeat("My deposit 0x5c504ed432cb51138bcf09aa5e8a410dd4a1e204ef84bfed1be16dfba1b22060 has not arrived. ", 80)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(bc.body)))
			for b.Loop() {
				trust.Scan(bc.body, trust.ScanContext{})
			}
		})
	}
}

func BenchmarkReadings(b *testing.B) {
	for b.Loop() {
		if _, err := trust.Readings("https://t.me/\u200bVigiISupport?start=1"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCustomerMessage is a customer message stored through the
// ticket service with the secret screen in place, as live chat does.
func BenchmarkCustomerMessage(b *testing.B) {
	e := newEnv(b)
	c := e.open("U10000001", "en", "hello")
	in := ticket.MessageInput{ConversationID: c.ID, AuthorKind: ticket.ByCustomer, AuthorID: c.CustomerID,
		Body: "My USDT withdrawal W-88213407 on TRC20 is stuck at 12 of 20 confirmations, please check"}
	for b.Loop() {
		if _, err := e.tickets.AddMessage(e.ctx, in); err != nil {
			b.Fatal(err)
		}
	}
}
