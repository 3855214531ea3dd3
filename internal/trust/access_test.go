package trust_test

import (
	"strings"
	"testing"
	"time"

	"vigil/internal/apperr"
	"vigil/internal/customer"
	"vigil/internal/trust"
)

func TestBulkAccessLimit(t *testing.T) {
	e := newEnv(t)
	limit := trust.DefaultPolicy.ProfilesPerHour
	var ids []int64
	for i := 0; i <= limit; i++ {
		name := "C"
		cu, err := e.customers.Create(e.ctx, customer.Input{Name: &name})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, cu.ID)
	}
	ctx := e.as(e.agent)
	for i, id := range ids[:limit] {
		if err := e.trust.ViewProfile(ctx, e.agent.ID, id); err != nil {
			t.Fatalf("profile %d: %v", i+1, err)
		}
		if i == 0 {
			if alerts, _ := e.trust.AccessAlerts(e.ctx); len(alerts) != 0 {
				t.Fatalf("alert after one profile: %+v", alerts)
			}
		}
	}
	// Reopening a customer already seen is free; a new one is refused.
	if err := e.trust.ViewProfile(ctx, e.agent.ID, ids[0]); err != nil {
		t.Errorf("reopening a seen profile: %v", err)
	}
	if err := e.trust.ViewProfile(ctx, e.agent.ID, ids[limit]); !apperr.Is(err, apperr.TooMany) {
		t.Fatalf("profile %d: %v, want refused", limit+1, err)
	}
	alerts, err := e.trust.AccessAlerts(e.ctx)
	if err != nil || len(alerts) != 1 || alerts[0].AgentID != e.agent.ID || alerts[0].Profiles != limit || !alerts[0].Blocked {
		t.Fatalf("alerts = %+v, %v", alerts, err)
	}
	a := e.auditText("agent", e.agent.ID)
	if !strings.Contains(a, "trust.bulk_access_alert") || !strings.Contains(a, "trust.bulk_access_blocked") {
		t.Error("alert and refusal not audited")
	}
	// Another agent is not affected; an hour later the first may work again.
	if err := e.trust.ViewProfile(e.as(e.sup), e.sup.ID, ids[limit]); err != nil {
		t.Errorf("another agent: %v", err)
	}
	e.clock.Advance(time.Hour + time.Second)
	if err := e.trust.ViewProfile(ctx, e.agent.ID, ids[limit]); err != nil {
		t.Errorf("an hour later: %v", err)
	}
}

func TestBulkAccessByListPage(t *testing.T) {
	e := newEnv(t)
	limit := trust.DefaultPolicy.ProfilesPerHour
	var ids []int64
	for i := 0; i < limit+10; i++ {
		name := "C"
		cu, err := e.customers.Create(e.ctx, customer.Input{Name: &name})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, cu.ID)
	}
	ctx := e.as(e.agent)
	if err := e.trust.ViewProfiles(ctx, e.agent.ID, ids[:50]); err != nil {
		t.Fatalf("a page of 50: %v", err)
	}
	if err := e.trust.ViewProfiles(ctx, e.agent.ID, ids[:50]); err != nil {
		t.Fatalf("the same page again: %v", err)
	}
	if err := e.trust.ViewProfiles(ctx, e.agent.ID, ids[50:]); !apperr.Is(err, apperr.TooMany) {
		t.Fatalf("a page past the limit: %v", err)
	}
	if alerts, _ := e.trust.AccessAlerts(e.ctx); len(alerts) != 1 || alerts[0].Profiles != 50 {
		t.Errorf("alerts = %+v", alerts)
	}
}
