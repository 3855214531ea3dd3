package email_test

import (
	"bytes"
	"crypto/tls"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-msgauth/dkim"
	"github.com/emersion/go-smtp"

	"vigil/internal/auth"
	"vigil/internal/customer"
	"vigil/internal/ticket"
)

func TestMailThreadsBothWays(t *testing.T) {
	d := newDesk(t, deskOptions{})
	if err := d.send(t, "alice.chen.trader@gmail.com", []string{support}, fixture(t, "gmail_new.eml")); err != nil {
		t.Fatalf("receiver refused a customer's mail: %v", err)
	}
	convs, _, err := d.Tickets.List(d.Ctx, ticket.Scope{All: true}, ticket.Filter{})
	if err != nil || len(convs) != 1 {
		t.Fatalf("conversations: %v, %v", convs, err)
	}
	conv := convs[0]
	if conv.Channel != "email" || conv.Subject != "USDT withdrawal pending for 6 hours" || conv.Language != "en" {
		t.Fatalf("conversation: %+v", conv)
	}
	ms := d.Messages(t, conv.ID)
	if len(ms) != 1 || !strings.HasPrefix(ms[0].Body, "Hi,\n\nI withdrew 1,250 USDT") || ms[0].AuthorName != "Alice Chen" {
		t.Fatalf("message: %+v", ms)
	}
	if len(ms[0].Attachments) != 1 || ms[0].Attachments[0].Filename != "withdrawal.png" || ms[0].Attachments[0].ContentType != "image/png" {
		t.Fatalf("attachments: %+v", ms[0].Attachments)
	}
	cust, err := d.Customers.ByID(d.Ctx, conv.CustomerID)
	if err != nil || cust.Email != "alice.chen.trader@gmail.com" {
		t.Fatalf("customer: %+v, %v", cust, err)
	}
	if err := d.Customers.SetAntiPhishingCode(d.Ctx, cust.ID, "BLUE-OTTER-42"); err != nil {
		t.Fatal(err)
	}

	// The agent answers; the reply leaves through the job queue.
	reply := d.Reply(t, conv.ID, "The withdrawal was delayed by **network congestion**; it has been broadcast.")
	if n := d.Deliver(t); n != 1 {
		t.Fatalf("%d deliveries", n)
	}
	got := d.relay.messages()
	if len(got) != 1 {
		t.Fatalf("relay captured %d messages", len(got))
	}
	c := got[0]
	if !c.tls || c.user != "vigil" || c.from != support || len(c.to) != 1 || c.to[0] != "alice.chen.trader@gmail.com" {
		t.Fatalf("relay transaction: tls %v user %q from %q to %v", c.tls, c.user, c.from, c.to)
	}
	verifications, err := dkim.VerifyWithOptions(bytes.NewReader(c.data), &dkim.VerifyOptions{LookupTXT: func(domain string) ([]string, error) {
		if domain != "vigil2026._domainkey.exchange.example" {
			return nil, errors.New("no such record")
		}
		return []string{dkimRecord(t, d.dkimKey)}, nil
	}})
	if err != nil || len(verifications) != 1 || verifications[0].Err != nil || verifications[0].Domain != "exchange.example" {
		t.Fatalf("DKIM: %v, %+v", err, verifications)
	}
	mr, err := mail.CreateReader(bytes.NewReader(c.data))
	if err != nil {
		t.Fatal(err)
	}
	subject, _ := mr.Header.Subject()
	inReplyTo, _ := mr.Header.MsgIDList("In-Reply-To")
	refs, _ := mr.Header.MsgIDList("References")
	ourID, _ := mr.Header.MessageID()
	wantSubject := "Re: USDT withdrawal pending for 6 hours [#" + strconv.FormatInt(conv.ID, 10) + "]"
	if subject != wantSubject || len(inReplyTo) != 1 || inReplyTo[0] != "CAGx7rK3wY1fP0v+Qz9YtH2Lw8s=Nn4b6vZ1mK_0aH5Fq@mail.gmail.com" ||
		len(refs) != 1 || !strings.HasSuffix(ourID, "@exchange.example") || mr.Header.Get("Auto-Submitted") != "" {
		t.Fatalf("headers: subject %q, in-reply-to %v, references %v, id %q, auto %q", subject, inReplyTo, refs, ourID, mr.Header.Get("Auto-Submitted"))
	}
	parts := map[string]string{}
	for {
		p, err := mr.NextPart()
		if err != nil {
			break
		}
		ct, _, _ := p.Header.(*mail.InlineHeader).ContentType()
		var b bytes.Buffer
		b.ReadFrom(p.Body)
		parts[ct] = b.String()
	}
	text, html := parts["text/plain"], parts["text/html"]
	for _, want := range []string{"Your anti-phishing code: BLUE-OTTER-42", "delayed by **network congestion**", "Mei (Support)",
		"How to verify this message", "https://exchange.example/official-channels"} {
		if !strings.Contains(text, want) {
			t.Errorf("text part lacks %q:\n%s", want, text)
		}
	}
	if !strings.Contains(html, "<strong>network congestion</strong>") || !strings.Contains(html, "BLUE-OTTER-42") {
		t.Errorf("html part:\n%s", html)
	}
	if m := d.Messages(t, conv.ID); m[1].ID != reply.ID || m[1].Delivery != ticket.DeliverySent {
		t.Fatalf("reply delivery = %s", m[1].Delivery)
	}
	// Running the queue again sends nothing twice.
	d.Clock.Advance(time.Hour)
	d.Deliver(t)
	if n := len(d.relay.messages()); n != 1 {
		t.Fatalf("relay captured %d messages after a second run", n)
	}

	// The conversation is solved; the customer's reply threads back by our
	// Message-ID and reopens it.
	d.Solve(t, conv.ID)
	id := strconv.FormatInt(conv.ID, 10)
	if err := d.send(t, "alice.chen.trader@gmail.com", []string{"support+" + id + "@exchange.example"},
		fixture(t, "gmail_reply.eml", "{{CONV}}", id, "{{OURID}}", "<"+ourID+">")); err != nil {
		t.Fatal(err)
	}
	after := d.Conversation(t, conv.ID)
	ms = d.Messages(t, conv.ID)
	if after.Status != ticket.StatusOpen || len(ms) != 3 || ms[2].Body != "It arrived now, thank you! Closing this on my side." {
		t.Fatalf("after the reply: status %s, %d messages, last %q", after.Status, len(ms), ms[len(ms)-1].Body)
	}
	raw, err := d.Channels.Original(d.Ctx, "email", "<CAGx7rK0bZ9q@mail.gmail.com>")
	if err != nil || !bytes.Contains(raw, []byte("> The withdrawal was delayed")) {
		t.Fatalf("the original with its quote was not kept: %v", err)
	}
}

