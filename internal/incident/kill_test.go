package incident_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"runtime/pprof"
	"slices"
	"testing"
	"time"

	"vigil/internal/channel"
	"vigil/internal/channel/sms"
	"vigil/internal/channel/sms/smstest"
	"vigil/internal/customer"
	"vigil/internal/db"
	"vigil/internal/db/dbtest"
	"vigil/internal/incident"
	"vigil/internal/job"
	"vigil/internal/ticket"
)

// The kill test and benchmark run the outreach workers in a child process
// (this test binary, re-run with these variables), kill it with SIGKILL
// half-way, and start another one, with the real clock, as an operator
// restarting the desk would. Messages leave through the real SMS channel
// to a stand-in provider in the parent, which counts what it was sent.
const (
	workerURL   = "VIGIL_OUTREACH_WORKER_URL"
	workerDir   = "VIGIL_OUTREACH_WORKER_DIR"
	workerSMS   = "VIGIL_OUTREACH_WORKER_SMS"
	workerLease = "VIGIL_OUTREACH_WORKER_LEASE"
	// workerProfile names a file the first worker writes a CPU profile
	// of its first workerProfileFor (default 60 s) to; a process killed
	// with SIGKILL writes nothing, so the profile stops before the kill.
	workerProfile    = "VIGIL_OUTREACH_PROFILE"
	workerProfileFor = "VIGIL_OUTREACH_PROFILE_FOR"
)

const (
	drillSID   = "AC00000000000000000000000000000001"
	drillToken = "drill-auth-token"
)

