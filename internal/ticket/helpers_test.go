package ticket_test

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"vigil/internal/agent"
	"vigil/internal/apperr"
	"vigil/internal/audit"
	"vigil/internal/customer"
	"vigil/internal/db"
	"vigil/internal/db/dbtest"
	"vigil/internal/event"
	"vigil/internal/sla"
	"vigil/internal/ticket"
)

// t0 is the moment every test starts at; tests move the clock explicitly so
// each stored timestamp can be compared exactly.
var t0 = time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)

// all is the supervisor's scope.
var all = ticket.Scope{All: true}

// clock is the settable test clock.
type clock = dbtest.Clock

// env is one fresh database with the services wired as the app wires them.
type env struct {
	ctx       context.Context
	d         *db.DB
	clock     *clock
	audit     *audit.Log
	bus       *event.Memory
	customers *customer.Service
	agents    *agent.Service
	tickets   *ticket.Service
	files     *ticket.Files
	slas      *sla.Service
}

func newEnv(tb testing.TB) *env {
	tb.Helper()
	d := dbtest.Open(tb)
	clk := dbtest.NewClock(t0)
	now := clk.Now
	a := audit.New(d, now)
	bus := event.NewMemory()
	customers := customer.New(d, a, bus, now)
	agents := agent.New(d, a, bus, now)
	files := &ticket.Files{Dir: tb.TempDir(), MaxSize: 1 << 20}
	slas := sla.New(d, a, now, ticket.Vocabulary())
	tickets := ticket.New(ticket.Options{DB: d, Audit: a, Bus: bus, Customers: customers, Files: files, Now: now, Policies: slas})
	return &env{
		ctx: context.Background(), d: d, clock: clk, audit: a, bus: bus,
		customers: customers, agents: agents, tickets: tickets, files: files, slas: slas,
	}
}

// as returns a context acting as the given actor, as the HTTP edge sets it.
func (e *env) as(kind string, id int64) context.Context {
	return audit.WithActor(e.ctx, audit.Actor{Kind: kind, ID: id, IP: "192.0.2.1"})
}

func (e *env) customer(tb testing.TB, name string) customer.Customer {
	tb.Helper()
	c, err := e.customers.Create(e.ctx, customer.Input{Name: &name})
	if err != nil {
		tb.Fatalf("create customer %q: %v", name, err)
	}
	return c
}

func (e *env) team(tb testing.TB, name string) agent.Team {
	tb.Helper()
	t, err := e.agents.CreateTeam(e.ctx, name, "")
	if err != nil {
		tb.Fatalf("create team %q: %v", name, err)
	}
	return t
}

func (e *env) agent(tb testing.TB, email string, teams ...int64) agent.Agent {
	tb.Helper()
	name, role := email, agent.RoleAgent
	if teams == nil {
		teams = []int64{}
	}
	a, err := e.agents.Create(e.ctx, agent.Input{Email: &email, Name: &name, Role: &role, Teams: &teams})
	if err != nil {
		tb.Fatalf("create agent %q: %v", email, err)
	}
	return a
}

// open starts a customer-written webchat conversation; edit adjusts the input.
func (e *env) open(tb testing.TB, customerID int64, edit ...func(*ticket.OpenInput)) (ticket.Conversation, ticket.Message) {
	tb.Helper()
	in := ticket.OpenInput{
		CustomerID: customerID, Channel: "webchat", Priority: ticket.Normal,
		Message: ticket.MessageInput{AuthorKind: ticket.ByCustomer, AuthorID: customerID, Body: "My deposit has not arrived"},
	}
	for _, f := range edit {
		f(&in)
	}
	c, m, err := e.tickets.Open(e.ctx, in)
	if err != nil {
		tb.Fatalf("open conversation: %v", err)
	}
	return c, m
}

func (e *env) add(tb testing.TB, in ticket.MessageInput) ticket.Message {
	tb.Helper()
	m, err := e.tickets.AddMessage(e.ctx, in)
	if err != nil {
		tb.Fatalf("add message %+v: %v", in, err)
	}
	return m
}

// reply adds a public agent reply.
func (e *env) reply(tb testing.TB, convID, agentID int64, body string) ticket.Message {
	tb.Helper()
	return e.add(tb, ticket.MessageInput{ConversationID: convID, AuthorKind: ticket.ByAgent, AuthorID: agentID, AuthorName: "Agent", Body: body})
}

