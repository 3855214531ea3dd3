package db

import (
	"context"
	"sync"
	"time"
)

// Snapshot keeps what load read from a small table that changes rarely
// (webhook endpoints, automation rules) for at most TTL, so code that
// consults it on every event does not query it every time. The owner
// calls Invalidate after each change it commits, so this instance sees its
// own changes at once; other instances sharing the database see them
// within TTL. A read inside a transaction always loads, so a transaction
// sees its own writes.
type Snapshot[T any] struct {
	TTL time.Duration

	mu  sync.Mutex
	val T
	at  time.Time
	ok  bool
	gen uint64 // bumped by Invalidate, so a load begun before it is not kept
}

// Get returns the kept value, or loads it afresh.
func (s *Snapshot[T]) Get(ctx context.Context, load func(context.Context) (T, error)) (T, error) {
	if InTx(ctx) {
		return load(ctx)
	}
	s.mu.Lock()
	if s.ok && time.Since(s.at) < s.TTL {
		v := s.val
		s.mu.Unlock()
		return v, nil
	}
	gen := s.gen
	s.mu.Unlock()
	at := time.Now()
	v, err := load(ctx)
	if err != nil {
		return v, err
	}
	s.mu.Lock()
	if s.gen == gen {
		s.val, s.at, s.ok = v, at, true
	}
	s.mu.Unlock()
	return v, nil
}

// Invalidate drops the kept value; call it once a change has committed
// (AfterCommit).
func (s *Snapshot[T]) Invalidate() {
	s.mu.Lock()
	s.ok = false
	s.gen++
	var zero T
	s.val = zero
	s.mu.Unlock()
}
