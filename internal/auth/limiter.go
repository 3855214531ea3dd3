package auth

import (
	"sync"
	"time"

	"vigil/internal/db"
)

// Limiter is a token bucket per key (an IP address, an account) for
// anything a stranger can call. It holds at most maxKeys buckets; when
// full, buckets idle long enough to have refilled are dropped.
type Limiter struct {
	rate  float64 // tokens per second
	burst float64
	now   func() time.Time
	// shared, when set, keeps the buckets in the database so every
	// instance spends from the same ones; the memory buckets are the
	// fallback when the database does not answer.
	shared *sharedBuckets

	mu      sync.Mutex // guards buckets
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

const maxKeys = 100_000

// NewLimiter allows burst events at once and rate per second after that.
func NewLimiter(rate float64, burst int, now func() time.Time) *Limiter {
	return &Limiter{rate: rate, burst: float64(burst), now: now, buckets: map[string]*bucket{}}
}

// NewSharedLimiter is NewLimiter with buckets in PostgreSQL (table
// rate_limits), for several instances behind one load balancer. On SQLite,
// a single instance, it is NewLimiter.
func NewSharedLimiter(d *db.DB, name string, rate float64, burst int, now func() time.Time) *Limiter {
	l := NewLimiter(rate, burst, now)
	if d.Dialect == db.Postgres {
		l.shared = &sharedBuckets{db: d, name: name}
	}
	return l
}

// Allow spends one token for key, reporting false when none is left.
func (l *Limiter) Allow(key string) bool {
	if l.shared != nil {
		if ok, err := l.shared.allow(key, l.rate, l.burst, l.now()); err == nil {
			return ok
		}
		// The database is away: limit in memory rather than not at all.
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[key]
	if !ok {
		if len(l.buckets) >= maxKeys {
			l.evict(now)
		}
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[key] = b
	}
	b.tokens = min(l.burst, b.tokens+now.Sub(b.last).Seconds()*l.rate)
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// evict drops full buckets; if none are full, the oldest half goes.
func (l *Limiter) evict(now time.Time) {
	full := time.Duration(l.burst / l.rate * float64(time.Second))
	for k, b := range l.buckets {
		if now.Sub(b.last) >= full {
			delete(l.buckets, k)
		}
	}
	if len(l.buckets) < maxKeys {
		return
	}
	n := 0
	for k := range l.buckets {
		delete(l.buckets, k)
		if n++; n >= maxKeys/2 {
			return
		}
	}
}
