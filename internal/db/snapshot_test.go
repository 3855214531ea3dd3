package db

import (
	"context"
	"testing"
	"time"
)

// TestSnapshot: the kept value serves reads until it ages out or is
// invalidated; a load that began before an invalidation is not kept; a
// transaction always reads afresh.
func TestSnapshot(t *testing.T) {
	d := openGroupTest(t)
	ctx := context.Background()
	loads := 0
	table := 1
	load := func(context.Context) (int, error) { loads++; return table, nil }
	s := Snapshot[int]{TTL: time.Hour}
	for range 3 {
		if v, _ := s.Get(ctx, load); v != 1 {
			t.Fatalf("got %d, want 1", v)
		}
	}
	if loads != 1 {
		t.Errorf("%d loads for three reads within the TTL, want 1", loads)
	}
	table = 2
	s.Invalidate()
	if v, _ := s.Get(ctx, load); v != 2 || loads != 2 {
		t.Errorf("after Invalidate: got %d after %d loads, want 2 after 2", v, loads)
	}

	// A change committed while a load was under way: that load's result
	// must not outlive the invalidation.
	s.Invalidate()
	racing := func(context.Context) (int, error) { table = 3; s.Invalidate(); return 2, nil }
	_, _ = s.Get(ctx, racing)
	if v, _ := s.Get(ctx, load); v != 3 {
		t.Errorf("after a load raced an invalidation: got %d, want 3", v)
	}

	short := Snapshot[int]{TTL: time.Millisecond}
	_, _ = short.Get(ctx, load)
	time.Sleep(3 * time.Millisecond)
	table = 4
	if v, _ := short.Get(ctx, load); v != 4 {
		t.Errorf("after the TTL: got %d, want 4", v)
	}

	_ = d.WithTx(ctx, func(ctx context.Context) error {
		table = 5
		if v, _ := s.Get(ctx, load); v != 5 {
			t.Errorf("inside a transaction: got %d, want 5", v)
		}
		return nil
	})
}
