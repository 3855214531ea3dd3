package app

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"vigil/internal/audit"
	"vigil/internal/channel/sms"
	"vigil/internal/channel/sms/smstest"
	"vigil/internal/config"
	"vigil/internal/customer"
	"vigil/internal/db/dbtest"
	"vigil/internal/incident"
	"vigil/internal/ticket"
)

// A served desk with the SMS channel texts a campaign's customers through
// the provider, keeps the provider's receipts on each recipient, threads a
// reply into the campaign's conversation, and never texts a number again
// once it answered STOP.
func TestServeSMSCampaign(t *testing.T) {
	provider := smstest.New("AC0123456789abcdef0123456789abcdef", "sms-auth-token")
	api := httptest.NewServer(provider)
	defer api.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	desk := "http://" + ln.Addr().String()
	cfg := config.Defaults()
	cfg.DataDir, cfg.DatabaseURL, cfg.PublicURL = t.TempDir(), dbtest.URL(t), desk
	cfg.SMS = config.SMS{AccountSID: provider.AccountSID, AuthToken: "sms-auth-token", From: "+85230001234", API: api.URL}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	a, err := Open(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- a.Serve(ctx, ln) }()
	defer func() { cancel(); <-served }()

	actx := audit.WithActor(context.Background(), audit.Actor{Kind: "system"})
	var phones []string
	for _, p := range []struct{ uid, phone, lang string }{{"U1", "+85291110001", "en"}, {"U2", "+8613800000002", "zh"}} {
		uid, phone, lang := p.uid, p.phone, p.lang
		if _, err := a.Customers.Create(actx, customer.Input{UID: &uid, Name: &uid, Phone: &phone, Language: &lang}); err != nil {
			t.Fatal(err)
		}
		phones = append(phones, phone)
	}
	in := incident.CampaignInput{Name: "TRC20 delay", Channels: []string{"sms"}, RatePerMinute: 6000,
		Subjects: map[string]string{"en": "USDT withdrawals", "zh": "USDT 提现"},
		Bodies:   map[string]string{"en": "Hello {name}, TRC20 withdrawals are delayed; funds are safe.", "zh": "{name} 您好，TRC20 提现延迟，资金安全。"}}
	c, err := a.Incidents.CreateCampaign(actx, 0, in)
	if err != nil {
		t.Fatal(err)
	}
	if added, err := a.Incidents.AddRecipients(actx, c.ID, []string{"U1", "U2"}); err != nil || added.Queued != 2 {
		t.Fatalf("added %+v, %v", added, err)
	}
	waitFor(t, func() bool { return len(provider.Sent()) >= 2 })
	sent := provider.Sent()
	byTo := map[string]smstest.Message{}
	for _, m := range sent {
		byTo[m.To] = m
	}
	if m := byTo["+8613800000002"]; m.From != "+85230001234" || !containsAll(m.Body, "U2 您好", desk+"/verify") {
		t.Errorf("Chinese customer got %+v", m)
	}

	// Receipts: one delivered, one undelivered with the carrier's code;
	// a late "sent" does not undo "delivered".
	for _, r := range []struct {
		m            smstest.Message
		status, code string
	}{{byTo[phones[0]], "delivered", ""}, {byTo[phones[0]], "sent", ""}, {byTo[phones[1]], "undelivered", "30003"}} {
		if code, err := provider.Receipt(ctx, r.m, r.status, r.code); err != nil || code != http.StatusNoContent {
			t.Fatalf("receipt %s: %d %v", r.status, code, err)
		}
	}
	p, err := a.Incidents.Progress(actx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if p.Receipts["delivered"] != 1 || p.Receipts["undelivered"] != 1 || p.Delivery["delivered"] != 1 || p.Delivery["failed"] != 1 {
		t.Errorf("progress receipts %v, delivery %v", p.Receipts, p.Delivery)
	}

	// A reply lands in the campaign's conversation; a STOP opts out.
	if code, err := provider.Inbound(ctx, desk+sms.InboundPath, phones[0], "+85230001234", "Thanks, when will it arrive?"); err != nil || code != http.StatusOK {
		t.Fatalf("reply: %d %v", code, err)
	}
	convs, _, err := a.Tickets.List(actx, ticket.Scope{All: true}, ticket.Filter{Tag: incident.CampaignTag(c.ID)})
	if err != nil || len(convs) != 2 {
		t.Fatalf("campaign conversations %d, %v", len(convs), err)
	}
	replied := false
	for _, cv := range convs {
		ms, _ := a.Tickets.Messages(actx, ticket.Scope{All: true}, cv.ID, ticket.MessagesFilter{})
		for _, m := range ms {
			replied = replied || (m.AuthorKind == ticket.ByCustomer && m.Body == "Thanks, when will it arrive?")
		}
	}
	if !replied {
		t.Error("the reply is not in the campaign's conversation")
	}
	if code, err := provider.Inbound(ctx, desk+sms.InboundPath, phones[1], "+85230001234", "退订"); err != nil || code != http.StatusOK {
		t.Fatalf("stop: %d %v", code, err)
	}
	in.Name = "Resolved"
	c2, _ := a.Incidents.CreateCampaign(actx, 0, in)
	added, err := a.Incidents.AddRecipients(actx, c2.ID, []string{"U1", "U2"})
	if err != nil || added.Queued != 1 {
		t.Fatalf("second campaign added %+v, %v", added, err)
	}
	waitFor(t, func() bool { return len(provider.Sent()) >= 3 })
	time.Sleep(200 * time.Millisecond)
	for _, m := range provider.Sent()[2:] {
		if m.To == phones[1] {
			t.Errorf("texted %s after STOP", m.To)
		}
	}
	if p2, _ := a.Incidents.Progress(actx, c2.ID); p2.Skipped["opted_out"] != 1 {
		t.Errorf("second campaign skipped %v", p2.Skipped)
	}
}

func containsAll(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}
