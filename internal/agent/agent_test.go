package agent_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"vigil/internal/agent"
	"vigil/internal/apperr"
	"vigil/internal/event"
)

func TestCreateRoundTrip(t *testing.T) {
	e := newEnv(t)
	a, b := e.team(t, "Deposits"), e.team(t, "Withdrawals")
	got := e.create(t, agent.Input{
		Email: ptr(" Sam.Lee@Desk.Test "), Name: ptr("  Sam Lee "), Role: ptr(agent.RoleSupervisor),
		Teams: &[]int64{b.ID, a.ID, b.ID}, Languages: &[]string{"zh", "en", "zh"}, Topics: &[]string{"kyc", "2fa"},
		MaxConcurrent: ptr(8), Locale: ptr("zh"),
	})
	want := agent.Agent{ID: got.ID, Email: "sam.lee@desk.test", Name: "Sam Lee", Role: agent.RoleSupervisor,
		Teams: []int64{a.ID, b.ID}, Languages: []string{"en", "zh"}, Topics: []string{"2fa", "kyc"},
		MaxConcurrent: 8, Status: agent.Offline, Locale: "zh", CreatedAt: t0, UpdatedAt: t0}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Create returned (-want +got):\n%s", diff)
	}
	byEmail, err := e.agents.ByEmail(e.ctx, " SAM.LEE@desk.test")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, byEmail); diff != "" {
		t.Errorf("ByEmail (-want +got):\n%s", diff)
	}
	teams, err := e.agents.TeamIDs(e.ctx, got.ID)
	if err != nil || !cmp.Equal(teams, []int64{a.ID, b.ID}) {
		t.Errorf("TeamIDs = %v, %v; want [%d %d]", teams, err, a.ID, b.ID)
	}
	entry := e.lastAudit(t, "agent", got.ID)
	if entry.Action != "agent.create" || !cmp.Equal(entry.Detail, map[string]any{"email": "sam.lee@desk.test", "role": "supervisor"}) {
		t.Errorf("audit = %s %v, want agent.create with email and role", entry.Action, entry.Detail)
	}

	// Defaults, and an agent with no teams or skills lists them as empty.
	plain := e.create(t, input("ann@desk.test"))
	wantPlain := agent.Agent{ID: plain.ID, Email: "ann@desk.test", Name: "Sam Lee", Role: agent.RoleAgent, Teams: []int64{},
		Languages: []string{}, Topics: []string{}, MaxConcurrent: 5, Status: agent.Offline, Locale: "en", CreatedAt: t0, UpdatedAt: t0}
	if diff := cmp.Diff(wantPlain, plain); diff != "" {
		t.Errorf("agent with defaults (-want +got):\n%s", diff)
	}
	if _, err := e.agents.ByID(e.ctx, 999); apperr.KindOf(err) != apperr.NotFound {
		t.Errorf("ByID(999) err = %v, want not found", err)
	}
	if _, err := e.agents.ByEmail(e.ctx, "nobody@desk.test"); apperr.KindOf(err) != apperr.NotFound {
		t.Errorf("ByEmail(nobody) err = %v, want not found", err)
	}
}

