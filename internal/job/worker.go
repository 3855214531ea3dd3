package job

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// KeepDone is how long finished jobs are kept before Work prunes them.
const KeepDone = 7 * 24 * time.Hour

// WorkOptions configure Work.
type WorkOptions struct {
	Handlers map[string]Handler
	// Concurrency is how many jobs run at once (0: 4).
	Concurrency int
	// Poll is how often to look for due jobs when nothing nudged the
	// worker: retries come due and other instances enqueue (0: 1 second).
	Poll time.Duration
}

// Work claims and runs jobs until ctx ends, then waits for the running
// ones. A job of a kind with no handler fails permanently, so a typo shows
// up as a dead job instead of a job retried forever.
func (q *Queue) Work(ctx context.Context, o WorkOptions) {
	n := o.Concurrency
	if n <= 0 {
		n = 4
	}
	poll := o.Poll
	if poll <= 0 {
		poll = time.Second
	}
	slots := make(chan struct{}, n)
	var wg sync.WaitGroup
	defer wg.Wait()
	timer := time.NewTimer(0)
	defer timer.Stop()
	prune := time.NewTicker(time.Hour)
	defer prune.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-prune.C:
			// Finished jobs are kept a week: long enough to answer "was it sent?".
			if _, err := q.Prune(ctx, q.now().Add(-KeepDone)); err != nil && ctx.Err() == nil {
				q.log.Error("prune jobs", "component", "job", "err", err)
			}
			continue
		case <-timer.C:
		case <-q.wake:
		}
		for ctx.Err() == nil {
			free := n - len(slots)
			if free == 0 {
				break
			}
			jobs, err := q.Claim(ctx, free)
			if err != nil {
				if ctx.Err() == nil {
					q.log.Error("claim jobs", "component", "job", "err", err)
				}
				break
			}
			for _, j := range jobs {
				slots <- struct{}{}
				wg.Add(1)
				go func() {
					defer wg.Done()
					defer func() { <-slots }()
					q.run(ctx, o.Handlers, j)
				}()
			}
			if len(jobs) < free {
				break
			}
			// Every slot is busy: wait for one before claiming more, so
			// claimed jobs never sit out their lease in our queue.
			slots <- struct{}{}
			<-slots
		}
		timer.Reset(q.untilDue(ctx, poll))
	}
}

// untilDue is how long to wait before looking for jobs again: until the
// next queued job comes due, or poll when none does sooner. A job written
// to run shortly (an outreach message held until its slot on the pace)
// then runs when due, not up to a poll later.
func (q *Queue) untilDue(ctx context.Context, poll time.Duration) time.Duration {
	next, err := q.nextDue(ctx)
	if err != nil || next.IsZero() {
		return poll
	}
	return min(max(next.Sub(q.now()), time.Millisecond), poll)
}

// RunOnce claims and runs due jobs one at a time until none is due; tests
// and benchmarks use it to drain the queue deterministically.
func (q *Queue) RunOnce(ctx context.Context, handlers map[string]Handler) (int, error) {
	ran := 0
	for {
		jobs, err := q.Claim(ctx, 16)
		if err != nil || len(jobs) == 0 {
			return ran, err
		}
		for _, j := range jobs {
			q.run(ctx, handlers, j)
			ran++
		}
	}
}

func (q *Queue) run(ctx context.Context, handlers map[string]Handler, j Job) {
	h, ok := handlers[j.Kind]
	var err error
	if !ok {
		err = Permanent(fmt.Errorf("no handler for job kind %q", j.Kind))
	} else {
		err = safely(ctx, h, j)
	}
	// Recording the outcome must not be cut short by shutdown.
	rctx := context.WithoutCancel(ctx)
	if err == nil {
		err = q.Finish(rctx, j)
	} else {
		var l later
		if errors.As(err, &l) {
			// Wake a worker when the job comes due, not at the next poll:
			// a rate limit's slots are finer than the polling interval.
			time.AfterFunc(l.after, q.nudge)
		} else {
			q.log.Warn("job failed", "component", "job", "kind", j.Kind, "job", j.ID, "attempt", j.Attempt, "err", err)
		}
		err = q.Fail(rctx, j, err)
	}
	if err != nil && !errors.Is(err, errStale) {
		q.log.Error("record job outcome", "component", "job", "kind", j.Kind, "job", j.ID, "err", err)
	}
}

// safely turns a handler's panic into a failed attempt.
func safely(ctx context.Context, h Handler, j Job) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	return h(ctx, j)
}
