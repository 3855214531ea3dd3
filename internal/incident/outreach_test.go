package incident_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"vigil/internal/apperr"
	"vigil/internal/audit"
	"vigil/internal/customer"
	"vigil/internal/db"
	"vigil/internal/db/dbtest"
	"vigil/internal/event"
	"vigil/internal/exchange"
	"vigil/internal/incident"
	"vigil/internal/job"
	"vigil/internal/ticket"
)

type outreachEnv struct {
	ctx     context.Context
	db      *db.DB
	inc     *incident.Service
	tickets *ticket.Service
	custs   *customer.Service
	jobs    *job.Queue
	clock   *dbtest.Clock
}

func newOutreachEnv(t testing.TB, d *db.DB) *outreachEnv {
	clk := dbtest.NewClock(t0)
	e := newOutreachEnvClock(t, d, clk.Now)
	e.clock = clk
	return e
}

// newOutreachEnvClock wires the services on d with the clock now; jobs
// hold a one-minute lease.
func newOutreachEnvClock(t testing.TB, d *db.DB, now func() time.Time) *outreachEnv {
	a := audit.New(d, now)
	bus := event.NewMemory()
	jobs := job.New(job.Options{DB: d, Now: now, Lease: time.Minute})
	custs := customer.New(d, a, bus, now)
	tickets := ticket.New(ticket.Options{DB: d, Audit: a, Bus: bus, Customers: custs, Now: now, Outbox: jobs})
	return &outreachEnv{ctx: audit.WithActor(context.Background(), audit.Actor{Kind: "system"}), db: d, jobs: jobs,
		tickets: tickets, custs: custs, inc: incident.New(incident.Options{DB: d, Audit: a, Tickets: tickets, Customers: custs, Jobs: jobs,
			VerifyURL: "https://desk.example/verify", Now: now})}
}

