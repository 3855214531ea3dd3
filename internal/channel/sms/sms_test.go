package sms_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"vigil/internal/channel"
	"vigil/internal/channel/sms"
	"vigil/internal/channel/sms/smstest"
	"vigil/internal/job"
	"vigil/internal/ticket"
)

// The signature matches the worked example of the provider's webhook
// security documentation.
func TestSignDocumentedExample(t *testing.T) {
	form := url.Values{"CallSid": {"CA1234567890ABCDE"}, "Caller": {"+12349013030"}, "Digits": {"1234"},
		"From": {"+12349013030"}, "To": {"+18005551212"}}
	if got := sms.Sign("12345", "https://mycompany.com/myapp.php?foo=1&bar=2", form); got != "0/KCTR6DLpKmkAf8muzZqo1nDgQ=" {
		t.Errorf("signature = %s", got)
	}
}

func outbound(id int64, to, body string) channel.Outbound {
	return channel.Outbound{To: to, Message: ticket.Message{ID: id, Body: body}, Key: ticket.DeliveryKey(id)}
}

// A message goes to the provider with the account's credentials, from the
// configured number, asking for receipts at the desk's URL for that
// message; the provider's refusals are retried or not as they deserve.
func TestSend(t *testing.T) {
	p := smstest.New("AC0123456789abcdef0123456789abcdef", "token-1")
	srv := httptest.NewServer(p)
	defer srv.Close()
	s := sms.NewSender(sms.Options{API: srv.URL, AccountSID: p.AccountSID, AuthToken: "token-1", From: "+85230001234",
		PublicURL: "https://desk.example/"})
	sid, err := s.Send(context.Background(), outbound(42, "+85291234567", " Your withdrawal is delayed. "))
	if err != nil {
		t.Fatal(err)
	}
	got := p.Sent()
	if len(got) != 1 || got[0].SID != sid || !strings.HasPrefix(sid, "SM") || got[0].To != "+85291234567" ||
		got[0].From != "+85230001234" || got[0].Body != "Your withdrawal is delayed." ||
		got[0].StatusCallback != "https://desk.example/channels/sms/status?message=42" {
		t.Fatalf("sent %+v, sid %s", got, sid)
	}

	// A second run of the same delivery (its worker was killed after the
	// provider took it) finds the message instead of sending it again.
	retry := outbound(42, "+85291234567", "Your withdrawal is delayed.")
	retry.Attempt = 2
	if again, err := s.Send(context.Background(), retry); err != nil || again != sid || len(p.Sent()) != 1 || p.Lists() != 1 {
		t.Fatalf("retried delivery: %s %v, provider has %d messages", again, err, len(p.Sent()))
	}
	// A retry of one that never got there sends it.
	retry = outbound(48, "+85291234567", "A different text.")
	retry.Attempt = 3
	if _, err := s.Send(context.Background(), retry); err != nil || len(p.Sent()) != 2 {
		t.Fatalf("retry of an unsent message: %v, provider has %d", err, len(p.Sent()))
	}

	p.Unsubscribe("+85290000000")
	_, err = s.Send(context.Background(), outbound(43, "+85290000000", "hello"))
	if !job.IsPermanent(err) || !errors.Is(err, sms.ErrUnsubscribed) {
		t.Errorf("unsubscribed number: %v", err)
	}
	if _, err = s.Send(context.Background(), outbound(44, "85291234567", "hello")); !job.IsPermanent(err) {
		t.Errorf("number without +: %v", err)
	}
	if _, err = s.Send(context.Background(), outbound(45, "+85291234567", strings.Repeat("x", 1601))); !job.IsPermanent(err) {
		t.Errorf("too long: %v", err)
	}
	p.FailNext(1)
	if _, err = s.Send(context.Background(), outbound(46, "+85291234567", "hello")); err == nil || job.IsPermanent(err) {
		t.Errorf("provider outage should be retried: %v", err)
	}
	bad := sms.NewSender(sms.Options{API: srv.URL, AccountSID: p.AccountSID, AuthToken: "wrong", From: "+85230001234"})
	if _, err = bad.Send(context.Background(), outbound(47, "+85291234567", "hello")); err == nil || job.IsPermanent(err) ||
		!strings.Contains(err.Error(), "20003") {
		t.Errorf("wrong credentials should be retried once fixed: %v", err)
	}
	if n := len(p.Sent()); n != 2 {
		t.Errorf("provider accepted %d messages, want 2", n)
	}
}