// say adds a customer message.
func (e *env) say(tb testing.TB, convID, customerID int64, body string) ticket.Message {
	tb.Helper()
	return e.add(tb, ticket.MessageInput{ConversationID: convID, AuthorKind: ticket.ByCustomer, AuthorID: customerID, Body: body})
}

func (e *env) update(tb testing.TB, id int64, p ticket.Patch) ticket.Conversation {
	tb.Helper()
	c, err := e.tickets.Update(e.ctx, id, p)
	if err != nil {
		tb.Fatalf("update conversation %d: %v", id, err)
	}
	return c
}

// driveTo moves a new conversation to st through allowed agent transitions.
func (e *env) driveTo(tb testing.TB, id int64, st ticket.Status) {
	tb.Helper()
	path := map[ticket.Status][]ticket.Status{
		ticket.StatusNew:     nil,
		ticket.StatusOpen:    {ticket.StatusOpen},
		ticket.StatusPending: {ticket.StatusPending},
		ticket.StatusOnHold:  {ticket.StatusOnHold},
		ticket.StatusSolved:  {ticket.StatusSolved},
		ticket.StatusClosed:  {ticket.StatusSolved, ticket.StatusClosed},
	}[st]
	for _, s := range path {
		e.update(tb, id, ticket.Patch{Status: &s})
	}
}

func (e *env) reload(tb testing.TB, id int64) ticket.Conversation {
	tb.Helper()
	c, err := e.tickets.ByID(e.ctx, all, id)
	if err != nil {
		tb.Fatalf("reload conversation %d: %v", id, err)
	}
	return c
}

func (e *env) messages(tb testing.TB, id int64) []ticket.Message {
	tb.Helper()
	ms, err := e.tickets.Messages(e.ctx, all, id, ticket.MessagesFilter{IncludeInternal: true, Limit: 500})
	if err != nil {
		tb.Fatalf("messages of %d: %v", id, err)
	}
	return ms
}

// count returns the number of rows in a table.
func (e *env) count(tb testing.TB, table string) int {
	tb.Helper()
	var n int
	if err := e.d.Q(e.ctx).QueryRowContext(e.ctx, `SELECT COUNT(*) FROM `+table).Scan(&n); err != nil {
		tb.Fatalf("count %s: %v", table, err)
	}
	return n
}

// counts snapshots the tables a write could touch.
func (e *env) counts(tb testing.TB) map[string]int {
	tb.Helper()
	out := map[string]int{}
	for _, table := range []string{"conversations", "messages", "tags", "conversation_tags", "attachments", "audit_log", "customers", "customer_identities"} {
		out[table] = e.count(tb, table)
	}
	return out
}

// lastAudit returns the newest audit entry about a conversation.
func (e *env) lastAudit(tb testing.TB, kind string, id int64) audit.Entry {
	tb.Helper()
	es, err := e.audit.List(e.ctx, audit.Filter{ObjectKind: kind, ObjectID: id, Limit: 1})
	if err != nil || len(es) == 0 {
		tb.Fatalf("audit of %s %d: %v (%d entries)", kind, id, err, len(es))
	}
	return es[0]
}

// drain returns the events already delivered to sub. Events are published
// synchronously after commit, so once a call returns its events are buffered.
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

// pngBytes encodes a real 1x1 PNG.
func pngBytes(tb testing.TB) []byte {
	tb.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 1, 1))
	img.Set(0, 0, color.RGBA{R: 0xf7, G: 0x93, B: 0x1a, A: 0xff})
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// cmpOpts compare domain values: attachments carry an unexported storage
// key, and nil and empty slices mean the same to a client.
var cmpOpts = []cmp.Option{cmpopts.IgnoreUnexported(ticket.Attachment{}, ticket.Conversation{}), cmpopts.EquateEmpty()}

func ptr[T any](v T) *T { return &v }

func ids(cs []ticket.Conversation) []int64 {
	out := make([]int64, len(cs))
	for i, c := range cs {
		out[i] = c.ID
	}
	return out
}

func seqs(ms []ticket.Message) []int64 {
	out := make([]int64, len(ms))
	for i, m := range ms {
		out[i] = m.Seq
	}
	return out
}
