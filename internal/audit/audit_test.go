package audit_test

import (
	"context"
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
