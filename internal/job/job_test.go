package job_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"vigil/internal/db"
	"vigil/internal/db/dbtest"
	"vigil/internal/job"
)

func newQueue(t *testing.T) (*job.Queue, *db.DB, *dbtest.Clock) {
	t.Helper()
	d := dbtest.Open(t)
	clock := dbtest.NewClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	q := job.New(job.Options{DB: d, Now: clock.Now, Lease: time.Minute, Backoff: 10 * time.Second, MaxBackoff: time.Hour})
	return q, d, clock
}

type payload struct {
	To string `json:"to"`
}

func TestSameKeyTwiceSendsOnce(t *testing.T) {
	q, _, _ := newQueue(t)
	ctx := context.Background()
	for i := range 2 {
		added, err := q.Enqueue(ctx, job.Spec{Kind: "send", Key: "send:message:7", Payload: payload{To: "a@example.com"}})
		if err != nil {
			t.Fatal(err)
		}
		if added != (i == 0) {
			t.Fatalf("enqueue %d: added = %v", i, added)
		}
	}
	sent := 0
	ran, err := q.RunOnce(ctx, map[string]job.Handler{"send": func(ctx context.Context, j job.Job) error {
		sent++
		if !strings.Contains(string(j.Payload), "a@example.com") {
			t.Errorf("payload = %s", j.Payload)
		}
		return nil
	}})
	if err != nil || ran != 1 || sent != 1 {
		t.Fatalf("ran %d, sent %d, err %v; want one send", ran, sent, err)
	}
	// Enqueued again after it was sent: still nothing new.
	if added, _ := q.Enqueue(ctx, job.Spec{Kind: "send", Key: "send:message:7"}); added {
		t.Fatal("a finished job's key was accepted again")
	}
	if ran, _ := q.RunOnce(ctx, nil); ran != 0 {
		t.Fatalf("ran %d jobs after the key was reused", ran)
	}
}

