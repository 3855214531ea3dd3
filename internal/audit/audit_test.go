package audit_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"vigil/internal/audit"
	"vigil/internal/db/dbtest"
)

func TestChainVerifiesAndNamesFirstBrokenEntry(t *testing.T) {
	d := dbtest.Open(t)
	now := time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC)
	l := audit.New(d, func() time.Time { now = now.Add(time.Second); return now })
	ctx := audit.WithActor(context.Background(), audit.Actor{Kind: "agent", ID: 7, IP: "10.0.0.1"})
	for i := range 5 {
		if err := l.Record(ctx, "conversation.reply", "conversation", int64(i+1), map[string]any{"n": i}); err != nil {
			t.Fatal(err)
		}
	}
	n, brk, err := l.Verify(ctx)
	if err != nil || brk != nil || n != 5 {
		t.Fatalf("verify intact chain: n=%d break=%v err=%v", n, brk, err)
	}

	// Updates are refused by the database itself.
	if _, err := d.Q(ctx).ExecContext(ctx, `UPDATE audit_log SET action = 'x' WHERE seq = 3`); err == nil {
		t.Fatal("audit_log accepted an UPDATE")
	}
	if _, err := d.Q(ctx).ExecContext(ctx, `DELETE FROM audit_log WHERE seq = 5`); err == nil {
		t.Fatal("audit_log accepted a DELETE")
	}

	// Someone with raw database access drops the trigger and edits entry 3.
	tamper(t, d.Dialect == "postgres", d, `UPDATE audit_log SET detail = '{"n":99}' WHERE seq = 3`)
	_, brk, err = l.Verify(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if brk == nil || brk.Seq != 3 {
		t.Fatalf("verify after tampering entry 3: got break %+v, want seq 3", brk)
	}

	entries, err := l.List(ctx, audit.Filter{ObjectKind: "conversation", ObjectID: 2})
	if err != nil || len(entries) != 1 || entries[0].ActorID != 7 || entries[0].IP != "10.0.0.1" {
		t.Fatalf("list by object: %+v, %v", entries, err)
	}
}

func TestChainDetectsTruncatedTail(t *testing.T) {
	d := dbtest.Open(t)
	l := audit.New(d, time.Now)
	ctx := context.Background()
	for range 3 {
		if err := l.Record(ctx, "login", "agent", 1, nil); err != nil {
			t.Fatal(err)
		}
	}
	tamper(t, d.Dialect == "postgres", d, `DELETE FROM audit_log WHERE seq = 3`)
	_, brk, err := l.Verify(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if brk == nil || brk.Seq != 3 {
		t.Fatalf("truncated tail: got %+v, want a break at entry 3", brk)
	}
}

// TestChainAcrossSharedCommits: entries written by calls that share one
// commit (chat messages) still form one unbroken chain with no gaps, and a
// call that fails takes its entries with it, on SQLite's group commit and
// on PostgreSQL's concurrent transactions alike.
func TestChainAcrossSharedCommits(t *testing.T) {
	d := dbtest.Open(t)
	l := audit.New(d, time.Now)
	ctx := audit.WithActor(context.Background(), audit.Actor{Kind: "customer", ID: 3})
	const n = 150
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			errs[i] = d.WithGroupTx(ctx, func(ctx context.Context) error {
				for k := range 2 {
					if err := l.Record(ctx, "conversation.message", "conversation", int64(i), map[string]any{"k": k}); err != nil {
						return err
					}
				}
				if i%3 == 0 {
					return errors.New("refused")
				}
				return nil
			})
		})
	}
	wg.Wait()
	n2, brk, err := l.Verify(ctx)
	if err != nil || brk != nil {
		t.Fatalf("verify: break %+v, err %v", brk, err)
	}
	if want := int64(2 * (n - n/3)); n2 != want {
		t.Errorf("chain holds %d entries, want %d (two per successful call)", n2, want)
	}
	for i, err := range errs {
		if (err != nil) != (i%3 == 0) {
			t.Errorf("call %d: err = %v", i, err)
		}
	}
	// The chain goes on from the same tip afterwards.
	if err := l.Record(ctx, "login", "agent", 1, nil); err != nil {
		t.Fatal(err)
	}
	if n3, brk, err := l.Verify(ctx); err != nil || brk != nil || n3 != n2+1 {
		t.Fatalf("after one more entry: n=%d break=%+v err=%v", n3, brk, err)
	}
}
