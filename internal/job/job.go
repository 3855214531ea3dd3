// Package job is the outbox: durable jobs written in the same transaction
// as the change that caused them, run by workers with retries, exponential
// backoff and a lease, so a crash or a remote failure neither loses nor
// doubles the work. A table of our own keeps it to one SQL schema on both
// databases, inside the caller's transaction, with no second connection
// pool (River's SQLite driver wants a database file of its own, which
// would put the job outside the business transaction).
package job

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"vigil/internal/db"
)

// State is where a job stands.
type State string

const (
	Queued  State = "queued"
	Running State = "running"
	Done    State = "done"
	Dead    State = "dead" // out of attempts; last_error says why
)

// Job is one unit of work as a handler sees it.
type Job struct {
	ID          int64
	Kind        string
	Key         string
	Payload     json.RawMessage
	State       State
	Attempt     int // 1 on the first run
	MaxAttempts int
	RunAt       time.Time
	LastError   string
}

// Spec describes a job to enqueue.
type Spec struct {
	Kind string
	// Key makes the enqueue idempotent: a second job with the same key is
	// not written. "email:message:42" names the work, not the attempt.
	Key         string
	Payload     any
	MaxAttempts int           // 0: DefaultMaxAttempts
	Delay       time.Duration // run no earlier than now + Delay
}

// DefaultMaxAttempts bounds retries when a Spec does not say.
const DefaultMaxAttempts = 8

// Handler runs a job. A nil error finishes it; an error schedules a retry
// with backoff until the attempts run out; Permanent(err) gives up at once.
// A handler may run more than once for one job (after a crash), so what it
// does outside the database must be safe to repeat or carry the job's key.
type Handler func(ctx context.Context, j Job) error

// Options wire a Queue.
type Options struct {
	DB  *db.DB
	Now func() time.Time
	Log *slog.Logger
	// Lease is how long a claimed job is hidden from other workers; a
	// worker that has not finished by then is presumed dead.
	Lease time.Duration // 0: 2 minutes
	// Backoff is the first retry delay; each further retry doubles it, up
	// to MaxBackoff.
	Backoff    time.Duration // 0: 10 seconds
	MaxBackoff time.Duration // 0: 1 hour
}

// Queue enqueues and claims jobs.
type Queue struct {
	db         *db.DB
	now        func() time.Time
	log        *slog.Logger
	lease      time.Duration
	backoff    time.Duration
	maxBackoff time.Duration
	// wake nudges a waiting worker after a commit that enqueued a job.
	wake chan struct{}
}

// New returns a Queue.
func New(o Options) *Queue {
	q := &Queue{db: o.DB, now: o.Now, log: o.Log, lease: o.Lease, backoff: o.Backoff, maxBackoff: o.MaxBackoff,
		wake: make(chan struct{}, 1)}
	if q.lease <= 0 {
		q.lease = 2 * time.Minute
	}
	if q.backoff <= 0 {
		q.backoff = 10 * time.Second
	}
	if q.maxBackoff <= 0 {
		q.maxBackoff = time.Hour
	}
	if q.log == nil {
		q.log = slog.New(slog.DiscardHandler)
	}
	return q
}

// Enqueue writes a job in the transaction carried by ctx (or its own). It
// reports whether the job is new; the same key twice writes one job.
func (q *Queue) Enqueue(ctx context.Context, s Spec) (bool, error) {
	if s.Kind == "" || s.Key == "" || len(s.Key) > 255 {
		return false, errors.New("job: kind and a key of at most 255 bytes are required")
	}
	payload, err := json.Marshal(s.Payload)
	if err != nil {
		return false, fmt.Errorf("job: encode %s payload: %w", s.Kind, err)
	}
	max := s.MaxAttempts
	if max <= 0 {
		max = DefaultMaxAttempts
	}
	now := q.now()
	var added bool
	err = q.db.WithTx(ctx, func(ctx context.Context) error {
		res, err := q.db.Q(ctx).ExecContext(ctx, `INSERT INTO jobs
			(kind, key, payload, state, attempts, max_attempts, run_at, created_at, updated_at)
			VALUES ($1, $2, $3, 'queued', 0, $4, $5, $6, $6)
			ON CONFLICT (key) DO NOTHING`,
			s.Kind, s.Key, string(payload), max, db.Millis(now.Add(s.Delay)), db.Millis(now))
		if err != nil {
			return fmt.Errorf("job: enqueue %s: %w", s.Kind, err)
		}
		n, _ := res.RowsAffected()
		added = n == 1
		return nil
	})
	if added {
		db.AfterCommit(ctx, func() { q.nudgeIn(s.Delay) })
	}
	return added, err
}

