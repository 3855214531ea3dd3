package incident_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"vigil/internal/audit"
	"vigil/internal/channel"
	"vigil/internal/db/dbtest"
	"vigil/internal/incident"
	"vigil/internal/job"
	"vigil/internal/ticket"
)

// emailCustomers makes n customers reachable by email, named prefix0…, and
// returns their UIDs.
func (e *outreachEnv) emailCustomers(t *testing.T, prefix string, n int) []string {
	var uids []string
	for k := range n {
		uid := fmt.Sprintf("%s%d", prefix, k)
		e.customer(t, uid, "en", uid+"@example.com", "", "")
		uids = append(uids, uid)
	}
	return uids
}

// countingAdapter is a channel that takes every message and counts them,
// as the provider would see them.
type countingAdapter struct {
	channel string
	mu      sync.Mutex // guards sent
	sent    int
}

func (a *countingAdapter) Channel() string { return a.channel }

func (a *countingAdapter) Send(_ context.Context, out channel.Outbound) (string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.sent++
	return fmt.Sprintf("out-%d", out.Message.ID), nil
}

func (a *countingAdapter) count() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.sent
}

// paced returns the job handlers of outreach with email delivered through
// a counting channel paced by the outreach service.
func (e *outreachEnv) paced() (map[string]job.Handler, *countingAdapter) {
	a := &countingAdapter{channel: "email"}
	ch := channel.New(channel.Options{DB: e.db, Customers: e.custs, Tickets: e.tickets, Adapters: []channel.Adapter{a},
		Now: e.clock.Now, Pacer: e.inc})
	return map[string]job.Handler{incident.OutreachJob: e.inc.SendOutreach, ticket.DeliverJob: ch.Deliver}, a
}

// TestOutreachPaceAcrossCampaigns: two campaigns on email at 60 a minute
// each, running at once, share the channel's pace: together they send one
// message a second, not two, and both finish.
func TestOutreachPaceAcrossCampaigns(t *testing.T) {
	e := newOutreachEnv(t, dbtest.Open(t))
	in := campaign
	in.Channels, in.RatePerMinute = []string{"email"}, 60
	a, _ := e.inc.CreateCampaign(e.ctx, 0, in)
	in.Name = "Second notice"
	b, _ := e.inc.CreateCampaign(e.ctx, 0, in)
	if _, err := e.inc.AddRecipients(e.ctx, a.ID, e.emailCustomers(t, "A", 5)); err != nil {
		t.Fatal(err)
	}
	if _, err := e.inc.AddRecipients(e.ctx, b.ID, e.emailCustomers(t, "B", 5)); err != nil {
		t.Fatal(err)
	}
	handlers, out := e.paced()
	for sec := range 12 {
		if _, err := e.jobs.RunOnce(e.ctx, handlers); err != nil {
			t.Fatal(err)
		}
		if got, want := out.count(), min(sec+1, 10); got != want {
			t.Errorf("after %d s: %d sent on email, want %d (one a second across both campaigns)", sec, got, want)
		}
		e.clock.Advance(time.Second)
	}
	// Nobody was sent twice and no job is left waiting.
	counts, _ := e.jobs.Counts(e.ctx)
	if counts[job.Done] != 20 || counts[job.Queued] != 0 || counts[job.Dead] != 0 {
		t.Errorf("jobs = %v", counts)
	}
}

