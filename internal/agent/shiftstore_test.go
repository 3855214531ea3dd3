package agent_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"vigil/internal/agent"
	"vigil/internal/apperr"
)

func TestShiftLifecycle(t *testing.T) {
	e := newEnv(t)
	team, other := e.team(t, "Wallets"), e.team(t, "Security")
	wei := e.create(t, input("wei@desk.test", func(in *agent.Input) {
		in.Teams, in.Languages = &[]int64{team.ID}, &[]string{"zh"}
	}))
	outsider := e.create(t, input("out@desk.test", func(in *agent.Input) { in.Teams = &[]int64{other.ID} }))

	sh, err := e.agents.CreateShift(e.ctx, team.ID, agent.ShiftInput{AgentID: wei.ID, Weekdays: []string{"FRI", "mon", "sun"},
		Start: "22:00", End: "06:00", TimeZone: "Asia/Shanghai"})
	if err != nil {
		t.Fatal(err)
	}
	want := agent.Shift{ID: sh.ID, TeamID: team.ID, AgentID: wei.ID, Weekdays: []string{"mon", "fri", "sun"}, Start: "22:00", End: "06:00",
		TimeZone: "Asia/Shanghai", CreatedAt: t0, UpdatedAt: t0}
	if diff := cmp.Diff(want, sh); diff != "" {
		t.Errorf("created (-want +got):\n%s", diff)
	}
	if a := e.lastAudit(t, "shift", sh.ID); a.Action != "shift.create" {
		t.Errorf("audit %s, want shift.create", a.Action)
	}

	before := e.counts(t)
	_, err = e.agents.CreateShift(e.ctx, team.ID, agent.ShiftInput{AgentID: outsider.ID, Weekdays: []string{"mon"}, Start: "09:00", End: "17:00", TimeZone: "UTC"})
	if f, ok := apperr.As(err); !ok || f.Field != "agent_id" {
		t.Errorf("shift for a non-member: err = %v, want invalid agent_id", err)
	}
	_, err = e.agents.CreateShift(e.ctx, 999, agent.ShiftInput{AgentID: wei.ID, Weekdays: []string{"mon"}, Start: "09:00", End: "17:00", TimeZone: "UTC"})
	wantKind(t, err, apperr.NotFound)
	_, err = e.agents.CreateShift(e.ctx, team.ID, agent.ShiftInput{AgentID: wei.ID, Weekdays: []string{"mon"}, Start: "09:00", End: "17:00", TimeZone: "Europe/Atlantis"})
	wantKind(t, err, apperr.Invalid)
	if diff := cmp.Diff(before, e.counts(t)); diff != "" {
		t.Errorf("rejected shifts wrote rows (-before +after):\n%s", diff)
	}

	e.clock.Advance(time.Minute)
	up, err := e.agents.UpdateShift(e.ctx, sh.ID, agent.ShiftInput{AgentID: wei.ID, Weekdays: []string{"sat"}, Start: "09:00", End: "24:00", TimeZone: "Europe/London"})
	if err != nil {
		t.Fatal(err)
	}
	if up.Start != "09:00" || up.End != "24:00" || !cmp.Equal(up.Weekdays, []string{"sat"}) || !up.UpdatedAt.Equal(t0.Add(time.Minute)) {
		t.Errorf("updated = %+v", up)
	}
	list, err := e.agents.Shifts(e.ctx, team.ID)
	if err != nil || len(list) != 1 || list[0].TimeZone != "Europe/London" {
		t.Errorf("Shifts = %+v, %v", list, err)
	}
	if err := e.agents.DeleteShift(e.ctx, sh.ID); err != nil {
		t.Fatal(err)
	}
	_, err = e.agents.Shift(e.ctx, sh.ID)
	wantKind(t, err, apperr.NotFound)
	wantKind(t, e.agents.DeleteShift(e.ctx, sh.ID), apperr.NotFound)
}