type recorder struct {
	receipts []sms.Receipt
	stopped  []string
	started  []string
	received []channel.Inbound
}

func (r *recorder) Receipt(_ context.Context, rc sms.Receipt) error {
	r.receipts = append(r.receipts, rc)
	return nil
}
func (r *recorder) StopNumber(_ context.Context, n string) error {
	r.stopped = append(r.stopped, n)
	return nil
}
func (r *recorder) StartNumber(_ context.Context, n string) error {
	r.started = append(r.started, n)
	return nil
}
func (r *recorder) Receive(_ context.Context, in channel.Inbound) (channel.Received, error) {
	r.received = append(r.received, in)
	return channel.Received{}, nil
}

// The webhook takes signed receipts and replies: a STOP opts the number
// out, other texts are received; an unsigned or wrongly signed call
// changes nothing.
func TestWebhook(t *testing.T) {
	rec := &recorder{}
	mux := http.NewServeMux()
	desk := httptest.NewServer(mux)
	defer desk.Close()
	sms.NewWebhook(sms.WebhookOptions{Inbox: rec, Outreach: rec, AuthToken: "token-1", PublicURL: desk.URL}).Register(mux)
	p := smstest.New("AC1", "token-1")
	ctx := context.Background()
	m := smstest.Message{SID: "SM1", To: "+85291234567", From: "+85230001234", StatusCallback: desk.URL + sms.StatusPath + "?message=42"}
	if code, err := p.Receipt(ctx, m, "delivered", ""); err != nil || code != http.StatusNoContent {
		t.Fatalf("receipt: %d %v", code, err)
	}
	if len(rec.receipts) != 1 || rec.receipts[0] != (sms.Receipt{MessageID: 42, SID: "SM1", Status: "delivered"}) {
		t.Errorf("receipts = %+v", rec.receipts)
	}
	for _, body := range []string{"STOP", " stop ", "退订", "TD"} {
		if code, err := p.Inbound(ctx, desk.URL+sms.InboundPath, "+85291234567", "+85230001234", body); err != nil || code != http.StatusOK {
			t.Fatalf("inbound %q: %d %v", body, code, err)
		}
	}
	for _, body := range []string{"START", "unstop!"} {
		if code, err := p.Inbound(ctx, desk.URL+sms.InboundPath, "+85291234567", "+85230001234", body); err != nil || code != http.StatusOK {
			t.Fatalf("inbound %q: %d %v", body, code, err)
		}
	}
	for _, body := range []string{"Is my money safe?", "Yes"} {
		if code, _ := p.Inbound(ctx, desk.URL+sms.InboundPath, "+85291234567", "+85230001234", body); code != http.StatusOK {
			t.Fatalf("reply: %d", code)
		}
	}
	if len(rec.stopped) != 4 || len(rec.started) != 2 || len(rec.received) != 2 || rec.received[0].Channel != "sms" ||
		rec.received[0].From.ID != "+85291234567" || rec.received[0].Body != "Is my money safe?" || rec.received[1].Body != "Yes" {
		t.Errorf("stopped %v, started %v, received %+v", rec.stopped, rec.started, rec.received)
	}

	forger := smstest.New("AC1", "not-the-token")
	if code, _ := forger.Receipt(ctx, m, "failed", "30003"); code != http.StatusForbidden {
		t.Errorf("forged receipt: %d", code)
	}
	if code, _ := forger.Inbound(ctx, desk.URL+sms.InboundPath, "+85291234567", "+85230001234", "STOP"); code != http.StatusForbidden {
		t.Errorf("forged STOP: %d", code)
	}
	// A signature over another URL (a replay to a different message) fails.
	m.StatusCallback = desk.URL + sms.StatusPath + "?message=43"
	form := url.Values{"MessageSid": {"SM1"}, "MessageStatus": {"failed"}}
	req, _ := http.NewRequest(http.MethodPost, m.StatusCallback, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Twilio-Signature", sms.Sign("token-1", desk.URL+sms.StatusPath+"?message=42", form))
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("replayed receipt: %v %v", resp, err)
	}
	if len(rec.receipts) != 1 || len(rec.stopped) != 4 {
		t.Errorf("forged calls were taken: %+v %v", rec.receipts, rec.stopped)
	}
}
