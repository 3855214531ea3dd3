package db

import (
	"context"
	"fmt"
	"sync"
)

// group commits concurrent transactions together on SQLite. The single
// writer runs one transaction at a time, and each commit costs a lock, a
// write of every changed page to the WAL and, every thousand pages, a
// checkpoint with fsync; chat messages arriving together share those. A
// caller that finds no batch running leads one: it takes every queued call
// (its own first), runs each in a savepoint of one transaction, commits,
// and hands the lead to the next waiter.
type group struct {
	d     *DB
	mu    sync.Mutex // guards queue and busy
	queue []*groupCall
	busy  bool // a leader is running a batch
}

// maxGroup bounds a batch, so one commit never waits on too many calls.
const maxGroup = 128

// groupCall is one WithGroupTx call. The leader writes err and panicked
// before it sends on wake; lead is written under group.mu.
type groupCall struct {
	ctx      context.Context
	fn       func(context.Context) error
	err      error
	panicked any
	lead     bool
	wake     chan struct{}
}

// WithGroupTx runs fn in a transaction like WithTx and returns once it has
// committed, but on SQLite concurrent callers may share the transaction
// and its commit. Each fn runs in its own savepoint: an error rolls back
// that fn's changes and its AfterCommit functions only, and is returned to
// its caller alone. If the shared transaction fails as a whole, nothing of
// it was committed and each fn runs again in a transaction of its own. fn
// must therefore, as in any transaction, touch nothing but the database.
// Once a batch has started, cancelling ctx no longer interrupts fn's
// statements, which would roll back the others' work too.
func (d *DB) WithGroupTx(ctx context.Context, fn func(ctx context.Context) error) error {
	if d.group == nil || InTx(ctx) {
		return d.WithTx(ctx, fn)
	}
	g := d.group
	c := &groupCall{ctx: ctx, fn: fn, wake: make(chan struct{}, 1)}
	g.mu.Lock()
	g.queue = append(g.queue, c)
	if g.busy {
		g.mu.Unlock()
		<-c.wake
		if !c.lead {
			return c.result()
		}
	} else {
		g.busy = true
		g.mu.Unlock()
	}
	// c leads: it is first in the queue, so the batch includes it.
	g.mu.Lock()
	n := min(len(g.queue), maxGroup)
	batch := g.queue[:n:n]
	g.queue = append([]*groupCall(nil), g.queue[n:]...)
	g.mu.Unlock()
	defer func() {
		// Even if an AfterCommit function panics, the lead passes on and
		// every waiter in the batch wakes.
		g.mu.Lock()
		if len(g.queue) > 0 {
			next := g.queue[0]
			next.lead = true
			next.wake <- struct{}{}
		} else {
			g.busy = false
		}
		g.mu.Unlock()
		for _, o := range batch[1:] {
			o.wake <- struct{}{}
		}
	}()
	g.run(batch)
	return c.result()
}

// result returns the call's outcome in the caller's goroutine; a panic in
// fn panics there, as it would have without grouping.
func (c *groupCall) result() error {
	if c.panicked != nil {
		panic(c.panicked)
	}
	return c.err
}

func (g *group) run(batch []*groupCall) {
	if len(batch) == 1 {
		c := batch[0]
		c.err, c.panicked = guard(func() error { return g.d.WithTx(c.ctx, c.fn) })
		return
	}
	if err := g.shared(batch); err != nil {
		for _, c := range batch {
			if c.panicked == nil {
				c.err, c.panicked = guard(func() error { return g.d.WithTx(c.ctx, c.fn) })
			}
		}
	}
}

// shared runs the batch in one transaction, each call in a savepoint. An
// error return means the transaction was rolled back as a whole.
func (g *group) shared(batch []*groupCall) (err error) {
	d := g.d
	tx, err := d.write.BeginTx(context.WithoutCancel(batch[0].ctx), nil)
	if err != nil {
		return fmt.Errorf("db: begin: %w", err)
	}
	s := &txState{tx: tx}
	q := cachedTx{tx: tx, c: d.writeStmts}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	for _, c := range batch {
		if c.err = c.ctx.Err(); c.err != nil {
			continue
		}
		ctx := context.WithValue(context.WithoutCancel(c.ctx), txKey{}, s)
		if _, err := q.ExecContext(ctx, `SAVEPOINT group_call`); err != nil {
			return fmt.Errorf("db: savepoint: %w", err)
		}
		m := s.mark()
		c.err, c.panicked = guard(func() error { return c.fn(ctx) })
		if c.err != nil || c.panicked != nil {
			if _, err := q.ExecContext(ctx, `ROLLBACK TO group_call`); err != nil {
				return fmt.Errorf("db: rollback to savepoint: %w", err)
			}
			s.restore(m)
		}
		if _, err := q.ExecContext(ctx, `RELEASE group_call`); err != nil {
			return fmt.Errorf("db: release savepoint: %w", err)
		}
	}
	if err := s.finish(context.WithoutCancel(batch[0].ctx)); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("db: commit: %w", err)
	}
	d.writeStmts.preparePending(context.WithoutCancel(batch[0].ctx))
	for _, f := range s.afterCommit {
		f()
	}
	return nil
}

// guard runs fn and turns a panic into a value to re-raise later.
func guard(fn func() error) (err error, panicked any) {
	defer func() {
		if p := recover(); p != nil {
			panicked = p
		}
	}()
	return fn(), nil
}