func TestExceptionLifecycle(t *testing.T) {
	e := newEnv(t)
	team := e.team(t, "Wallets")
	ann := e.create(t, input("ann@desk.test", func(in *agent.Input) { in.Teams = &[]int64{team.ID} }))
	offDay, err := e.agents.CreateException(e.ctx, team.ID, agent.ExceptionInput{AgentID: ann.ID, Kind: agent.Off, FirstDay: "2026-03-16", Note: " dentist "})
	if err != nil {
		t.Fatal(err)
	}
	if offDay.LastDay != "2026-03-16" || offDay.Note != "dentist" || offDay.Start != "" {
		t.Errorf("day off = %+v, want a one-day exception with the note trimmed", offDay)
	}
	ex, err := e.agents.CreateException(e.ctx, team.ID, agent.ExceptionInput{AgentID: ann.ID, Kind: agent.Extra, FirstDay: "2026-03-21",
		LastDay: "2026-03-22", Start: "10:00", End: "14:00", TimeZone: "Europe/London"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.agents.CreateException(e.ctx, team.ID, agent.ExceptionInput{AgentID: ann.ID, Kind: agent.Off, FirstDay: "2026-03-16", Start: "10:00"})
	wantKind(t, err, apperr.Invalid)

	list, err := e.agents.Exceptions(e.ctx, team.ID, "2026-03-17")
	if err != nil || len(list) != 1 || list[0].ID != ex.ID {
		t.Errorf("exceptions ending after 03-17 = %+v, %v; want only the extra shift", list, err)
	}
	up, err := e.agents.UpdateException(e.ctx, ex.ID, agent.ExceptionInput{AgentID: ann.ID, Kind: agent.Off, FirstDay: "2026-03-23", LastDay: "2026-03-27"})
	if err != nil || up.Kind != agent.Off || up.Start != "" || up.LastDay != "2026-03-27" {
		t.Errorf("updated = %+v, %v", up, err)
	}
	if err := e.agents.DeleteException(e.ctx, offDay.ID); err != nil {
		t.Fatal(err)
	}
	_, err = e.agents.Exception(e.ctx, offDay.ID)
	wantKind(t, err, apperr.NotFound)
}

// TestServiceCoverage reads shifts, exceptions, languages and disabled
// agents from the database into the grid.
func TestServiceCoverage(t *testing.T) {
	e := newEnv(t)
	team := e.team(t, "Wallets")
	member := func(email string, langs ...string) agent.Agent {
		return e.create(t, input(email, func(in *agent.Input) { in.Teams, in.Languages = &[]int64{team.ID}, &langs }))
	}
	wei, maria, gone := member("wei@desk.test", "zh", "en"), member("maria@desk.test", "en"), member("gone@desk.test", "zh")
	shift := func(a agent.Agent, days []string, start, end, tz string) {
		if _, err := e.agents.CreateShift(e.ctx, team.ID, agent.ShiftInput{AgentID: a.ID, Weekdays: days, Start: start, End: end, TimeZone: tz}); err != nil {
			t.Fatal(err)
		}
	}
	shift(wei, []string{"mon"}, "09:00", "18:00", "Asia/Shanghai") // 01-10 UTC
	shift(maria, []string{"mon"}, "09:00", "17:00", "Europe/London")
	shift(gone, []string{"mon"}, "00:00", "24:00", "UTC")
	if _, err := e.agents.Update(e.ctx, gone.ID, agent.Input{Disabled: ptr(true)}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.agents.CreateException(e.ctx, team.ID, agent.ExceptionInput{AgentID: maria.ID, Kind: agent.Off, FirstDay: "2026-03-23"}); err != nil {
		t.Fatal(err)
	}
	// Week of Monday 2026-03-16 (t0 is Saturday the 14th: next week).
	cov, err := e.agents.Coverage(e.ctx, team.ID, time.UTC, time.Date(2026, 3, 16, 12, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	want := grid(span{0, 1, 9, 1}, span{0, 9, 10, 2}, span{0, 10, 17, 1})
	if d := gridDiff(want, cov.Total); d != "" {
		t.Errorf("team grid:\n%s", d)
	}
	if d := gridDiff(grid(span{0, 1, 10, 1}), cov.Languages[1].Grid); cov.Languages[1].Language != "zh" || d != "" {
		t.Errorf("Chinese grid (%s):\n%s", cov.Languages[1].Language, d)
	}
	// The next Monday Maria is off.
	cov, err = e.agents.Coverage(e.ctx, team.ID, time.UTC, time.Date(2026, 3, 23, 12, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if d := gridDiff(grid(span{0, 1, 10, 1}), cov.Total); d != "" {
		t.Errorf("team grid with Maria off:\n%s", d)
	}
	ids, err := e.agents.ScheduledAt(e.ctx, team.ID, time.Date(2026, 3, 16, 9, 30, 0, 0, time.UTC))
	if err != nil || !cmp.Equal(ids, []int64{wei.ID, maria.ID}) {
		t.Errorf("ScheduledAt = %v, %v; want Wei and Maria (not the disabled agent)", ids, err)
	}
	_, err = e.agents.Coverage(e.ctx, 999, time.UTC, t0)
	wantKind(t, err, apperr.NotFound)
}

func TestOnCall(t *testing.T) {
	e := newEnv(t)
	team := e.team(t, "Security")
	sup := func(email string, role agent.Role) agent.Agent {
		return e.create(t, input(email, func(in *agent.Input) { in.Teams, in.Role = &[]int64{team.ID}, &role }))
	}
	sam, kim, ann := sup("sam@desk.test", agent.RoleSupervisor), sup("kim@desk.test", agent.RoleAdmin), sup("ann@desk.test", agent.RoleAgent)
	_, err := e.agents.OnCall(e.ctx, team.ID, t0)
	wantKind(t, err, apperr.NotFound)

	rota := agent.Rota{TimeZone: "Asia/Shanghai", StartsOn: "2026-03-09", Handover: "09:00", PeriodDays: 7}
	for name, members := range map[string][]int64{"an agent": {sam.ID, ann.ID}, "nobody": nil, "unknown": {sam.ID, 999}} {
		r := rota
		r.Members = members
		if _, err := e.agents.SetRota(e.ctx, team.ID, r); apperr.KindOf(err) != apperr.Invalid {
			t.Errorf("rota with %s: err = %v, want invalid", name, err)
		}
	}
	rota.Members = []int64{sam.ID, kim.ID}
	if _, err := e.agents.SetRota(e.ctx, team.ID, rota); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		at   time.Time
		want int64
	}{
		{time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC), sam.ID},  // first week
		{time.Date(2026, 3, 16, 0, 59, 0, 0, time.UTC), sam.ID}, // 08:59 in Shanghai on the 16th
		{time.Date(2026, 3, 16, 1, 0, 0, 0, time.UTC), kim.ID},  // 09:00 handover
	}
	for _, tt := range tests {
		got, err := e.agents.OnCall(e.ctx, team.ID, tt.at)
		if err != nil || got.ID != tt.want {
			t.Errorf("OnCall(%s) = %d, %v; want %d", tt.at, got.ID, err, tt.want)
		}
	}
	// A disabled supervisor's turn passes to the next one.
	if _, err := e.agents.Update(e.ctx, kim.ID, agent.Input{Disabled: ptr(true)}); err != nil {
		t.Fatal(err)
	}
	if got, err := e.agents.OnCall(e.ctx, team.ID, tests[2].at); err != nil || got.ID != sam.ID {
		t.Errorf("OnCall with the on-call admin disabled = %d, %v; want Sam", got.ID, err)
	}
}