// TestOutreachWorkerProcess is the child: it works the queue, with the
// desk's default worker settings and the given lease, until killed.
func TestOutreachWorkerProcess(t *testing.T) {
	dir := os.Getenv(workerDir)
	if dir == "" {
		t.Skip("run by TestOutreachSurvivesKill")
	}
	d, err := db.Open(context.Background(), db.Options{URL: os.Getenv(workerURL), DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	lease, err := time.ParseDuration(os.Getenv(workerLease))
	if err != nil {
		t.Fatal(err)
	}
	if path := os.Getenv(workerProfile); path != "" {
		profile(t, path, os.Getenv(workerProfileFor))
	}
	e := newOutreachEnvClock(t, d, time.Now)
	sender := sms.NewSender(sms.Options{API: os.Getenv(workerSMS), AccountSID: drillSID, AuthToken: drillToken, From: "+85230001234"})
	ch := channel.New(channel.Options{DB: d, Customers: e.custs, Tickets: e.tickets, Adapters: []channel.Adapter{sender}, Now: time.Now,
		Pacer: e.inc})
	q := job.New(job.Options{DB: d, Now: time.Now, Lease: lease})
	q.Work(context.Background(), job.WorkOptions{Handlers: map[string]job.Handler{
		incident.OutreachJob: e.inc.SendOutreach, ticket.DeliverJob: ch.Deliver}})
}

// profile writes a CPU profile of the next span (a duration, default 60 s)
// of this process to path.
func profile(t *testing.T, path, span string) {
	d, err := time.ParseDuration(span)
	if err != nil {
		d = time.Minute
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		t.Fatal(err)
	}
	time.AfterFunc(d, func() {
		pprof.StopCPUProfile()
		_ = f.Close()
	})
}

// drillResult holds what the drill measured.
type drillResult struct {
	seed                   time.Duration
	sentAtKill             int
	beforeKill, afterStart time.Duration // first send to kill; restart to last send
	afterKillSends         int
	total                  time.Duration // first send to last
	gap                    time.Duration // last send before the kill to first after
	sends, distinct        int           // at the provider
	peak1s, peak10s        int           // most sends in any one or ten seconds
	conversations          int
}

// drill seeds n customers with a phone number and a campaign on SMS at
// rate a minute, runs a worker process, kills it with SIGKILL once killAt
// messages reached the provider, starts a new worker at once, and waits
// until every job is finished (the dead worker's jobs come back when
// their lease runs out).
func drill(tb testing.TB, n, rate, killAt int, lease time.Duration) drillResult {
	dir := tb.TempDir()
	url := dbtest.URL(tb)
	d, err := db.Open(context.Background(), db.Options{URL: url, DataDir: dir})
	if err != nil {
		tb.Fatal(err)
	}
	defer d.Close()
	if _, err := d.Migrate(context.Background()); err != nil {
		tb.Fatal(err)
	}
	e := newOutreachEnvClock(tb, d, time.Now)
	var r drillResult
	start := time.Now()
	uids := make([]string, 0, n)
	for lo := 0; lo < n; lo += 1000 {
		err := d.WithTx(e.ctx, func(ctx context.Context) error {
			for k := lo; k < min(lo+1000, n); k++ {
				uid, name, lang, phone := fmt.Sprintf("U%07d", k), fmt.Sprintf("User %d", k), "en", fmt.Sprintf("+8529%07d", k)
				if _, err := e.custs.Create(ctx, customer.Input{UID: &uid, Name: &name, Language: &lang, Phone: &phone}); err != nil {
					return err
				}
				uids = append(uids, uid)
			}
			return nil
		})
		if err != nil {
			tb.Fatal(err)
		}
	}
	in := campaign
	in.Channels, in.RatePerMinute = []string{"sms"}, rate
	c, err := e.inc.CreateCampaign(e.ctx, 0, in)
	if err != nil {
		tb.Fatal(err)
	}
	for lo := 0; lo < n; lo += incident.MaxRecipientsPerCall {
		if _, err := e.inc.AddRecipients(e.ctx, c.ID, uids[lo:min(lo+incident.MaxRecipientsPerCall, n)]); err != nil {
			tb.Fatal(err)
		}
	}
	r.seed = time.Since(start)

	provider := smstest.New(drillSID, drillToken)
	srv := httptest.NewServer(provider)
	defer srv.Close()
	worker := func(first bool) *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^TestOutreachWorkerProcess$")
		cmd.Env = append(os.Environ(), workerURL+"="+url, workerDir+"="+dir, workerSMS+"="+srv.URL, workerLease+"="+lease.String())
		if !first {
			cmd.Env = append(cmd.Env, workerProfile+"=")
		}
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Start(); err != nil {
			tb.Fatal(err)
		}
		return cmd
	}
	first := worker(true)
	for provider.Count() < killAt {
		if time.Since(start) > 30*time.Minute {
			tb.Fatal("the worker made no progress")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := first.Process.Kill(); err != nil { // SIGKILL: no deferred cleanup runs
		tb.Fatal(err)
	}
	_ = first.Wait()
	killed := time.Now()
	r.sentAtKill = provider.Count()
	second := worker(false)
	defer func() { _ = second.Process.Kill(); _ = second.Wait() }()
	for {
		time.Sleep(time.Second) // counting jobs reads every row: poll gently
		if provider.Count() < n {
			continue
		}
		counts, err := e.jobs.Counts(e.ctx)
		if err != nil {
			tb.Fatal(err)
		}
		if counts[job.Queued]+counts[job.Running] == 0 {
			break
		}
		if time.Since(killed) > 30*time.Minute {
			tb.Fatalf("jobs left after the restart: %v", counts)
		}
	}
	sent := provider.Sent()
	times := make([]time.Time, len(sent))
	per := map[string]int{}
	for k, m := range sent {
		times[k] = m.Created
		per[m.To]++
	}
	slices.SortFunc(times, func(a, b time.Time) int { return a.Compare(b) })
	r.sends, r.distinct = len(sent), len(per)
	r.total = times[len(times)-1].Sub(times[0])
	r.beforeKill = killed.Sub(times[0])
	r.afterKillSends = r.sends - r.sentAtKill
	if r.afterKillSends > 0 {
		r.gap = times[r.sentAtKill].Sub(times[r.sentAtKill-1])
		r.afterStart = times[len(times)-1].Sub(killed)
	}
	r.peak1s, r.peak10s = peak(times, time.Second), peak(times, 10*time.Second)
	del, err := e.tickets.DeliveryByTag(e.ctx, incident.CampaignTag(c.ID), 0)
	if err != nil {
		tb.Fatal(err)
	}
	for _, k := range del.Counts {
		r.conversations += k
	}
	return r
}

// peak is the most of the sorted times that fall in any window w long.
func peak(times []time.Time, w time.Duration) int {
	most := 0
	for lo, hi := 0, 0; hi < len(times); hi++ {
		for times[hi].Sub(times[lo]) >= w {
			lo++
		}
		most = max(most, hi-lo+1)
	}
	return most
}

// TestOutreachSurvivesKill: a worker killed with SIGKILL half-way through
// an SMS campaign loses nobody, and once another worker takes over every
// customer has received exactly one text, never faster than the pace.
func TestOutreachSurvivesKill(t *testing.T) {
	if testing.Short() {
		t.Skip("starts worker processes")
	}
	const n, rate = 3000, 12000 // 200 a second: 15 s
	r := drill(t, n, rate, n/2, 5*time.Second)
	if r.sentAtKill >= n {
		t.Fatalf("the worker finished before it was killed (%d)", r.sentAtKill)
	}
	if r.distinct != n || r.sends != n || r.conversations != n {
		t.Errorf("after the kill: %d texts to %d numbers, %d conversations; want %d each", r.sends, r.distinct, r.conversations, n)
	}
	// Each message is delivered at its slot, or up to 400 ms after it
	// when the worker was busy, so deliveries bunch over a second but not
	// over ten. A burst after the restart would show in both.
	if r.peak10s > rate/6*21/20 || r.peak1s > rate/60*3/2 {
		t.Errorf("%d texts in one second, %d in ten, at %d a minute", r.peak1s, r.peak10s, rate)
	}
	t.Logf("killed at %d/%d; peak %d in a second, %d in ten; %.0f/s before the kill", r.sentAtKill, n, r.peak1s, r.peak10s,
		float64(r.sentAtKill)/r.beforeKill.Seconds())
}

// BenchmarkOutreachDrain runs the drill at full size: VIGIL_OUTREACH_N
// recipients (default 100,000) on SMS at VIGIL_OUTREACH_RATE a minute
// (default 12,000), with the worker process killed by SIGKILL half-way
// and restarted at once, jobs leased for VIGIL_OUTREACH_LEASE (default
// 2m, the desk's default). Run with -benchtime=1x.
func BenchmarkOutreachDrain(b *testing.B) {
	n, rate := envInt("VIGIL_OUTREACH_N", 100000), envInt("VIGIL_OUTREACH_RATE", 12000)
	lease, err := time.ParseDuration(os.Getenv("VIGIL_OUTREACH_LEASE"))
	if err != nil {
		lease = 2 * time.Minute
	}
	for range b.N {
		r := drill(b, n, rate, n/2, lease)
		b.ReportMetric(r.seed.Seconds(), "seed-s")
		b.ReportMetric(float64(rate)/60, "configured/s")
		b.ReportMetric(float64(r.sentAtKill)/r.beforeKill.Seconds(), "sent/s-before-kill")
		b.ReportMetric(float64(r.afterKillSends)/r.afterStart.Seconds(), "sent/s-after-restart")
		b.ReportMetric(float64(r.sends)/r.total.Seconds(), "sent/s-overall")
		b.ReportMetric(float64(r.peak1s), "peak-in-1s")
		b.ReportMetric(float64(r.peak10s), "peak-in-10s")
		b.ReportMetric(r.gap.Seconds(), "restart-gap-s")
		b.ReportMetric(float64(n-r.distinct), "lost")
		b.ReportMetric(float64(r.sends-r.distinct), "duplicate-texts")
		b.ReportMetric(float64(r.conversations-n), "duplicate-conversations")
	}
}

func envInt(name string, def int) int {
	var v int
	if _, err := fmt.Sscan(os.Getenv(name), &v); err != nil || v <= 0 {
		return def
	}
	return v
}