func TestInputValidation(t *testing.T) {
	tests := []struct {
		name       string
		edit       func(*agent.Input)
		field      string // empty: valid; "-" for an error without a field
		createOnly bool
	}{
		{name: "no email", edit: func(in *agent.Input) { in.Email = nil }, field: "-", createOnly: true},
		{name: "no name", edit: func(in *agent.Input) { in.Name = nil }, field: "-", createOnly: true},
		{name: "no role", edit: func(in *agent.Input) { in.Role = nil }, field: "-", createOnly: true},
		{name: "bad email", edit: func(in *agent.Input) { in.Email = ptr("sam at desk") }, field: "email"},
		{name: "email with display name", edit: func(in *agent.Input) { in.Email = ptr("Sam <sam@desk.test>") }, field: "email"},
		{name: "empty email", edit: func(in *agent.Input) { in.Email = ptr("") }, field: "email"},
		{name: "blank name", edit: func(in *agent.Input) { in.Name = ptr("   ") }, field: "name"},
		{name: "name of 100", edit: func(in *agent.Input) { in.Name = ptr(strings.Repeat("n", 100)) }},
		{name: "name of 101", edit: func(in *agent.Input) { in.Name = ptr(strings.Repeat("n", 101)) }, field: "name"},
		{name: "unknown role", edit: func(in *agent.Input) { in.Role = ptr(agent.Role("root")) }, field: "role"},
		{name: "capacity 0", edit: func(in *agent.Input) { in.MaxConcurrent = ptr(0) }},
		{name: "capacity 100", edit: func(in *agent.Input) { in.MaxConcurrent = ptr(100) }},
		{name: "capacity -1", edit: func(in *agent.Input) { in.MaxConcurrent = ptr(-1) }, field: "max_concurrent"},
		{name: "capacity 101", edit: func(in *agent.Input) { in.MaxConcurrent = ptr(101) }, field: "max_concurrent"},
		{name: "unknown locale", edit: func(in *agent.Input) { in.Locale = ptr("fr") }, field: "locale"},
		{name: "unknown language skill", edit: func(in *agent.Input) { in.Languages = &[]string{"en", "de"} }, field: "languages"},
		{name: "unknown topic", edit: func(in *agent.Input) { in.Topics = &[]string{"nft"} }, field: "topics"},
		{name: "unknown team", edit: func(in *agent.Input) { in.Teams = &[]int64{999} }, field: "teams"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			existing := e.create(t, input("existing@desk.test"))
			rows := e.counts(t)
			e.clock.Advance(time.Minute)

			in := input("new@desk.test", tt.edit)
			_, cerr := e.agents.Create(e.ctx, in)
			errs := map[string]error{"create": cerr}
			if !tt.createOnly {
				// Update gets its own copy: validation normalises in place.
				up := input("existing@desk.test", tt.edit)
				_, errs["update"] = e.agents.Update(e.ctx, existing.ID, up)
			}
			for op, err := range errs {
				if tt.field == "" {
					if err != nil {
						t.Errorf("%s: valid input refused: %v", op, err)
					}
					continue
				}
				ae, ok := apperr.As(err)
				if !ok || ae.Kind != apperr.Invalid || (tt.field != "-" && ae.Field != tt.field) {
					t.Errorf("%s: err = %v, want invalid %s", op, err, tt.field)
				}
			}
			if tt.field == "" {
				return
			}
			if diff := cmp.Diff(rows, e.counts(t)); diff != "" {
				t.Errorf("rejected input wrote rows (-before +after):\n%s", diff)
			}
			got, err := e.agents.ByID(e.ctx, existing.ID)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(existing, got); diff != "" {
				t.Errorf("rejected update changed the agent (-before +after):\n%s", diff)
			}
		})
	}
}

func TestEmailIsUnique(t *testing.T) {
	e := newEnv(t)
	e.create(t, input("sam@desk.test"))
	ann := e.create(t, input("ann@desk.test"))
	rows := e.counts(t)

	_, err := e.agents.Create(e.ctx, input(" SAM@Desk.test"))
	wantKind(t, err, apperr.Conflict)
	_, err = e.agents.Update(e.ctx, ann.ID, agent.Input{Email: ptr("Sam@desk.test"), Name: ptr("Ann")})
	wantKind(t, err, apperr.Conflict)
	if diff := cmp.Diff(rows, e.counts(t)); diff != "" {
		t.Errorf("refused writes left rows (-before +after):\n%s", diff)
	}
	if got, _ := e.agents.ByID(e.ctx, ann.ID); !cmp.Equal(ann, got) {
		t.Errorf("refused update changed the agent: %+v, want %+v", got, ann)
	}
	// Keeping one's own email is not a conflict.
	if _, err := e.agents.Update(e.ctx, ann.ID, agent.Input{Email: ptr("ANN@desk.test")}); err != nil {
		t.Errorf("update with own email: %v", err)
	}
}

