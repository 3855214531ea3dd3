package auth_test

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"vigil/internal/auth"
	"vigil/internal/db/dbtest"
)

func TestLimiter(t *testing.T) {
	t.Parallel()
	clk := dbtest.NewClock(t0)
	l := auth.NewLimiter(2, 3, clk.Now) // bursts of 3, then 2 a second
	steps := []struct {
		advance time.Duration
		key     string
		want    bool
	}{
		{0, "ip-a", true},
		{0, "ip-a", true},
		{0, "ip-a", true},
		{0, "ip-a", false}, // burst spent
		{0, "ip-b", true},  // other keys have their own bucket
		{250 * time.Millisecond, "ip-a", false},
		{250 * time.Millisecond, "ip-a", true}, // half a second refills one
		{0, "ip-a", false},
		{time.Hour, "ip-a", true}, // a long wait refills to the burst, no more
		{0, "ip-a", true},
		{0, "ip-a", true},
		{0, "ip-a", false},
		{time.Second, "ip-a", true},
		{0, "ip-a", true},
		{0, "ip-a", false},
	}
	for i, st := range steps {
		clk.Advance(st.advance)
		if got := l.Allow(st.key); got != st.want {
			t.Fatalf("step %d: Allow(%s) at +%v = %v, want %v", i, st.key, clk.Now().Sub(t0), got, st.want)
		}
	}
}

// Refused calls do not spend tokens: a caller retrying in a tight loop is
// served again as soon as the bucket refills.
func TestLimiterRefusalsCostNothing(t *testing.T) {
	t.Parallel()
	clk := dbtest.NewClock(t0)
	l := auth.NewLimiter(1, 1, clk.Now)
	if !l.Allow("k") {
		t.Fatal("first call refused")
	}
	for range 100 {
		clk.Advance(9 * time.Millisecond)
		l.Allow("k")
	}
	clk.Advance(150 * time.Millisecond)
	if !l.Allow("k") {
		t.Error("refused after a second although refusals should not drain the bucket")
	}
}

func TestLimiterConcurrent(t *testing.T) {
	t.Parallel()
	clk := dbtest.NewClock(t0)
	l := auth.NewLimiter(1, 10, clk.Now)
	var allowed atomic.Int64
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			if l.Allow("shared") {
				allowed.Add(1)
			}
		})
	}
	wg.Wait()
	if got := allowed.Load(); got != 10 {
		t.Errorf("%d of 50 concurrent calls allowed, want the burst of 10", got)
	}
}