func TestEnqueueBelongsToCallersTransaction(t *testing.T) {
	q, d, _ := newQueue(t)
	ctx := context.Background()
	boom := errors.New("change refused")
	err := d.WithTx(ctx, func(ctx context.Context) error {
		if _, err := q.Enqueue(ctx, job.Spec{Kind: "send", Key: "k1"}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if _, err := q.ByKey(ctx, "k1"); err == nil {
		t.Fatal("job of a rolled-back change survived")
	}
	if err := d.WithTx(ctx, func(ctx context.Context) error {
		_, err := q.Enqueue(ctx, job.Spec{Kind: "send", Key: "k2"})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if j, err := q.ByKey(ctx, "k2"); err != nil || j.State != job.Queued {
		t.Fatalf("committed job: %+v, %v", j, err)
	}
}

func TestRetriesBackOffThenDie(t *testing.T) {
	q, _, clock := newQueue(t)
	ctx := context.Background()
	if _, err := q.Enqueue(ctx, job.Spec{Kind: "send", Key: "k", MaxAttempts: 3}); err != nil {
		t.Fatal(err)
	}
	calls := 0
	h := map[string]job.Handler{"send": func(context.Context, job.Job) error {
		calls++
		return errors.New("451 mailbox busy")
	}}
	// Attempt 1 fails: retry after 10s, not before.
	if ran, _ := q.RunOnce(ctx, h); ran != 1 {
		t.Fatalf("ran %d", ran)
	}
	j, _ := q.ByKey(ctx, "k")
	if j.State != job.Queued || !j.RunAt.Equal(clock.Now().Add(10*time.Second)) || j.LastError != "451 mailbox busy" {
		t.Fatalf("after attempt 1: %+v", j)
	}
	clock.Advance(9 * time.Second)
	if ran, _ := q.RunOnce(ctx, h); ran != 0 {
		t.Fatal("retried before the backoff elapsed")
	}
	clock.Advance(time.Second)
	q.RunOnce(ctx, h)
	// Attempt 2 fails: the wait doubles.
	j, _ = q.ByKey(ctx, "k")
	if !j.RunAt.Equal(clock.Now().Add(20 * time.Second)) {
		t.Fatalf("second backoff: run at %v, now %v", j.RunAt, clock.Now())
	}
	clock.Advance(20 * time.Second)
	q.RunOnce(ctx, h)
	j, _ = q.ByKey(ctx, "k")
	if j.State != job.Dead || j.Attempt != 3 || j.LastError != "451 mailbox busy" || calls != 3 {
		t.Fatalf("after the last attempt: %+v, %d calls", j, calls)
	}
	clock.Advance(24 * time.Hour)
	if ran, _ := q.RunOnce(ctx, h); ran != 0 {
		t.Fatal("a dead job ran again")
	}
}

func TestPermanentErrorAndUnknownKindDieAtOnce(t *testing.T) {
	q, _, _ := newQueue(t)
	ctx := context.Background()
	q.Enqueue(ctx, job.Spec{Kind: "send", Key: "refused"})
	q.Enqueue(ctx, job.Spec{Kind: "sned", Key: "typo"})
	q.RunOnce(ctx, map[string]job.Handler{"send": func(context.Context, job.Job) error {
		return job.Permanent(errors.New("550 no such user"))
	}})
	for key, want := range map[string]string{"refused": "550 no such user", "typo": `no handler for job kind "sned"`} {
		j, _ := q.ByKey(ctx, key)
		if j.State != job.Dead || j.Attempt != 1 || j.LastError != want {
			t.Errorf("%s: %+v", key, j)
		}
	}
}

func TestCrashBetweenClaimAndFinishDoesNotLoseTheJob(t *testing.T) {
	q, _, clock := newQueue(t)
	ctx := context.Background()
	q.Enqueue(ctx, job.Spec{Kind: "send", Key: "k"})
	// A worker claims the job and dies before finishing it.
	claimed, err := q.Claim(ctx, 10)
	if err != nil || len(claimed) != 1 {
		t.Fatalf("claim: %v, %v", claimed, err)
	}
	// While its lease holds, nobody else runs it.
	clock.Advance(59 * time.Second)
	if again, _ := q.Claim(ctx, 10); len(again) != 0 {
		t.Fatal("a leased job was claimed twice")
	}
	// Once the lease has run out, another worker takes it over.
	clock.Advance(time.Second)
	sent := 0
	ran, _ := q.RunOnce(ctx, map[string]job.Handler{"send": func(ctx context.Context, j job.Job) error {
		sent++
		if j.Attempt != 2 {
			t.Errorf("attempt = %d, want 2", j.Attempt)
		}
		return nil
	}})
	if ran != 1 || sent != 1 {
		t.Fatalf("ran %d", ran)
	}
	// The first worker coming back late cannot undo the outcome.
	if err := q.Fail(ctx, claimed[0], errors.New("late")); err == nil {
		t.Fatal("a stale claim recorded an outcome")
	}
	if j, _ := q.ByKey(ctx, "k"); j.State != job.Done {
		t.Fatalf("state = %s", j.State)
	}
}

func TestWorkersRunEachJobOnce(t *testing.T) {
	q, _, _ := newQueue(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	const n = 60
	var mu sync.Mutex
	seen := map[string]int{}
	var done sync.WaitGroup
	done.Add(n)
	h := map[string]job.Handler{"send": func(ctx context.Context, j job.Job) error {
		mu.Lock()
		seen[j.Key]++
		mu.Unlock()
		done.Done()
		return nil
	}}
	var workers sync.WaitGroup
	for range 2 {
		workers.Add(1)
		go func() {
			defer workers.Done()
			q.Work(ctx, job.WorkOptions{Handlers: h, Concurrency: 3, Poll: 10 * time.Millisecond})
		}()
	}
	for i := range n {
		if _, err := q.Enqueue(ctx, job.Spec{Kind: "send", Key: "k" + string(rune('A'+i))}); err != nil {
			t.Fatal(err)
		}
	}
	waitOrFail(t, &done)
	cancel()
	workers.Wait()
	for k, c := range seen {
		if c != 1 {
			t.Errorf("%s ran %d times", k, c)
		}
	}
	counts, _ := q.Counts(context.Background())
	if counts[job.Done] != n {
		t.Fatalf("counts = %v", counts)
	}
}

func waitOrFail(t *testing.T, wg *sync.WaitGroup) {
	t.Helper()
	ch := make(chan struct{})
	go func() { wg.Wait(); close(ch) }()
	select {
	case <-ch:
	case <-time.After(20 * time.Second):
		t.Fatal("jobs did not all run")
	}
}

func TestRetryAfterIsHonoured(t *testing.T) {
	q, _, clock := newQueue(t)
	ctx := context.Background()
	q.Enqueue(ctx, job.Spec{Kind: "send", Key: "k"})
	q.RunOnce(ctx, map[string]job.Handler{"send": func(context.Context, job.Job) error {
		return job.RetryAfter(errors.New("429 Too Many Requests"), 90*time.Second)
	}})
	j, _ := q.ByKey(ctx, "k")
	if j.State != job.Queued || !j.RunAt.Equal(clock.Now().Add(90*time.Second)) {
		t.Fatalf("retry at %v, want now + 90s (the remote's wait, not the 10s backoff)", j.RunAt)
	}
}

func TestPruneKeepsDeadAndRecentJobs(t *testing.T) {
	q, _, clock := newQueue(t)
	ctx := context.Background()
	q.Enqueue(ctx, job.Spec{Kind: "send", Key: "old-done"})
	q.Enqueue(ctx, job.Spec{Kind: "send", Key: "old-dead", MaxAttempts: 1})
	q.RunOnce(ctx, map[string]job.Handler{"send": func(_ context.Context, j job.Job) error {
		if j.Key == "old-dead" {
			return errors.New("refused")
		}
		return nil
	}})
	clock.Advance(8 * 24 * time.Hour)
	q.Enqueue(ctx, job.Spec{Kind: "send", Key: "new-done"})
	q.RunOnce(ctx, map[string]job.Handler{"send": func(context.Context, job.Job) error { return nil }})
	n, err := q.Prune(ctx, clock.Now().Add(-job.KeepDone))
	if err != nil || n != 1 {
		t.Fatalf("pruned %d, %v", n, err)
	}
	for key, kept := range map[string]bool{"old-done": false, "old-dead": true, "new-done": true} {
		if _, err := q.ByKey(ctx, key); (err == nil) != kept {
			t.Errorf("%s kept = %v", key, err == nil)
		}
	}
}

// TestWorkerWakesWhenADelayedJobComesDue: a job written to run shortly
// (an outreach message held until its slot) runs when it comes due, not
// at the worker's next poll, an hour away here; and not before. Written by
// this instance, it wakes the worker itself; written by another instance
// before the worker looked, the worker waits only until it is due.
func TestWorkerWakesWhenADelayedJobComesDue(t *testing.T) {
	for _, other := range []bool{false, true} {
		d := dbtest.Open(t)
		q := job.New(job.Options{DB: d, Now: time.Now})
		writer := q
		if other {
			writer = job.New(job.Options{DB: d, Now: time.Now})
		}
		ctx, cancel := context.WithCancel(context.Background())
		ran := make(chan time.Time, 1)
		h := map[string]job.Handler{"send": func(context.Context, job.Job) error { ran <- time.Now(); return nil }}
		const delay = 300 * time.Millisecond
		written := time.Now()
		enqueue := func() {
			if _, err := writer.Enqueue(ctx, job.Spec{Kind: "send", Key: "later", Delay: delay}); err != nil {
				t.Fatal(err)
			}
		}
		if other {
			enqueue()
		}
		stopped := make(chan struct{})
		go func() { q.Work(ctx, job.WorkOptions{Handlers: h, Poll: time.Hour}); close(stopped) }()
		if !other {
			enqueue()
		}
		select {
		case at := <-ran:
			if at.Sub(written) < delay-10*time.Millisecond {
				t.Errorf("other instance %v: ran %s after it was written, before its %s delay", other, at.Sub(written), delay)
			}
		case <-time.After(10 * time.Second):
			t.Errorf("other instance %v: the delayed job did not run when it came due (the worker waited for its next poll)", other)
		}
		cancel()
		<-stopped
	}
}
