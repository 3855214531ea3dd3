package automation_test

import (
	"slices"
	"testing"
	"time"

	"vigil/internal/apperr"
	"vigil/internal/audit"
	"vigil/internal/automation"
	"vigil/internal/ticket"
)

// TestDisabledRuleDoesNotFireOnEvents: a paused rule leaves new
// conversations alone, even when its job is run by hand; once resumed it
// fires again.
func TestDisabledRuleDoesNotFireOnEvents(t *testing.T) {
	e := newEnv(t)
	r := e.rule(t, automation.Rule{Enabled: true, Name: "Tag security", On: automation.OnCreated,
		Actions: automation.Actions{AddTags: []string{"security"}}})
	paused, err := e.rules.SetEnabled(e.ctx, r.ID, false)
	if err != nil || paused.Enabled {
		t.Fatalf("SetEnabled(false) = %+v, %v; want a disabled rule", paused, err)
	}
	c := e.open(t, "account_security")
	e.drain(t, 0)
	if err := e.rules.Fire(e.ctx, "by-hand:1", automation.OnCreated, c.ID); err != nil {
		t.Fatal(err)
	}
	if got := e.conv(t, c.ID); len(got.Tags) != 0 {
		t.Errorf("a disabled rule tagged the conversation %v", got.Tags)
	}
	if fired, _ := e.rules.Firings(e.ctx, c.ID); fired[r.ID] != 0 {
		t.Errorf("a disabled rule fired %d times", fired[r.ID])
	}

	if _, err := e.rules.SetEnabled(e.ctx, r.ID, true); err != nil {
		t.Fatal(err)
	}
	d := e.open(t, "account_security")
	e.drain(t, 1)
	if got := e.conv(t, d.ID); !slices.Equal(got.Tags, []string{"security"}) {
		t.Errorf("after enabling, the new conversation has tags %v, want [security]", got.Tags)
	}
	rules, _ := e.rules.Rules(e.ctx)
	if len(rules) != 1 || !rules[0].Enabled {
		t.Errorf("stored rules %+v, want the one rule enabled", rules)
	}
	entries, err := e.audit.List(e.ctx, audit.Filter{ObjectKind: "automation_rule", ObjectID: r.ID})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, en := range entries {
		actions = append(actions, en.Action)
	}
	if want := []string{"automation.enable", "automation.disable", "automation.create"}; !slices.Equal(actions, want) {
		t.Errorf("audit actions %v, want %v", actions, want)
	}
}

// TestDisabledIdleRuleIsNotSwept: a paused idle rule queues nothing,
// however long the conversation stays quiet; resumed, the next sweep
// finds the conversation still quiet, and fires once for it.
func TestDisabledIdleRuleIsNotSwept(t *testing.T) {
	e := newEnv(t)
	r := e.rule(t, automation.Rule{Enabled: true, Name: "Nudge", On: automation.OnIdle,
		Idle: &automation.Idle{Hours: 24, Statuses: []string{"pending"}}, Actions: automation.Actions{AddTags: []string{"nudged"}}})
	if _, err := e.rules.SetEnabled(e.ctx, r.ID, false); err != nil {
		t.Fatal(err)
	}
	c := e.open(t, "fees")
	pending := ticket.StatusPending
	if _, err := e.tickets.Update(e.ctx, c.ID, ticket.Patch{Status: &pending}); err != nil {
		t.Fatal(err)
	}
	e.drain(t, 0)
	if n := e.sweep(t, 25*time.Hour); n != 0 {
		t.Errorf("the sweep queued %d for a disabled rule, want 0", n)
	}
	if got := e.conv(t, c.ID); len(got.Tags) != 0 {
		t.Errorf("a disabled idle rule tagged the conversation %v", got.Tags)
	}

	if _, err := e.rules.SetEnabled(e.ctx, r.ID, true); err != nil {
		t.Fatal(err)
	}
	if n := e.sweep(t, time.Minute); n != 1 {
		t.Errorf("after enabling the sweep queued %d, want 1", n)
	}
	if got := e.conv(t, c.ID); !slices.Equal(got.Tags, []string{"nudged"}) {
		t.Errorf("after enabling the conversation has tags %v, want [nudged]", got.Tags)
	}
	// An edit makes the sweep look again from the start, but the quiet
	// period the rule already fired in does not fire again.
	r.Idle.Hours = 20
	if _, err := e.rules.Update(e.ctx, r.ID, r); err != nil {
		t.Fatal(err)
	}
	e.sweep(t, time.Minute)
	if fired, _ := e.rules.Firings(e.ctx, c.ID); fired[r.ID] != 1 {
		t.Errorf("after an edit the idle rule fired %d times in one quiet period, want 1", fired[r.ID])
	}
}