func TestRedeliveredMailIsStoredOnce(t *testing.T) {
	d := newDesk(t, deskOptions{})
	raw := fixture(t, "apple_mail.eml")
	for range 2 {
		if err := d.send(t, "tom.becker@icloud.example", []string{support}, raw); err != nil {
			t.Fatal(err)
		}
	}
	convs, _, _ := d.Tickets.List(d.Ctx, ticket.Scope{All: true}, ticket.Filter{})
	if len(convs) != 1 {
		t.Fatalf("%d conversations", len(convs))
	}
	ms := d.Messages(t, convs[0].ID)
	if len(ms) != 1 || len(ms[0].Attachments) != 1 || ms[0].Attachments[0].Filename != "IMG_4471.png" {
		t.Fatalf("messages: %+v", ms)
	}
	if strings.Contains(ms[0].Body, "Sent from my iPhone") {
		t.Fatalf("signature shown to agents: %q", ms[0].Body)
	}
}

func TestChineseMailInGBK(t *testing.T) {
	d := newDesk(t, deskOptions{})
	if err := d.send(t, "zhurong88@qq.example", []string{support}, fixture(t, "foxmail_gbk.eml")); err != nil {
		t.Fatal(err)
	}
	convs, _, _ := d.Tickets.List(d.Ctx, ticket.Scope{All: true}, ticket.Filter{})
	if len(convs) != 1 || convs[0].Language != "zh" || convs[0].Subject != "提现未到账 0.5 BTC" {
		t.Fatalf("conversation: %+v", convs)
	}
	ms := d.Messages(t, convs[0].ID)
	if !strings.Contains(ms[0].Body, "提现编号 W20260301-7788") || strings.Contains(ms[0].Body, "原始邮件") || ms[0].AuthorName != "朱镕" {
		t.Fatalf("body: %q by %q", ms[0].Body, ms[0].AuthorName)
	}
	// The reply is written in the customer's language.
	d.Reply(t, convs[0].ID, "已为您查询，提现已完成。")
	d.Deliver(t)
	got := d.relay.messages()
	if len(got) != 1 {
		t.Fatalf("%d sent", len(got))
	}
	mr, _ := mail.CreateReader(bytes.NewReader(got[0].data))
	p, _ := mr.NextPart()
	var b bytes.Buffer
	b.ReadFrom(p.Body)
	if !strings.Contains(b.String(), "如何验证此邮件") || !strings.Contains(b.String(), "已为您查询") {
		t.Fatalf("reply text:\n%s", b.String())
	}
}

