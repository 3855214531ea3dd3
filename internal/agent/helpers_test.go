package agent_test

import (
	"context"
	"testing"
	"time"

	"vigil/internal/agent"
	"vigil/internal/apperr"
	"vigil/internal/audit"
	"vigil/internal/db"
	"vigil/internal/db/dbtest"
	"vigil/internal/event"
)

// t0 is the moment every test starts at; tests move the clock explicitly so
// each stored timestamp can be compared exactly.
var t0 = time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)

// clock is the settable test clock.
type clock = dbtest.Clock

type env struct {
	ctx    context.Context
	d      *db.DB
	clock  *clock
	audit  *audit.Log
	bus    *event.Memory
	agents *agent.Service
}

func newEnv(tb testing.TB) *env {
	tb.Helper()
	d := dbtest.Open(tb)
	clk := dbtest.NewClock(t0)
	a := audit.New(d, clk.Now)
	bus := event.NewMemory()
	return &env{ctx: context.Background(), d: d, clock: clk, audit: a, bus: bus, agents: agent.New(d, a, bus, clk.Now)}
}

// input is a valid agent; edit adjusts it.
func input(email string, edit ...func(*agent.Input)) agent.Input {
	in := agent.Input{Email: ptr(email), Name: ptr("Sam Lee"), Role: ptr(agent.RoleAgent)}
	for _, f := range edit {
		f(&in)
	}
	return in
}

func (e *env) create(tb testing.TB, in agent.Input) agent.Agent {
	tb.Helper()
	a, err := e.agents.Create(e.ctx, in)
	if err != nil {
		tb.Fatalf("create agent: %v", err)
	}
	return a
}

func (e *env) team(tb testing.TB, name string) agent.Team {
	tb.Helper()
	t, err := e.agents.CreateTeam(e.ctx, name, "")
	if err != nil {
		tb.Fatalf("create team %q: %v", name, err)
	}
	return t
}

// counts snapshots the tables an agent write touches.
func (e *env) counts(tb testing.TB) map[string]int {
	tb.Helper()
	out := map[string]int{}
	for _, table := range []string{"agents", "agent_teams", "agent_skills", "teams", "audit_log"} {
		var n int
		if err := e.d.Q(e.ctx).QueryRowContext(e.ctx, `SELECT COUNT(*) FROM `+table).Scan(&n); err != nil {
			tb.Fatalf("count %s: %v", table, err)
		}
		out[table] = n
	}
	return out
}

func (e *env) lastAudit(tb testing.TB, kind string, id int64) audit.Entry {
	tb.Helper()
	es, err := e.audit.List(e.ctx, audit.Filter{ObjectKind: kind, ObjectID: id, Limit: 1})
	if err != nil || len(es) == 0 {
		tb.Fatalf("audit of %s %d: %v (%d entries)", kind, id, err, len(es))
	}
	return es[0]
}

// drain returns the events already delivered to sub.
func drain(sub *event.Subscription) []event.Event {
	var out []event.Event
	for {
		select {
		case ev := <-sub.C:
			out = append(out, ev)
		default:
			return out
		}
	}
}

func wantKind(tb testing.TB, err error, k apperr.Kind) {
	tb.Helper()
	if err == nil {
		tb.Fatalf("err = nil, want %s", k)
	}
	if got := apperr.KindOf(err); got != k {
		tb.Fatalf("err = %v (kind %s), want kind %s", err, got, k)
	}
}

func ptr[T any](v T) *T { return &v }