// customer makes a customer with a UID, reachable on email and/or Telegram.
func (e *outreachEnv) customer(t testing.TB, uid, lang, email, telegram, code string) customer.Customer {
	t.Helper()
	in := customer.Input{UID: &uid, Name: &uid, Language: &lang}
	if email != "" {
		in.Email = &email
	}
	if telegram != "" {
		in.Identities = []customer.Identity{{Channel: "telegram", ExternalID: telegram}}
	}
	c, err := e.custs.Create(e.ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if code != "" {
		if err := e.custs.SetAntiPhishingCode(e.ctx, c.ID, code); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

var campaign = incident.CampaignInput{Name: "TRC20 delay", Channels: []string{"telegram", "email"}, RatePerMinute: 60,
	Subjects: map[string]string{"en": "About your USDT withdrawal", "zh": "关于您的 USDT 提现"},
	Bodies:   map[string]string{"en": "Hello {name}, your TRC20 withdrawal is delayed; funds are safe.", "zh": "{name} 您好，您的 TRC20 提现延迟，资金安全。"}}

// TestOutreach: each listed customer is reached once, on the first of the
// campaign's channels they have, in their language, with their
// anti-phishing code and the verifier line, at the campaign's pace; opted
// out and unreachable customers are skipped with the reason.
func TestOutreach(t *testing.T) {
	e := newOutreachEnv(t, dbtest.Open(t))
	tg := e.customer(t, "U1", "zh", "u1@example.com", "1001", "BLUE-FOX")
	em := e.customer(t, "U2", "en", "u2@example.com", "", "")
	e.customer(t, "U3", "en", "", "", "")
	out := e.customer(t, "U4", "en", "u4@example.com", "", "")
	if err := e.inc.OptOut(e.ctx, out.ID); err != nil {
		t.Fatal(err)
	}
	c, err := e.inc.CreateCampaign(e.ctx, 0, campaign)
	if err != nil {
		t.Fatal(err)
	}
	added, err := e.inc.AddRecipients(e.ctx, c.ID, []string{"U1", "U2", "U3", "U4", "nobody"})
	if err != nil || added.Queued != 2 || len(added.Unknown) != 1 {
		t.Fatalf("added = %+v, %v", added, err)
	}
	again, _ := e.inc.AddRecipients(e.ctx, c.ID, []string{"U1", "U2"})
	if again.Queued != 0 || again.Duplicate != 2 {
		t.Errorf("adding again = %+v", again)
	}
	handlers := map[string]job.Handler{incident.OutreachJob: e.inc.SendOutreach}
	// At 60 a minute only one per channel is due now: U1 on Telegram and
	// U2 on email, each first on its own channel.
	if _, err := e.jobs.RunOnce(e.ctx, handlers); err != nil {
		t.Fatal(err)
	}
	p, err := e.inc.Progress(e.ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if p.Total != 4 || p.Queued != 0 || p.Opened != 2 || p.Skipped["opted_out"] != 1 || p.Skipped["no_channel"] != 1 || p.Delivery["pending"] != 2 {
		t.Errorf("progress = %+v", p)
	}
	convs, _, err := e.tickets.List(e.ctx, ticket.Scope{All: true}, ticket.Filter{Tag: incident.CampaignTag(c.ID)})
	if err != nil || len(convs) != 2 {
		t.Fatalf("campaign conversations = %d, %v", len(convs), err)
	}
	for _, cv := range convs {
		ms, _ := e.tickets.Messages(e.ctx, ticket.Scope{All: true}, cv.ID, ticket.MessagesFilter{})
		body := ms[0].Body
		switch cv.CustomerID {
		case tg.ID:
			if cv.Channel != "telegram" || !strings.Contains(body, "U1 您好") || !strings.Contains(body, "BLUE-FOX") ||
				!strings.Contains(body, "https://desk.example/verify") || cv.Status != ticket.StatusPending {
				t.Errorf("telegram message = %s %q (%s)", cv.Channel, body, cv.Status)
			}
		case em.ID:
			// Email carries the code and the verifier in its own header and footer.
			if cv.Channel != "email" || body != "Hello U2, your TRC20 withdrawal is delayed; funds are safe." || cv.Subject != "About your USDT withdrawal" {
				t.Errorf("email message = %s %q %q", cv.Channel, cv.Subject, body)
			}
		}
	}
	// Delivery jobs are written with each message.
	for _, cv := range convs {
		ms, _ := e.tickets.Messages(e.ctx, ticket.Scope{All: true}, cv.ID, ticket.MessagesFilter{})
		if _, err := e.jobs.ByKey(e.ctx, ticket.DeliveryKey(ms[0].ID)); err != nil {
			t.Errorf("no delivery job for conversation %d: %v", cv.ID, err)
		}
	}
	if _, err := e.inc.AddRecipients(e.ctx, c.ID, nil); apperr.KindOf(err) != apperr.Invalid {
		t.Errorf("empty list: %v", err)
	}
	if _, err := e.inc.CreateCampaign(e.ctx, 0, incident.CampaignInput{Name: "x", Channels: []string{"fax"}, RatePerMinute: 1,
		Subjects: campaign.Subjects, Bodies: campaign.Bodies}); apperr.KindOf(err) != apperr.Invalid {
		t.Errorf("unknown channel: %v", err)
	}
}

// TestOutreachPacing: recipients on one channel are spread at the
// campaign's rate, so the jobs come due one interval apart.
func TestOutreachPacing(t *testing.T) {
	e := newOutreachEnv(t, dbtest.Open(t))
	var uids []string
	for k := range 10 {
		uid := fmt.Sprintf("P%d", k)
		e.customer(t, uid, "en", uid+"@example.com", "", "")
		uids = append(uids, uid)
	}
	in := campaign
	in.Channels, in.RatePerMinute = []string{"email"}, 120 // one every 500 ms
	c, _ := e.inc.CreateCampaign(e.ctx, 0, in)
	if _, err := e.inc.AddRecipients(e.ctx, c.ID, uids[:5]); err != nil {
		t.Fatal(err)
	}
	if _, err := e.inc.AddRecipients(e.ctx, c.ID, uids[5:]); err != nil {
		t.Fatal(err)
	}
	handlers := map[string]job.Handler{incident.OutreachJob: e.inc.SendOutreach}
	for step, want := range []int{1, 1, 2, 2, 3, 3, 4, 4, 5} {
		if _, err := e.jobs.RunOnce(e.ctx, handlers); err != nil {
			t.Fatal(err)
		}
		p, _ := e.inc.Progress(e.ctx, c.ID)
		if p.Opened != want {
			t.Errorf("after %d ms at 2 a second: %d sent, want %d", step*250, p.Opened, want)
		}
		e.clock.Advance(250 * time.Millisecond)
	}
}

// TestOutreachInApp: the exchange connector finds the customers with a
// USDT TRC20 withdrawal still confirming, and each gets one in-app notice
// with their anti-phishing code and the verifier line, even when the job
// runs twice.
func TestOutreachInApp(t *testing.T) {
	d := dbtest.Open(t)
	e := newOutreachEnv(t, d)
	client, sb := exchange.NewSandboxClient(e.clock.Now, nil)
	a := audit.New(d, e.clock.Now)
	e.inc = incident.New(incident.Options{DB: d, Audit: a, Tickets: e.tickets, Customers: e.custs, Jobs: e.jobs,
		VerifyURL: "https://desk.example/verify", Exchange: client, Now: e.clock.Now})
	e.customer(t, "U10000001", "en", "alice@example.com", "", "BLUE-HERON-42")
	e.customer(t, "U10000002", "zh", "wangfang@example.cn", "", "")
	in := campaign
	in.Channels = []string{"inapp", "email"}
	c, err := e.inc.CreateCampaign(e.ctx, 0, in)
	if err != nil {
		t.Fatal(err)
	}
	added, err := e.inc.AddAffected(e.ctx, c.ID, exchange.AffectedQuery{Feature: "withdrawals", Asset: "USDT", Network: "TRC20"})
	if err != nil || added.Queued != 1 {
		t.Fatalf("added = %+v, %v", added, err)
	}
	j, err := e.jobs.ByKey(e.ctx, fmt.Sprintf("outreach:%d:1", c.ID))
	if err != nil {
		t.Fatal(err)
	}
	// The same job handled twice (a worker died after the notice but
	// before recording it) shows one notice.
	for range 2 {
		if err := e.inc.SendOutreach(e.ctx, j); err != nil {
			t.Fatal(err)
		}
		_, _ = e.db.Q(e.ctx).ExecContext(e.ctx, `UPDATE outreach_recipients SET state = 'queued'`)
		e.clock.Advance(time.Minute) // past the channel's next slot
	}
	notices := sb.Notices()
	if len(notices) != 1 || notices[0].UID != "U10000001" || !strings.Contains(notices[0].Body, "BLUE-HERON-42") ||
		!strings.Contains(notices[0].Body, "https://desk.example/verify") || notices[0].Title != "About your USDT withdrawal" {
		t.Fatalf("notices = %+v", notices)
	}
	if err := e.inc.SendOutreach(e.ctx, j); err != nil {
		t.Fatal(err)
	}
	if p, _ := e.inc.Progress(e.ctx, c.ID); p.Notified != 1 || p.Opened != 0 {
		t.Errorf("progress = %+v", p)
	}
}

// A number that texted STOP is skipped by the next campaign; once it texts
// START the campaign after reaches it again.
func TestStopThenStartNumber(t *testing.T) {
	e := newOutreachEnv(t, dbtest.Open(t))
	number := "+85291234567"
	uid, lang, email := "U7", "en", "u7@example.com"
	_, err := e.custs.Create(e.ctx, customer.Input{UID: &uid, Language: &lang, Email: &email, Phone: &number,
		Identities: []customer.Identity{{Channel: "sms", ExternalID: number}}})
	if err != nil {
		t.Fatal(err)
	}
	queued := func() int {
		t.Helper()
		cp, err := e.inc.CreateCampaign(e.ctx, 0, campaign)
		if err != nil {
			t.Fatal(err)
		}
		added, err := e.inc.AddRecipients(e.ctx, cp.ID, []string{uid})
		if err != nil {
			t.Fatal(err)
		}
		return added.Queued
	}
	if err := e.inc.StopNumber(e.ctx, number); err != nil {
		t.Fatal(err)
	}
	if n := queued(); n != 0 {
		t.Errorf("after STOP the campaign queued %d, want 0", n)
	}
	if err := e.inc.StartNumber(e.ctx, number); err != nil {
		t.Fatal(err)
	}
	if n := queued(); n != 1 {
		t.Errorf("after START the campaign queued %d, want 1", n)
	}
}