func TestLoopProtection(t *testing.T) {
	d := newDesk(t, deskOptions{})
	// An out-of-office reply and a bounce create nothing to answer.
	if err := d.send(t, "mark.jensen@contoso-trading.example", []string{support}, fixture(t, "auto_reply.eml")); err != nil {
		t.Fatal(err)
	}
	if err := d.send(t, "", []string{support}, fixture(t, "bounce_dsn.eml")); err != nil {
		t.Fatal(err)
	}
	if convs, _, _ := d.Tickets.List(d.Ctx, ticket.Scope{All: true}, ticket.Filter{}); len(convs) != 0 {
		t.Fatalf("automatic mail opened %d conversations", len(convs))
	}
	// The bounced address is not written to again: the reply fails for good.
	raw := []byte("From: Gone <gone.user@customer-mail.example>\r\nTo: support@exchange.example\r\nSubject: KYC documents\r\n" +
		"Message-ID: <before-bounce@customer-mail.example>\r\n\r\nHere are my documents.\r\n")
	if err := d.send(t, "gone.user@customer-mail.example", []string{support}, raw); err != nil {
		t.Fatal(err)
	}
	convs, _, _ := d.Tickets.List(d.Ctx, ticket.Scope{All: true}, ticket.Filter{})
	d.Reply(t, convs[0].ID, "Thanks, checking.")
	d.Deliver(t)
	if n := len(d.relay.messages()); n != 0 {
		t.Fatalf("mail sent to a bounced address (%d)", n)
	}
	if ms := d.Messages(t, convs[0].ID); ms[1].Delivery != ticket.DeliveryFailed {
		t.Fatalf("delivery = %s, want failed", ms[1].Delivery)
	}
}

func TestReceiverRefusals(t *testing.T) {
	clockless := func() time.Time { return time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC) }
	d := newDesk(t, deskOptions{limiter: auth.NewLimiter(0.001, 2, clockless), maxBytes: 64 << 10})
	raw := fixture(t, "outlook_big5.eml")
	// Not our mailbox: refused, the receiver is no relay.
	var se *smtp.SMTPError
	if err := d.send(t, "x@hkmail.example", []string{"someone@elsewhere.example"}, raw); !errors.As(err, &se) || se.Code != 550 {
		t.Fatalf("relay attempt: %v", err)
	}
	// Too large.
	big := append(append([]byte{}, raw...), bytes.Repeat([]byte(strings.Repeat("x", 70)+"\r\n"), 1100)...)
	if err := d.send(t, "taiman.chan@hkmail.example", []string{support}, big); !errors.As(err, &se) || se.Code != 552 {
		t.Fatalf("oversized message: %v", err)
	}
	// Garbage is refused permanently, not stored.
	if err := d.send(t, "x@hkmail.example", []string{support}, []byte("no header at all")); err == nil {
		t.Fatal("a message without headers was accepted")
	}
	// A flood from one sender is deferred, not lost: 451 asks the sender
	// to retry.
	if convs, _, _ := d.Tickets.List(d.Ctx, ticket.Scope{All: true}, ticket.Filter{}); len(convs) != 0 {
		t.Fatalf("%d conversations before the flood", len(convs))
	}
	var last error
	for i := range 3 {
		m := bytes.Replace(raw, []byte("<000001dc8b2a$"), []byte("<"+strconv.Itoa(i)+"x$"), 1)
		last = d.send(t, "taiman.chan@hkmail.example", []string{support}, m)
	}
	if !errors.As(last, &se) || se.Code != 451 {
		t.Fatalf("flood: %v", last)
	}
	convs, _, _ := d.Tickets.List(d.Ctx, ticket.Scope{All: true}, ticket.Filter{})
	if len(convs) != 2 || convs[0].Subject != "帳戶凍結" {
		t.Fatalf("conversations: %+v", convs)
	}
}