func TestSetEnabledUnknownRule(t *testing.T) {
	e := newEnv(t)
	if _, err := e.rules.SetEnabled(e.ctx, 999999, false); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("SetEnabled on an unknown rule: %v, want not found", err)
	}
}

// TestUpdateReplacesRule: an edited rule fires with its new conditions
// and actions and keeps being disabled or enabled; a refused edit and an
// unknown rule change nothing.
func TestUpdateReplacesRule(t *testing.T) {
	e := newEnv(t)
	r := e.rule(t, automation.Rule{Enabled: true, Name: "Tag security", On: automation.OnCreated,
		Actions: automation.Actions{AddTags: []string{"security"}}})
	edited := automation.Rule{Name: "Fees are low", On: automation.OnCreated, Position: 5,
		Conditions: []automation.Condition{{Field: "category", Op: "eq", Value: "fees"}}, Actions: automation.Actions{Priority: "low"}}
	got, err := e.rules.Update(e.ctx, r.ID, edited)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "Fees are low" || got.Position != 5 || !got.Enabled || len(got.Conditions) != 1 || got.Actions.Priority != "low" ||
		len(got.Actions.AddTags) != 0 {
		t.Fatalf("updated rule %+v", got)
	}
	fees, other := e.open(t, "fees"), e.open(t, "deposit")
	e.drain(t, 2)
	if c := e.conv(t, fees.ID); c.Priority != ticket.Low || len(c.Tags) != 0 {
		t.Errorf("fees conversation: priority %s tags %v, want low and no tags", c.Priority, c.Tags)
	}
	if c := e.conv(t, other.ID); c.Priority != ticket.Normal || len(c.Tags) != 0 {
		t.Errorf("other conversation: priority %s tags %v, want untouched", c.Priority, c.Tags)
	}

	if _, err := e.rules.Update(e.ctx, r.ID, automation.Rule{Name: "No action", On: automation.OnCreated}); !apperr.Is(err, apperr.Invalid) {
		t.Errorf("update without an action: %v, want invalid", err)
	}
	if _, err := e.rules.Update(e.ctx, 999999, edited); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("update of an unknown rule: %v, want not found", err)
	}
	if stored, _ := e.rules.Rule(e.ctx, r.ID); stored.Name != "Fees are low" || stored.Actions.Priority != "low" {
		t.Errorf("after refused updates the rule is %+v", stored)
	}
	if _, err := e.rules.SetEnabled(e.ctx, r.ID, false); err != nil {
		t.Fatal(err)
	}
	if got, err := e.rules.Update(e.ctx, r.ID, edited); err != nil || got.Enabled {
		t.Errorf("updating a disabled rule: enabled %v, %v; want it still disabled", got.Enabled, err)
	}
	entries, _ := e.audit.List(e.ctx, audit.Filter{ObjectKind: "automation_rule", ObjectID: r.ID})
	if len(entries) == 0 || entries[0].Action != "automation.update" {
		t.Errorf("latest audit entry %+v, want automation.update", entries)
	}
}