func TestUpdateTeamsAndSkills(t *testing.T) {
	e := newEnv(t)
	a, b, c := e.team(t, "A"), e.team(t, "B"), e.team(t, "C")
	sam := e.create(t, input("sam@desk.test", func(in *agent.Input) {
		in.Teams, in.Languages, in.Topics = &[]int64{a.ID, b.ID}, &[]string{"en"}, &[]string{"deposit", "withdrawal"}
	}))
	tests := []struct {
		name      string
		in        agent.Input
		teams     []int64
		languages []string
		topics    []string
	}{
		{"nil leaves everything", agent.Input{Name: ptr("Sam")}, []int64{a.ID, b.ID}, []string{"en"}, []string{"deposit", "withdrawal"}},
		{"replace teams", agent.Input{Teams: &[]int64{c.ID}}, []int64{c.ID}, []string{"en"}, []string{"deposit", "withdrawal"}},
		{"replace languages only", agent.Input{Languages: &[]string{"zh", "en"}}, []int64{c.ID}, []string{"en", "zh"}, []string{"deposit", "withdrawal"}},
		{"clear topics", agent.Input{Topics: &[]string{}}, []int64{c.ID}, []string{"en", "zh"}, []string{}},
		{"clear teams", agent.Input{Teams: &[]int64{}}, []int64{}, []string{"en", "zh"}, []string{}},
	}
	for _, tt := range tests {
		got, err := e.agents.Update(e.ctx, sam.ID, tt.in)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		want := sam
		want.Name, want.Teams, want.Languages, want.Topics = "Sam", tt.teams, tt.languages, tt.topics
		if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
		stored, _ := e.agents.ByID(e.ctx, sam.ID)
		if diff := cmp.Diff(got, stored); diff != "" {
			t.Errorf("%s: stored differs from returned (-returned +stored):\n%s", tt.name, diff)
		}
	}

	// An unknown team refuses the whole update.
	before, _ := e.agents.ByID(e.ctx, sam.ID)
	_, err := e.agents.Update(e.ctx, sam.ID, agent.Input{Name: ptr("Renamed"), Teams: &[]int64{a.ID, 999}})
	wantKind(t, err, apperr.Invalid)
	if after, _ := e.agents.ByID(e.ctx, sam.ID); !cmp.Equal(before, after) {
		t.Errorf("refused update changed the agent: %+v, want %+v", after, before)
	}
	_, err = e.agents.Update(e.ctx, 999, agent.Input{Name: ptr("Ghost")})
	wantKind(t, err, apperr.NotFound)
}

func TestListOrdersByName(t *testing.T) {
	e := newEnv(t)
	team := e.team(t, "A")
	var created []agent.Agent
	for i, n := range []string{"Zoe", "Bob", "Ann", "Bob"} {
		created = append(created, e.create(t, input(fmt.Sprintf("agent%d@desk.test", i), func(in *agent.Input) {
			in.Name, in.Teams = ptr(n), &[]int64{team.ID}
		})))
	}
	list, err := e.agents.List(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	// By name, then by id for equal names; teams loaded for each.
	want := []agent.Agent{created[2], created[1], created[3], created[0]}
	if diff := cmp.Diff(want, list); diff != "" {
		t.Errorf("List (-want +got):\n%s", diff)
	}
}

func TestSetStatusPublishesAfterCommit(t *testing.T) {
	e := newEnv(t)
	sam := e.create(t, input("sam@desk.test"))
	sub := e.bus.Subscribe("test", 8)
	at := e.clock.Advance(time.Minute)

	if err := e.agents.SetStatus(e.ctx, sam.ID, agent.Online); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]event.Event{event.AgentChanged{AgentID: sam.ID, Status: "online", At: at}}, drain(sub)); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	got, _ := e.agents.ByID(e.ctx, sam.ID)
	if got.Status != agent.Online || !got.UpdatedAt.Equal(at) {
		t.Errorf("stored status %s updated %v, want online at %v", got.Status, got.UpdatedAt, at)
	}

	tests := []struct {
		name string
		id   int64
		st   agent.Status
		kind apperr.Kind
	}{
		{"unknown status", sam.ID, "busy", apperr.Invalid},
		{"unknown agent", 999, agent.Away, apperr.NotFound},
	}
	for _, tt := range tests {
		err := e.agents.SetStatus(e.ctx, tt.id, tt.st)
		if apperr.KindOf(err) != tt.kind {
			t.Errorf("%s: err = %v, want %s", tt.name, err, tt.kind)
		}
	}
	boom := errors.New("boom")
	err := e.d.WithTx(e.ctx, func(ctx context.Context) error {
		if err := e.agents.SetStatus(ctx, sam.ID, agent.Away); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("WithTx = %v, want boom", err)
	}
	if evs := drain(sub); len(evs) != 0 {
		t.Errorf("refused or rolled-back changes published %v", evs)
	}
	if got, _ := e.agents.ByID(e.ctx, sam.ID); got.Status != agent.Online {
		t.Errorf("status after rollback = %s, want online", got.Status)
	}
}