func TestRelayRefusalIsPermanentAndTemporaryIsRetried(t *testing.T) {
	d := newDesk(t, deskOptions{})
	d.send(t, "tom.becker@icloud.example", []string{support}, fixture(t, "apple_mail.eml"))
	convs, _, _ := d.Tickets.List(d.Ctx, ticket.Scope{All: true}, ticket.Filter{})
	d.relay.setRefuse(&smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try later"})
	m := d.Reply(t, convs[0].ID, "Please send the deposit TXID.")
	d.Deliver(t)
	j, _ := d.Jobs.ByKey(d.Ctx, "deliver:message:"+strconv.FormatInt(m.ID, 10))
	if j.State != "queued" || !strings.Contains(j.LastError, "451") {
		t.Fatalf("after a 451: %+v", j)
	}
	d.relay.setRefuse(nil)
	d.Clock.Advance(time.Minute)
	d.Deliver(t)
	if n := len(d.relay.messages()); n != 1 {
		t.Fatalf("retry sent %d", n)
	}
	d.relay.setRefuse(&smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "relay denied"})
	m2 := d.Reply(t, convs[0].ID, "Also your network, please.")
	d.Deliver(t)
	j, _ = d.Jobs.ByKey(d.Ctx, "deliver:message:"+strconv.FormatInt(m2.ID, 10))
	if j.State != "dead" || !strings.Contains(j.LastError, "550") {
		t.Fatalf("after a 550: %+v", j)
	}
	if ms := d.Messages(t, convs[0].ID); ms[2].Delivery != ticket.DeliveryFailed {
		t.Fatalf("delivery = %s", ms[2].Delivery)
	}
}

func TestBotRepliesAreMarkedAutomatic(t *testing.T) {
	d := newDesk(t, deskOptions{})
	d.send(t, "tom.becker@icloud.example", []string{support}, fixture(t, "apple_mail.eml"))
	convs, _, _ := d.Tickets.List(d.Ctx, ticket.Scope{All: true}, ticket.Filter{})
	if _, err := d.Tickets.AddMessage(d.Ctx, ticket.MessageInput{ConversationID: convs[0].ID, AuthorKind: ticket.ByBot, AuthorName: "Bot",
		Body: "Deposits without a tag are recovered within 3 working days."}); err != nil {
		t.Fatal(err)
	}
	d.Deliver(t)
	got := d.relay.messages()
	if len(got) != 1 {
		t.Fatalf("%d sent", len(got))
	}
	mr, _ := mail.CreateReader(bytes.NewReader(got[0].data))
	if v := mr.Header.Get("Auto-Submitted"); v != "auto-replied" {
		t.Fatalf("Auto-Submitted = %q", v)
	}
}

