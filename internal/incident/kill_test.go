package incident_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"vigil/internal/customer"
	"vigil/internal/db"
	"vigil/internal/db/dbtest"
	"vigil/internal/incident"
	"vigil/internal/job"
	"vigil/internal/ticket"
)

// The kill test and benchmark run the outreach workers in a child process
// (this test binary, re-run with these variables) and kill it with
// SIGKILL half-way, then finish with a fresh worker.
const (
	workerURL  = "VIGIL_OUTREACH_WORKER_URL"
	workerDir  = "VIGIL_OUTREACH_WORKER_DIR"
	workerSent = "VIGIL_OUTREACH_WORKER_SENT"
)

// TestOutreachWorkerProcess is the child: it works the queue until killed.
// Deliveries go to a stand-in channel that appends each delivery key to a
// file, as an external provider would see them.
func TestOutreachWorkerProcess(t *testing.T) {
	dir := os.Getenv(workerDir)
	if dir == "" {
		t.Skip("run by TestOutreachSurvivesKill")
	}
	d, err := db.Open(context.Background(), db.Options{URL: os.Getenv(workerURL), DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	e := newOutreachEnvClock(t, d, time.Now)
	sent, err := os.OpenFile(os.Getenv(workerSent), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	e.jobs.Work(context.Background(), job.WorkOptions{Concurrency: 4, Poll: 20 * time.Millisecond, Handlers: e.handlers(sent)})
}

// handlers are the outreach step and a stand-in delivery that records
// each message's delivery key once per call.
func (e *outreachEnv) handlers(sent *os.File) map[string]job.Handler {
	return map[string]job.Handler{
		incident.OutreachJob: e.inc.SendOutreach,
		ticket.DeliverJob: func(ctx context.Context, j job.Job) error {
			_, err := fmt.Fprintln(sent, j.Key)
			return err
		},
	}
}

// drill seeds n customers and a campaign at rate a minute per channel
// (half on Telegram, half on email), runs a worker process, kills it with
// SIGKILL once killAt recipients are out, and finishes with a worker whose
// clock is past the dead worker's leases. It returns the figures.
type drillResult struct {
	seed, firstRun, total time.Duration
	atKill, opened        int
	conversations         int
	deliveries, distinct  int
}

func drill(tb testing.TB, n, rate, killAt int) drillResult {
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
				uid, name, lang := fmt.Sprintf("U%07d", k), fmt.Sprintf("User %d", k), "en"
				in := customer.Input{UID: &uid, Name: &name, Language: &lang}
				if k%2 == 0 {
					in.Identities = []customer.Identity{{Channel: "telegram", ExternalID: fmt.Sprint(100000 + k)}}
				} else {
					mail := fmt.Sprintf("u%d@example.com", k)
					in.Email = &mail
				}
				if _, err := e.custs.Create(ctx, in); err != nil {
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
	in.RatePerMinute = rate
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

	sentPath := filepath.Join(dir, "sent.log")
	cmd := exec.Command(os.Args[0], "-test.run=^TestOutreachWorkerProcess$")
	cmd.Env = append(os.Environ(), workerURL+"="+url, workerDir+"="+dir, workerSent+"="+sentPath)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	start = time.Now()
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	for {
		p, err := e.inc.Progress(e.ctx, c.ID)
		if err != nil {
			tb.Fatal(err)
		}
		if p.Opened >= killAt {
			break
		}
		if time.Since(start) > 10*time.Minute {
			tb.Fatal("the worker made no progress")
		}
		time.Sleep(250 * time.Millisecond) // Progress counts every recipient: poll gently
	}
	if err := cmd.Process.Kill(); err != nil { // SIGKILL: no deferred cleanup runs
		tb.Fatal(err)
	}
	_ = cmd.Wait()
	r.firstRun = time.Since(start)
	p, _ := e.inc.Progress(e.ctx, c.ID)
	r.atKill = p.Opened

	// A fresh worker, with its clock past the dead one's 1-minute leases.
	late := newOutreachEnvClock(tb, d, func() time.Time { return time.Now().Add(2 * time.Minute) })
	sent, err := os.OpenFile(sentPath, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		tb.Fatal(err)
	}
	defer sent.Close()
	ctx, cancel := context.WithCancel(e.ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		late.jobs.Work(ctx, job.WorkOptions{Concurrency: 4, Poll: 20 * time.Millisecond, Handlers: late.handlers(sent)})
	}()
	for {
		counts, err := e.jobs.Counts(e.ctx)
		if err != nil {
			tb.Fatal(err)
		}
		if counts[job.Queued]+counts[job.Running] == 0 {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	cancel()
	<-done
	r.total = time.Since(start)
	p, _ = e.inc.Progress(e.ctx, c.ID)
	r.opened = p.Opened
	del, err := e.tickets.DeliveryByTag(e.ctx, incident.CampaignTag(c.ID), 0)
	if err != nil {
		tb.Fatal(err)
	}
	for _, k := range del.Counts {
		r.conversations += k
	}
	r.deliveries, r.distinct = countLines(tb, sentPath)
	return r
}

func countLines(tb testing.TB, path string) (lines, distinct int) {
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	seen := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k := strings.TrimSpace(sc.Text()); k != "" {
			lines++
			seen[k] = true
		}
	}
	return lines, len(seen)
}

// TestOutreachSurvivesKill: a worker killed with SIGKILL half-way through
// a campaign loses nobody and reaches nobody twice once another worker
// takes over: one outbound conversation per recipient.
func TestOutreachSurvivesKill(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a worker process")
	}
	const n = 1000
	r := drill(t, n, 60000, n/2)
	if r.atKill >= n {
		t.Fatalf("the worker finished before it was killed (%d)", r.atKill)
	}
	if r.opened != n || r.conversations != n {
		t.Errorf("after the kill: %d recipients opened, %d conversations; want %d each", r.opened, r.conversations, n)
	}
	if r.distinct != n {
		t.Errorf("%d distinct deliveries, want %d", r.distinct, n)
	}
	t.Logf("killed at %d/%d; %d delivery calls for %d messages", r.atKill, n, r.deliveries, r.distinct)
}

// BenchmarkOutreachDrain runs the drill at full size: VIGIL_OUTREACH_N
// recipients (default 100,000), half on Telegram and half on email, at
// VIGIL_OUTREACH_RATE a minute per channel (default 30,000), with the
// worker process killed by SIGKILL half-way. Run with -benchtime=1x.
func BenchmarkOutreachDrain(b *testing.B) {
	n, rate := envInt("VIGIL_OUTREACH_N", 100000), envInt("VIGIL_OUTREACH_RATE", 30000)
	for range b.N {
		r := drill(b, n, rate, n/2)
		b.ReportMetric(r.seed.Seconds(), "seed-s")
		b.ReportMetric(float64(r.atKill)/r.firstRun.Seconds(), "sent/s-before-kill")
		b.ReportMetric(float64(r.opened)/r.total.Seconds(), "sent/s-overall")
		b.ReportMetric(float64(2*rate)/60, "configured/s")
		b.ReportMetric(float64(r.conversations-n), "duplicate-conversations")
		b.ReportMetric(float64(r.deliveries-r.distinct), "repeated-delivery-calls")
		b.ReportMetric(float64(n-r.opened), "lost")
	}
}

func envInt(name string, def int) int {
	var v int
	if _, err := fmt.Sscan(os.Getenv(name), &v); err != nil || v <= 0 {
		return def
	}
	return v
}
