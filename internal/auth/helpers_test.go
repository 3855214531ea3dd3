package auth_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"vigil/internal/agent"
	"vigil/internal/apperr"
	"vigil/internal/audit"
	"vigil/internal/auth"
	"vigil/internal/customer"
	"vigil/internal/db"
	"vigil/internal/db/dbtest"
	"vigil/internal/event"
)

// t0 is the moment every test starts at. It falls on a TOTP step boundary
// (a multiple of 30 s), so advancing by 30 s moves exactly one step.
var t0 = time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)

// password is a valid password shared by the agents tests create.
const password = "correct horse battery"

// clock is the settable test clock.
type clock = dbtest.Clock

// directory adapts the agent service to auth.Directory as internal/app does.
type directory struct{ agents *agent.Service }

func (d directory) AgentByEmail(ctx context.Context, email string) (auth.AgentRef, error) {
	ag, err := d.agents.ByEmail(ctx, email)
	return ref(ag), err
}

func (d directory) AgentByID(ctx context.Context, id int64) (auth.AgentRef, error) {
	ag, err := d.agents.Ref(ctx, id)
	return ref(ag), err
}

func ref(ag agent.Agent) auth.AgentRef {
	return auth.AgentRef{ID: ag.ID, Email: ag.Email, Name: ag.Name, Role: auth.Role(ag.Role), Disabled: ag.Disabled}
}

type env struct {
	ctx       context.Context
	d         *db.DB
	clock     *clock
	audit     *audit.Log
	agents    *agent.Service
	customers *customer.Service
	auth      *auth.Service
}

// cheapArgon keeps hashing fast; TestPasswordHashDefaults covers the
// production cost.
func cheapArgon(o *auth.Options) { o.ArgonMemoryKiB, o.ArgonTime = 64, 1 }

// suite runs each case as a parallel subtest over one fresh database. A
// migrated database costs about 0.3 s under -race, so cases share one and
// stay apart by owning their agents, customers, clock and services.
type suite map[string]func(t *testing.T, e *env)

func (s suite) run(t *testing.T) {
	t.Parallel()
	d := dbtest.Open(t)
	for _, name := range slices.Sorted(maps.Keys(s)) {
		f := s[name]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f(t, newEnv(t, d))
		})
	}
}

// newEnv gives a test its own clock, starting at t0, and services over d.
func newEnv(tb testing.TB, d *db.DB, edit ...func(*auth.Options)) *env {
	tb.Helper()
	clk := dbtest.NewClock(t0)
	a := audit.New(d, clk.Now)
	bus := event.NewMemory()
	e := &env{
		ctx: audit.WithActor(context.Background(), audit.Actor{Kind: "system"}), d: d, clock: clk, audit: a,
		agents: agent.New(d, a, bus, clk.Now), customers: customer.New(d, a, bus, clk.Now),
	}
	e.auth = e.service(edit...)
	return e
}

// service builds an auth.Service over the env's database and clock.
func (e *env) service(edit ...func(*auth.Options)) *auth.Service {
	o := auth.Options{DB: e.d, Audit: e.audit, Directory: directory{e.agents}, Now: e.clock.Now}
	cheapArgon(&o)
	for _, f := range edit {
		f(&o)
	}
	return auth.New(o)
}

// agentSeq keeps emails unique across tests sharing a database.
var agentSeq atomic.Int64

// agent creates an agent named "Sam Lee" with role and, unless pw is empty,
// a password. Its email is nick-N@example.com, N unique.
func (e *env) agent(tb testing.TB, nick string, role agent.Role, pw string) agent.Agent {
	tb.Helper()
	name := "Sam Lee"
	email := fmt.Sprintf("%s-%d@example.com", nick, agentSeq.Add(1))
	ag, err := e.agents.Create(e.ctx, agent.Input{Email: &email, Name: &name, Role: &role})
	if err != nil {
		tb.Fatalf("create agent %s: %v", email, err)
	}
	if pw != "" {
		if err := e.auth.SetPassword(e.ctx, ag.ID, pw); err != nil {
			tb.Fatalf("set password of %s: %v", email, err)
		}
	}
	return ag
}