// nudgeIn wakes a waiting worker when a job written with delay d comes
// due: now for a job due now, at its time for one due within a minute
// (an outreach message held until its slot), so the worker neither
// claims in vain at once nor waits for its next poll. A job due later is
// found by the worker's own look at what comes due next.
func (q *Queue) nudgeIn(d time.Duration) {
	switch {
	case d <= 0:
		q.nudge()
	case d <= time.Minute:
		time.AfterFunc(d, q.nudge)
	}
}

func (q *Queue) nudge() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// Claim takes up to limit due jobs for this worker: queued jobs whose time
// has come and running jobs whose lease ran out. Each claim counts as an
// attempt and holds the lease until Finish or Fail.
func (q *Queue) Claim(ctx context.Context, limit int) ([]Job, error) {
	now := q.now()
	var jobs []Job
	err := q.db.WithTx(ctx, func(ctx context.Context) error {
		rows, err := q.db.Q(ctx).QueryContext(ctx, claimSQL(q.db.Dialect),
			db.Millis(now.Add(q.lease)), db.Millis(now), limit)
		if err != nil {
			return fmt.Errorf("job: claim: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var j Job
			var payload string
			var runAt int64
			if err := rows.Scan(&j.ID, &j.Kind, &j.Key, &payload, &j.Attempt, &j.MaxAttempts, &runAt, &j.LastError); err != nil {
				return fmt.Errorf("job: claim: %w", err)
			}
			j.Payload, j.State, j.RunAt = json.RawMessage(payload), Running, db.Time(runAt)
			jobs = append(jobs, j)
		}
		return rows.Err()
	})
	return jobs, err
}

// nextDue returns when the earliest queued job comes due, or the zero
// time when none is queued.
func (q *Queue) nextDue(ctx context.Context) (time.Time, error) {
	var at sql.NullInt64
	if err := q.db.Q(ctx).QueryRowContext(ctx, `SELECT MIN(run_at) FROM jobs WHERE state = 'queued'`).Scan(&at); err != nil {
		return time.Time{}, fmt.Errorf("job: next due: %w", err)
	}
	if !at.Valid {
		return time.Time{}, nil
	}
	return db.Time(at.Int64), nil
}

// claimColumns is what Claim returns of each claimed row.
const claimColumns = `id, kind, key, payload, attempts, max_attempts, run_at, last_error`

// errStale means the job was claimed again after this worker's lease ran
// out; the newer claim owns its outcome.
var errStale = errors.New("job: lease lost")

// Finish marks a claimed job done. The attempt fences it: a worker whose
// lease ran out and whose job was claimed again cannot finish it.
func (q *Queue) Finish(ctx context.Context, j Job) error {
	res, err := q.db.Q(ctx).ExecContext(ctx, `UPDATE jobs SET state = 'done', locked_until = 0, updated_at = $1
		WHERE id = $2 AND state = 'running' AND attempts = $3`, db.Millis(q.now()), j.ID, j.Attempt)
	return q.fenced(res, err, "finish")
}

// Fail records a failed attempt: the job goes back in the queue after a
// backoff, or is dead once its attempts are spent or the error is permanent.
func (q *Queue) Fail(ctx context.Context, j Job, cause error) error {
	now := q.now()
	msg := cause.Error()
	if len(msg) > 2000 {
		msg = msg[:2000]
	}
	var l later
	if errors.As(cause, &l) {
		// Not a failure: the attempt is handed back and the error kept.
		res, err := q.db.Q(ctx).ExecContext(ctx, `UPDATE jobs SET state = 'queued', run_at = $1, locked_until = 0,
			attempts = attempts - 1, updated_at = $2 WHERE id = $3 AND state = 'running' AND attempts = $4`,
			db.Millis(now.Add(l.after)), db.Millis(now), j.ID, j.Attempt)
		return q.fenced(res, err, "postpone")
	}
	wait := q.delay(j.Attempt)
	var ra retryAfter
	if errors.As(cause, &ra) && ra.after > wait {
		wait = ra.after
	}
	state, runAt := Queued, now.Add(wait)
	if j.Attempt >= j.MaxAttempts || errors.As(cause, new(permanent)) {
		state, runAt = Dead, now
	}
	res, err := q.db.Q(ctx).ExecContext(ctx, `UPDATE jobs SET state = $1, run_at = $2, locked_until = 0, last_error = $3, updated_at = $4
		WHERE id = $5 AND state = 'running' AND attempts = $6`,
		string(state), db.Millis(runAt), msg, db.Millis(now), j.ID, j.Attempt)
	return q.fenced(res, err, "fail")
}

func (q *Queue) fenced(res sql.Result, err error, op string) error {
	if err != nil {
		return fmt.Errorf("job: %s: %w", op, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return errStale
	}
	return nil
}

// delay is the wait before retry number attempt: Backoff, doubling each
// time, capped at MaxBackoff.
func (q *Queue) delay(attempt int) time.Duration {
	d := q.backoff
	for i := 1; i < attempt && d < q.maxBackoff; i++ {
		d *= 2
	}
	return min(d, q.maxBackoff)
}

// ByKey returns the job with an idempotency key.
func (q *Queue) ByKey(ctx context.Context, key string) (Job, error) {
	var j Job
	var payload, state string
	var runAt int64
	err := q.db.Q(ctx).QueryRowContext(ctx, `SELECT id, kind, key, payload, state, attempts, max_attempts, run_at, last_error
		FROM jobs WHERE key = $1`, key).Scan(&j.ID, &j.Kind, &j.Key, &payload, &state, &j.Attempt, &j.MaxAttempts, &runAt, &j.LastError)
	if err != nil {
		return Job{}, fmt.Errorf("job: %q: %w", key, err)
	}
	j.Payload, j.State, j.RunAt = json.RawMessage(payload), State(state), db.Time(runAt)
	return j, nil
}

// Counts returns how many jobs are in each state, for metrics and tests.
func (q *Queue) Counts(ctx context.Context) (map[State]int, error) {
	rows, err := q.db.Q(ctx).QueryContext(ctx, `SELECT state, COUNT(*) FROM jobs GROUP BY state`)
	if err != nil {
		return nil, fmt.Errorf("job: counts: %w", err)
	}
	defer rows.Close()
	out := map[State]int{}
	for rows.Next() {
		var s string
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			return nil, fmt.Errorf("job: counts: %w", err)
		}
		out[State(s)] = n
	}
	return out, rows.Err()
}

type permanent struct{ error }

func (p permanent) Unwrap() error { return p.error }

// Permanent marks an error that retrying cannot fix (a refused address),
// so the job goes straight to dead.
func Permanent(err error) error { return permanent{err} }

// IsPermanent reports whether err was marked with Permanent.
func IsPermanent(err error) bool { return errors.As(err, new(permanent)) }

type retryAfter struct {
	error
	after time.Duration
}

func (r retryAfter) Unwrap() error { return r.error }

// RetryAfter marks an error whose remote asked to be left alone for d (an
// HTTP 429 with Retry-After): the next attempt waits at least that long.
func RetryAfter(err error, d time.Duration) error { return retryAfter{err, d} }

type later struct{ after time.Duration }

func (l later) Error() string { return fmt.Sprintf("job: not due for %s", l.after) }

// Later asks for the job to run again after d without counting an
// attempt: the handler found its work not due yet (the next free slot of
// a rate limit), which is no failure.
func Later(d time.Duration) error { return later{d} }

// IsLater reports whether err came from Later.
func IsLater(err error) bool { return errors.As(err, new(later)) }

// Prune deletes finished jobs last touched before cutoff; dead jobs stay
// for an administrator to see why they failed.
func (q *Queue) Prune(ctx context.Context, cutoff time.Time) (int64, error) {
	var n int64
	err := q.db.WithTx(ctx, func(ctx context.Context) error {
		res, err := q.db.Q(ctx).ExecContext(ctx, `DELETE FROM jobs WHERE state = 'done' AND updated_at < $1`, db.Millis(cutoff))
		if err != nil {
			return fmt.Errorf("job: prune: %w", err)
		}
		n, _ = res.RowsAffected()
		return nil
	})
	return n, err
}