// An agent writes first, to a customer known only by their email address,
// and attaches a file: one signed mail with the file, no reply headers.
func TestAgentStartedMailWithAttachment(t *testing.T) {
	d := newDesk(t, deskOptions{})
	name, addr := "Chen Jing", "chen.jing@example.com"
	cust, err := d.Customers.Create(d.Ctx, customer.Input{Name: &name, Email: &addr})
	if err != nil {
		t.Fatal(err)
	}
	conv, _, err := d.Tickets.Open(d.Ctx, ticket.OpenInput{CustomerID: cust.ID, Channel: "email", Subject: "Your KYC documents",
		Message: ticket.MessageInput{AuthorKind: ticket.ByAgent, AuthorName: "Mei", Body: "Please fill in the attached form."}})
	if err != nil {
		t.Fatal(err)
	}
	form := []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
	att, err := d.Tickets.Upload(d.Ctx, ticket.Scope{All: true}, ticket.UploadInput{ConversationID: conv.ID, Filename: "kyc-form.pdf",
		Content: bytes.NewReader(form), UploadedBy: "agent:1"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Tickets.AddMessage(d.Ctx, ticket.MessageInput{ConversationID: conv.ID, AuthorKind: ticket.ByAgent, AuthorName: "Mei",
		Body: "Here it is.", AttachmentIDs: []int64{att.ID}}); err != nil {
		t.Fatal(err)
	}
	if n := d.Deliver(t); n != 2 {
		t.Fatalf("%d deliveries", n)
	}
	got := d.relay.messages()
	if len(got) != 2 || got[0].to[0] != addr {
		t.Fatalf("relay: %+v", got)
	}
	first, _ := mail.CreateReader(bytes.NewReader(got[0].data))
	subject, _ := first.Header.Subject()
	if want := "Your KYC documents [#" + strconv.FormatInt(conv.ID, 10) + "]"; subject != want || first.Header.Get("In-Reply-To") != "" {
		t.Fatalf("first mail: subject %q, in-reply-to %q", subject, first.Header.Get("In-Reply-To"))
	}
	second, _ := mail.CreateReader(bytes.NewReader(got[1].data))
	var files []string
	for {
		p, err := second.NextPart()
		if err != nil {
			break
		}
		if ah, ok := p.Header.(*mail.AttachmentHeader); ok {
			name, _ := ah.Filename()
			var b bytes.Buffer
			b.ReadFrom(p.Body)
			if !bytes.Equal(b.Bytes(), form) {
				t.Errorf("attachment %s differs from the upload", name)
			}
			files = append(files, name)
		}
	}
	if len(files) != 1 || files[0] != "kyc-form.pdf" {
		t.Fatalf("attachments: %v", files)
	}
	vs, err := dkim.VerifyWithOptions(bytes.NewReader(got[1].data), &dkim.VerifyOptions{LookupTXT: func(string) ([]string, error) {
		return []string{dkimRecord(t, d.dkimKey)}, nil
	}})
	if err != nil || len(vs) != 1 || vs[0].Err != nil {
		t.Fatalf("DKIM over a mail with a file: %v %+v", err, vs)
	}
}

// Senders that offer STARTTLS get an encrypted session.
func TestReceiverOffersSTARTTLS(t *testing.T) {
	cert, roots := selfSigned(t)
	d := newDesk(t, deskOptions{tls: &cert})
	c, err := smtp.DialStartTLS(d.addr, &tls.Config{RootCAs: roots, ServerName: "127.0.0.1"})
	if err != nil {
		t.Fatalf("STARTTLS: %v", err)
	}
	defer c.Close()
	if err := c.SendMail("tom.becker@icloud.example", []string{support}, bytes.NewReader(fixture(t, "apple_mail.eml"))); err != nil {
		t.Fatal(err)
	}
	if state, ok := c.TLSConnectionState(); !ok || !state.HandshakeComplete {
		t.Fatal("the mail did not travel over TLS")
	}
	if convs, _, _ := d.Tickets.List(d.Ctx, ticket.Scope{All: true}, ticket.Filter{}); len(convs) != 1 {
		t.Fatalf("%d conversations", len(convs))
	}
}

// An HTML mail received over SMTP shows agents its formatting, sanitised:
// no script, tracking image or handler reaches the console.
func TestHTMLMailShownSanitised(t *testing.T) {
	d := newDesk(t, deskOptions{})
	if err := d.send(t, "priya.nair@example.net", []string{support}, fixture(t, "html_only.eml")); err != nil {
		t.Fatal(err)
	}
	convs, _, _ := d.Tickets.List(d.Ctx, ticket.Scope{All: true}, ticket.Filter{})
	if len(convs) != 1 {
		t.Fatalf("%d conversations", len(convs))
	}
	m := d.Messages(t, convs[0].ID)[0]
	if !strings.Contains(m.BodyHTML, "<b>2FA</b>") || !strings.Contains(m.Body, "reset 2FA") {
		t.Errorf("message: body %q, html %q", m.Body, m.BodyHTML)
	}
	for _, bad := range []string{"<script", "alert", "track.example", "onload", "javascript:", "<style"} {
		if strings.Contains(m.BodyHTML, bad) {
			t.Errorf("%q reached the console: %q", bad, m.BodyHTML)
		}
	}
}
