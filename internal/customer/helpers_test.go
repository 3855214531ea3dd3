package customer_test

import (
	"context"
	"testing"
	"time"

	"vigil/internal/apperr"
	"vigil/internal/audit"
	"vigil/internal/customer"
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
	ctx       context.Context
	d         *db.DB
	clock     *clock
	audit     *audit.Log
	bus       *event.Memory
	customers *customer.Service
}

func newEnv(tb testing.TB) *env {
	tb.Helper()
	d := dbtest.Open(tb)
	clk := dbtest.NewClock(t0)
	a := audit.New(d, clk.Now)
	bus := event.NewMemory()
	return &env{ctx: context.Background(), d: d, clock: clk, audit: a, bus: bus, customers: customer.New(d, a, bus, clk.Now)}
}

func (e *env) create(tb testing.TB, in customer.Input) customer.Customer {
	tb.Helper()
	c, err := e.customers.Create(e.ctx, in)
	if err != nil {
		tb.Fatalf("create customer %+v: %v", in, err)
	}
	return c
}

// counts snapshots the tables a customer write touches.
func (e *env) counts(tb testing.TB) map[string]int {
	tb.Helper()
	out := map[string]int{}
	for _, table := range []string{"customers", "customer_identities", "audit_log"} {
		var n int
		if err := e.d.Q(e.ctx).QueryRowContext(e.ctx, `SELECT COUNT(*) FROM `+table).Scan(&n); err != nil {
			tb.Fatalf("count %s: %v", table, err)
		}
		out[table] = n
	}
	return out
}

func (e *env) lastAudit(tb testing.TB, id int64) audit.Entry {
	tb.Helper()
	es, err := e.audit.List(e.ctx, audit.Filter{ObjectKind: "customer", ObjectID: id, Limit: 1})
	if err != nil || len(es) == 0 {
		tb.Fatalf("audit of customer %d: %v (%d entries)", id, err, len(es))
	}
	return es[0]
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

func ids(cs []customer.Customer) []int64 {
	out := make([]int64, len(cs))
	for i, c := range cs {
		out[i] = c.ID
	}
	return out
}
