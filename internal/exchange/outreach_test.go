package exchange

import (
	"context"
	"slices"
	"testing"
	"time"
)

// TestOutreachCalls: the affected-customers query finds the account with
// a USDT TRC20 withdrawal still confirming and not the others, and a
// notice sent twice with one key is shown once.
func TestOutreachCalls(t *testing.T) {
	c, sb := NewSandboxClient(func() time.Time { return t0 }, nil)
	ctx := context.Background()
	got, err := c.Affected(ctx, AffectedQuery{Feature: "withdrawals", Asset: "usdt", Network: "TRC20"})
	if err != nil || !slices.Contains(got.UIDs, "U10000001") {
		t.Fatalf("affected = %v, %v", got, err)
	}
	if none, _ := c.Affected(ctx, AffectedQuery{Feature: "deposits", Asset: "DOGE"}); len(none.UIDs) != 0 {
		t.Errorf("DOGE deposits matched %v", none.UIDs)
	}
	n := Notice{UID: "U10000001", Title: "Withdrawals delayed", Body: "Funds are safe.", Key: "outreach:1:1"}
	first, err := c.Notify(ctx, n)
	if err != nil {
		t.Fatal(err)
	}
	again, err := c.Notify(ctx, n)
	if err != nil || again.ID != first.ID || len(sb.Notices()) != 1 {
		t.Errorf("repeat = %v, %v; %d notices", again, err, len(sb.Notices()))
	}
	if _, err := c.Notify(ctx, Notice{UID: "U10000001", Body: "x"}); err == nil {
		t.Error("a notice without a key was accepted")
	}
}
