package audit_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"vigil/internal/audit"
	"vigil/internal/db/dbtest"
)

const testSecret = "0123456789abcdef0123456789abcdef"

func TestPruneKeepsChainVerifiable(t *testing.T) {
	d := dbtest.Open(t)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	l := audit.NewSigned(d, clock, testSecret)
	ctx := context.Background()
	for i := range 6 {
		now = now.Add(24 * time.Hour)
		if err := l.Record(ctx, "conversation.reply", "conversation", int64(i+1), nil); err != nil {
			t.Fatal(err)
		}
	}
	// Entries 1-3 were written on 2-4 January; keep from 5 January on.
	n, err := l.Prune(ctx, time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC))
	if err != nil || n != 3 {
		t.Fatalf("prune: removed %d, %v; want 3", n, err)
	}
	checked, brk, err := l.Verify(ctx)
	if err != nil || brk != nil {
		t.Fatalf("verify after prune: %+v %v", brk, err)
	}
	if checked != 4 { // entries 4-6 and the prune entry
		t.Fatalf("verify checked %d entries, want 4", checked)
	}
	left, _ := l.List(ctx, audit.Filter{Limit: 10})
	if len(left) != 4 || left[0].Action != "audit.prune" || left[len(left)-1].Seq != 4 {
		t.Fatalf("entries left: %+v", left)
	}
	// Pruning again with nothing old enough removes nothing; the tip stays.
	if n, err := l.Prune(ctx, time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)); err != nil || n != 0 {
		t.Fatalf("second prune: %d %v", n, err)
	}
	// A prune never takes the newest entry, even when everything is old.
	now = now.Add(365 * 24 * time.Hour)
	if n, err := l.Prune(ctx, now); err != nil || n != 3 {
		t.Fatalf("prune all but the tip: %d %v", n, err)
	}
	if _, brk, err := l.Verify(ctx); err != nil || brk != nil {
		t.Fatalf("verify after second prune: %+v %v", brk, err)
	}

	// Entries after the checkpoint are still protected by the trigger.
	if _, err := d.Q(ctx).ExecContext(ctx, `DELETE FROM audit_log`); err == nil {
		t.Fatal("audit_log accepted deleting entries no checkpoint covers")
	}
	// Without the key the checkpoint cannot be trusted, and verify says so.
	if _, brk, _ := audit.New(d, clock).Verify(ctx); brk == nil || !strings.Contains(brk.Reason, "VIGIL_SECRET_KEY") {
		t.Fatalf("verify without key: %+v", brk)
	}
}

func TestForgedCheckpointIsCaught(t *testing.T) {
	d := dbtest.Open(t)
	l := audit.NewSigned(d, time.Now, testSecret)
	ctx := context.Background()
	for range 4 {
		if err := l.Record(ctx, "login", "agent", 1, nil); err != nil {
			t.Fatal(err)
		}
	}
	// Someone with raw access removes entries 1-2 and forges a checkpoint
	// without the key.
	var hash string
	if err := d.Q(ctx).QueryRowContext(ctx, `SELECT hash FROM audit_log WHERE seq = 2`).Scan(&hash); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Q(ctx).ExecContext(ctx, `INSERT INTO audit_checkpoints (seq, hash, entry_at, pruned_at, mac)
		VALUES (2, $1, 0, 0, 'forged')`, hash); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Q(ctx).ExecContext(ctx, `DELETE FROM audit_log WHERE seq <= 2`); err != nil {
		t.Fatal(err)
	}
	_, brk, err := l.Verify(ctx)
	if err != nil || brk == nil || !strings.Contains(brk.Reason, "signature") {
		t.Fatalf("forged checkpoint: %+v %v", brk, err)
	}
}

func TestPruneNeedsKey(t *testing.T) {
	d := dbtest.Open(t)
	l := audit.New(d, time.Now)
	if _, err := l.Prune(context.Background(), time.Now()); err == nil {
		t.Fatal("pruned without a signing key")
	}
}