func TestUpdateAuditAndEvents(t *testing.T) {
	e := newEnv(t)
	team := e.team(t, "A")
	tests := []struct {
		name   string
		in     agent.Input
		action string
		detail map[string]any
		access bool
	}{
		{"promotion", agent.Input{Role: ptr(agent.RoleSupervisor)}, "agent.permissions_change",
			map[string]any{"role": "supervisor", "previous_role": "agent"}, true},
		{"same role", agent.Input{Role: ptr(agent.RoleAgent)}, "agent.update",
			map[string]any{"role": "agent", "previous_role": "agent"}, false},
		{"teams", agent.Input{Teams: &[]int64{team.ID}}, "agent.permissions_change",
			map[string]any{"teams": []any{float64(team.ID)}}, true},
		{"profile", agent.Input{Name: ptr("Samuel"), MaxConcurrent: ptr(3)}, "agent.update",
			map[string]any{"name": "Samuel", "max_concurrent": float64(3)}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sam := e.create(t, input(strings.ReplaceAll(tt.name, " ", "")+"@desk.test"))
			sub := e.bus.Subscribe("test", 8)
			defer sub.Close()
			at := e.clock.Advance(time.Minute)
			got, err := e.agents.Update(e.ctx, sam.ID, tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if !got.UpdatedAt.Equal(at) || !got.CreatedAt.Equal(sam.CreatedAt) {
				t.Errorf("created %v updated %v, want %v and %v", got.CreatedAt, got.UpdatedAt, sam.CreatedAt, at)
			}
			entry := e.lastAudit(t, "agent", sam.ID)
			if entry.Action != tt.action {
				t.Errorf("audit action = %s, want %s", entry.Action, tt.action)
			}
			if diff := cmp.Diff(tt.detail, entry.Detail); diff != "" {
				t.Errorf("audit detail (-want +got):\n%s", diff)
			}
			// Subscribers (the realtime hub) must hear that the agent changed,
			// e.g. to stop sending a team's conversations after removal.
			want := []event.Event{event.AgentChanged{AgentID: sam.ID, Status: string(agent.Offline), Access: tt.access, At: at}}
			if diff := cmp.Diff(want, drain(sub)); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTeams(t *testing.T) {
	e := newEnv(t)
	at := e.clock.Advance(time.Second)
	w, err := e.agents.CreateTeam(e.ctx, " Withdrawals ", "Chain issues")
	if err != nil {
		t.Fatal(err)
	}
	want := agent.Team{ID: w.ID, Name: "Withdrawals", Description: "Chain issues", CreatedAt: at}
	if diff := cmp.Diff(want, w); diff != "" {
		t.Errorf("CreateTeam returned (-want +got):\n%s", diff)
	}
	if got, err := e.agents.Team(e.ctx, w.ID); err != nil || !cmp.Equal(want, got) {
		t.Errorf("Team(%d) = %+v, %v; want %+v", w.ID, got, err, want)
	}
	d := e.team(t, "Deposits")
	rows := e.counts(t)
	tests := []struct {
		name, team, desc string
		kind             apperr.Kind
	}{
		{"blank name", "  ", "", apperr.Invalid},
		{"name of 101", strings.Repeat("t", 101), "", apperr.Invalid},
		{"description of 1001", "KYC", strings.Repeat("d", 1001), apperr.Invalid},
		{"duplicate name", "Deposits", "", apperr.Conflict},
	}
	for _, tt := range tests {
		_, err := e.agents.CreateTeam(e.ctx, tt.team, tt.desc)
		if apperr.KindOf(err) != tt.kind {
			t.Errorf("%s: err = %v, want %s", tt.name, err, tt.kind)
		}
	}
	if diff := cmp.Diff(rows, e.counts(t)); diff != "" {
		t.Errorf("refused teams wrote rows (-before +after):\n%s", diff)
	}
	teams, err := e.agents.Teams(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]agent.Team{d, want}, teams); diff != "" {
		t.Errorf("Teams (-want +got):\n%s", diff)
	}
	if _, err := e.agents.Team(e.ctx, 999); apperr.KindOf(err) != apperr.NotFound {
		t.Errorf("Team(999) err = %v, want not found", err)
	}
}

func TestDisableRoundTrip(t *testing.T) {
	e := newEnv(t)
	sam := e.create(t, input("sam@desk.test"))
	for _, disabled := range []bool{true, false} {
		if _, err := e.agents.Update(e.ctx, sam.ID, agent.Input{Disabled: ptr(disabled)}); err != nil {
			t.Fatal(err)
		}
		got, err := e.agents.ByID(e.ctx, sam.ID)
		if err != nil || got.Disabled != disabled {
			t.Errorf("after setting disabled=%v: stored %v, err %v", disabled, got.Disabled, err)
		}
	}
}
