package auth_test

import (
	"testing"
	"time"

	"vigil/internal/auth"
	"vigil/internal/db"
	"vigil/internal/db/dbtest"
)

// Two instances' limiters over one PostgreSQL database spend from the same
// bucket: a stranger cannot double their attempts by alternating instances.
func TestSharedLimiterAcrossInstances(t *testing.T) {
	d := dbtest.Open(t)
	if d.Dialect != db.Postgres {
		t.Skip("shared buckets live in PostgreSQL; SQLite runs one instance")
	}
	clk := dbtest.NewClock(time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC))
	a := auth.NewSharedLimiter(d, "login", 1.0/60, 4, clk.Now)
	b := auth.NewSharedLimiter(d, "login", 1.0/60, 4, clk.Now)
	allowed := 0
	for i := range 10 {
		l := a
		if i%2 == 1 {
			l = b
		}
		if l.Allow("198.51.100.7") {
			allowed++
		}
	}
	if allowed != 4 {
		t.Errorf("alternating instances allowed %d attempts, want the burst of 4", allowed)
	}
	if !a.Allow("203.0.113.9") {
		t.Error("another address was refused")
	}
	// One token back after a minute, on either instance.
	clk.Advance(61 * time.Second)
	if !b.Allow("198.51.100.7") || a.Allow("198.51.100.7") {
		t.Error("after a minute exactly one more attempt should pass")
	}
}