func (e *env) disable(tb testing.TB, id int64) {
	tb.Helper()
	yes := true
	if _, err := e.agents.Update(e.ctx, id, agent.Input{Disabled: &yes}); err != nil {
		tb.Fatalf("disable agent %d: %v", id, err)
	}
}

func (e *env) customer(tb testing.TB) customer.Customer {
	tb.Helper()
	c, err := e.customers.Create(e.ctx, customer.Input{})
	if err != nil {
		tb.Fatalf("create customer: %v", err)
	}
	return c
}

func (e *env) login(tb testing.TB, in auth.LoginInput) auth.Session {
	tb.Helper()
	s, err := e.auth.Login(e.ctx, in)
	if err != nil {
		tb.Fatalf("login %s: %v", in.Email, err)
	}
	return s
}

// enrolTOTP sets up TOTP for an agent at the current time and returns the
// secret and recovery codes.
func (e *env) enrolTOTP(tb testing.TB, ag agent.Agent) (string, []string) {
	tb.Helper()
	en, err := e.auth.BeginTOTP(e.ctx, ag.ID, ag.Email)
	if err != nil {
		tb.Fatalf("begin totp: %v", err)
	}
	codes, err := e.auth.ConfirmTOTP(e.ctx, ag.ID, code(tb, en.Secret, e.clock.Now()))
	if err != nil {
		tb.Fatalf("confirm totp: %v", err)
	}
	return en.Secret, codes
}

// code is what an authenticator app shows for secret at t.
func code(tb testing.TB, secret string, t time.Time) string {
	tb.Helper()
	c, err := totp.GenerateCode(secret, t)
	if err != nil {
		tb.Fatalf("generate totp code: %v", err)
	}
	return c
}

// lastAudit returns the newest audit entry about an agent.
func (e *env) lastAudit(tb testing.TB, agentID int64) audit.Entry {
	tb.Helper()
	es, err := e.audit.List(e.ctx, audit.Filter{ObjectKind: "agent", ObjectID: agentID, Limit: 1})
	if err != nil || len(es) == 0 {
		tb.Fatalf("audit of agent %d: %v (%d entries)", agentID, err, len(es))
	}
	return es[0]
}

// wantErr fails unless err is an *apperr.Error of kind k with code.
// An empty code accepts success only.
func wantErr(tb testing.TB, err error, k apperr.Kind, code string) {
	tb.Helper()
	if code == "" {
		if err != nil {
			tb.Fatalf("err = %v, want nil", err)
		}
		return
	}
	if err == nil {
		tb.Fatalf("err = nil, want %s %s", k, code)
	}
	ae, ok := apperr.As(err)
	if !ok || apperr.KindOf(err) != k || ae.Code != code {
		tb.Fatalf("err = %v (kind %s, code %q), want kind %s code %q", err, apperr.KindOf(err), codeOf(err), k, code)
	}
}

func codeOf(err error) string {
	if ae, ok := apperr.As(err); ok {
		return ae.Code
	}
	return ""
}

// rows returns every value in table as text, for checking what is stored.
func (e *env) rows(tb testing.TB, table string) []string {
	tb.Helper()
	rs, err := e.d.Q(e.ctx).QueryContext(e.ctx, `SELECT * FROM `+table)
	if err != nil {
		tb.Fatalf("read %s: %v", table, err)
	}
	defer rs.Close()
	cols, err := rs.Columns()
	if err != nil {
		tb.Fatalf("columns of %s: %v", table, err)
	}
	var out []string
	for rs.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rs.Scan(ptrs...); err != nil {
			tb.Fatalf("scan %s: %v", table, err)
		}
		for i, v := range vals {
			if b, ok := v.([]byte); ok {
				v = string(b)
			}
			out = append(out, fmt.Sprintf("%s.%s=%v", table, cols[i], v))
		}
	}
	if err := rs.Err(); err != nil {
		tb.Fatalf("read %s: %v", table, err)
	}
	return out
}