// TestOutreachChannelCap: a channel capped below a campaign's rate sends
// at the cap, and workers that were down for a minute do not catch up in
// a burst when they come back: the overdue messages leave at the pace.
func TestOutreachChannelCap(t *testing.T) {
	d := dbtest.Open(t)
	e := newOutreachEnv(t, d)
	e.inc = incident.New(incident.Options{DB: d, Audit: audit.New(d, e.clock.Now), Tickets: e.tickets, Customers: e.custs, Jobs: e.jobs,
		VerifyURL: "https://desk.example/verify", ChannelRates: map[string]int{"email": 30}, Now: e.clock.Now})
	in := campaign
	in.Channels, in.RatePerMinute = []string{"email"}, 600
	c, _ := e.inc.CreateCampaign(e.ctx, 0, in)
	if _, err := e.inc.AddRecipients(e.ctx, c.ID, e.emailCustomers(t, "C", 40)); err != nil {
		t.Fatal(err)
	}
	handlers, out := e.paced()
	for sec := range 6 {
		if _, err := e.jobs.RunOnce(e.ctx, handlers); err != nil {
			t.Fatal(err)
		}
		if got, want := out.count(), sec/2+1; got != want {
			t.Errorf("after %d s at 30 a minute: %d sent, want %d", sec, got, want)
		}
		e.clock.Advance(time.Second)
	}
	// The workers stop for a minute; every remaining job is now overdue.
	// What leaves at once is at most the slots reserved for the last
	// second; then the pace holds again.
	e.clock.Advance(time.Minute)
	before := out.count()
	if _, err := e.jobs.RunOnce(e.ctx, handlers); err != nil {
		t.Fatal(err)
	}
	burst := out.count() - before
	if burst < 1 || burst > 2 {
		t.Errorf("after the pause %d went at once, want 1-2 (one second at 30 a minute, and the next slot)", burst)
	}
	for step := range 10 {
		e.clock.Advance(2 * time.Second)
		if _, err := e.jobs.RunOnce(e.ctx, handlers); err != nil {
			t.Fatal(err)
		}
		if got := out.count() - before - burst; got != step+1 {
			t.Errorf("%d s after the pause: %d more sent, want %d", 2*(step+1), got, step+1)
		}
	}
}

// TestOutreachBusyWorkers: workers that come round only every 400 ms, so
// that a delivery leaves up to 300 ms after its slot, still send a
// campaign at its pace: every slot is used, the campaign ends on time,
// and the desk never writes more than a slot or two ahead of what the
// channel has sent.
func TestOutreachBusyWorkers(t *testing.T) {
	e := newOutreachEnv(t, dbtest.Open(t))
	in := campaign
	in.Channels, in.RatePerMinute = []string{"email"}, 120 // one every 500 ms
	c, _ := e.inc.CreateCampaign(e.ctx, 0, in)
	const n = 40
	if _, err := e.inc.AddRecipients(e.ctx, c.ID, e.emailCustomers(t, "W", n)); err != nil {
		t.Fatal(err)
	}
	handlers, out := e.paced()
	start := e.clock.Now()
	var took time.Duration
	for took < 30*time.Second {
		if _, err := e.jobs.RunOnce(e.ctx, handlers); err != nil {
			t.Fatal(err)
		}
		p, err := e.inc.Progress(e.ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		took = e.clock.Now().Sub(start)
		if out.count() == n {
			break
		}
		if ahead := p.Opened - out.count(); ahead > 2 {
			t.Fatalf("after %s: %d messages written, %d sent: writing runs %d ahead", took, p.Opened, out.count(), ahead)
		}
		if most := int(took/(500*time.Millisecond)) + 1; out.count() > most {
			t.Fatalf("after %s: %d sent, more than the pace allows (%d)", took, out.count(), most)
		}
		e.clock.Advance(400 * time.Millisecond)
	}
	// 40 slots 500 ms apart: the last is at 19.5 s, found at 19.6 s.
	if out.count() != n || took > 20*time.Second {
		t.Errorf("%d of %d sent after %s; want all by 20 s", out.count(), n, took)
	}
}

// TestOutreachPaceUnevenRate: a rate that does not divide a minute into
// whole milliseconds (4,800 a minute, one every 12.5 ms) is still never
// exceeded, also when the workers start late and every recipient is
// overdue: in ten seconds at most 800 messages leave.
func TestOutreachPaceUnevenRate(t *testing.T) {
	e := newOutreachEnv(t, dbtest.Open(t))
	in := campaign
	in.Channels, in.RatePerMinute = []string{"email"}, 4800
	c, _ := e.inc.CreateCampaign(e.ctx, 0, in)
	if _, err := e.inc.AddRecipients(e.ctx, c.ID, e.emailCustomers(t, "R", 900)); err != nil {
		t.Fatal(err)
	}
	handlers, out := e.paced()
	e.clock.Advance(15 * time.Second)
	for range 100 {
		if _, err := e.jobs.RunOnce(e.ctx, handlers); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(100 * time.Millisecond)
	}
	// The clock now stands 10 s after the first slot; the slot at 10 s
	// itself is not yet taken.
	if got := out.count(); got > 800 || got < 790 {
		t.Errorf("%d sent in 10 s at 4,800 a minute, want at most 800 and no fewer than 790 (a step rounded to 13 ms gives 769)", got)
	}
}
