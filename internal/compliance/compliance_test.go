package compliance_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"vigil/internal/apperr"
	"vigil/internal/audit"
	"vigil/internal/compliance"
	"vigil/internal/customer"
	"vigil/internal/db"
	"vigil/internal/db/dbtest"
	"vigil/internal/event"
	"vigil/internal/ticket"
)

var t0 = time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)

type env struct {
	ctx       context.Context
	d         *db.DB
	clock     *dbtest.Clock
	audit     *audit.Log
	customers *customer.Service
	tickets   *ticket.Service
	files     string
	svc       *compliance.Service
	forgotten []int64
}

func newEnv(t *testing.T, r compliance.Retention) *env {
	t.Helper()
	d := dbtest.Open(t)
	clk := dbtest.NewClock(t0)
	a := audit.NewSigned(d, clk.Now, "0123456789abcdef0123456789abcdef")
	bus := event.NewMemory()
	e := &env{ctx: audit.WithActor(context.Background(), audit.Actor{Kind: "agent", ID: 1}), d: d, clock: clk, audit: a,
		customers: customer.New(d, a, bus, clk.Now), files: t.TempDir()}
	e.tickets = ticket.New(ticket.Options{DB: d, Audit: a, Bus: bus, Customers: e.customers, Now: clk.Now,
		Files: &ticket.Files{Dir: e.files, MaxSize: 1 << 20}})
	e.svc = compliance.New(compliance.Options{DB: d, Audit: a, Customers: e.customers, Tickets: e.tickets, Now: clk.Now, Retention: r,
		Forget: []func(context.Context, int64) error{func(_ context.Context, id int64) error { e.forgotten = append(e.forgotten, id); return nil }},
		Sections: []compliance.Section{{Name: "surveys", Gather: func(_ context.Context, _ int64, convs []int64) (any, error) {
			return map[string]any{"conversations": convs}, nil
		}}}})
	return e
}

func (e *env) customer(t *testing.T, name, email string) customer.Customer {
	t.Helper()
	c, err := e.customers.Create(e.ctx, customer.Input{Name: &name, Email: &email,
		Identities: []customer.Identity{{Channel: "email", ExternalID: email}}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// conversation opens a conversation with a message carrying file, an
// agent reply, and solves it.
func (e *env) conversation(t *testing.T, cust customer.Customer, file []byte, name string) ticket.Conversation {
	t.Helper()
	c, _, err := e.tickets.Open(e.ctx, ticket.OpenInput{CustomerID: cust.ID, Channel: "email", Subject: "Withdrawal for " + cust.Name,
		Message: ticket.MessageInput{AuthorKind: ticket.ByCustomer, AuthorID: cust.ID, AuthorName: cust.Name, Body: "My card ends 4242, " + cust.Email}})
	if err != nil {
		t.Fatal(err)
	}
	att, err := e.tickets.Upload(e.ctx, ticket.Scope{All: true}, ticket.UploadInput{ConversationID: c.ID, Filename: name,
		Content: bytes.NewReader(file), UploadedBy: "customer:1"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.tickets.AddMessage(e.ctx, ticket.MessageInput{ConversationID: c.ID, AuthorKind: ticket.ByCustomer, AuthorID: cust.ID,
		Body: "Screenshot attached", AttachmentIDs: []int64{att.ID}}); err != nil {
		t.Fatal(err)
	}
	solved := ticket.StatusSolved
	if _, err := e.tickets.AddMessage(e.ctx, ticket.MessageInput{ConversationID: c.ID, AuthorKind: ticket.ByAgent, AuthorID: 1, AuthorName: "Sam",
		Body: "Refunded to " + cust.Email, Status: &solved}); err != nil {
		t.Fatal(err)
	}
	return c
}

// stored lists the attachment files on disk.
func (e *env) stored(t *testing.T) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(e.files, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == "tmp" {
			return filepath.SkipDir
		}
		if !d.IsDir() {
			out = append(out, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func (e *env) bodies(t *testing.T, convID int64) []string {
	t.Helper()
	ms, err := e.tickets.Messages(e.ctx, ticket.Scope{All: true}, convID, ticket.MessagesFilter{IncludeInternal: true})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range ms {
		out = append(out, m.Body)
	}
	return out
}

func (e *env) verify(t *testing.T) {
	t.Helper()
	if _, brk, err := e.audit.Verify(e.ctx); err != nil || brk != nil {
		t.Fatalf("audit verify: %+v %v", brk, err)
	}
}

var (
	shared = []byte("the same statement, uploaded by two customers\n")
	own    = []byte("a file only Bo sent\n")
)

func TestRetentionSkipsHeldCustomersAndLeavesNoOrphanedFiles(t *testing.T) {
	year := 365 * 24 * time.Hour
	e := newEnv(t, compliance.Retention{Messages: year, Attachments: year, Audit: 2 * year})
	ada := e.customer(t, "Ada", "ada@example.com")
	bo := e.customer(t, "Bo", "bo@example.com")
	adaConv := e.conversation(t, ada, shared, "statement.txt")
	boConv := e.conversation(t, bo, shared, "statement.txt")
	boOther := e.conversation(t, bo, own, "mine.txt")
	if n := len(e.stored(t)); n != 2 {
		t.Fatalf("%d files stored, want 2 (the shared one once)", n)
	}
	if _, err := e.svc.PlaceHold(e.ctx, ada.ID, 1, "Litigation hold, case 2026-17"); err != nil {
		t.Fatal(err)
	}

	// Nothing is old enough yet.
	e.clock.Advance(300 * 24 * time.Hour)
	run, err := e.svc.RunRetention(e.ctx)
	if err != nil || run.Messages != 0 || run.Attachments != 0 {
		t.Fatalf("early run: %+v %v", run, err)
	}

	e.clock.Advance(100 * 24 * time.Hour)
	run, err = e.svc.RunRetention(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if run.Conversations != 2 || run.Messages != 6 || run.Attachments != 2 || run.Held != 1 {
		t.Fatalf("run: %+v", run)
	}
	for _, id := range []int64{boConv.ID, boOther.ID} {
		if bs := e.bodies(t, id); len(bs) != 3 || strings.Join(bs, "") != "" {
			t.Fatalf("conversation %d after retention: %q", id, bs)
		}
		if c, _ := e.tickets.ByID(e.ctx, ticket.Scope{All: true}, id); c.Subject != "" || c.Status != ticket.StatusSolved {
			t.Fatalf("conversation %d kept %+v", id, c)
		}
	}
	if !slices.Contains(e.forgotten, boConv.ID) || slices.Contains(e.forgotten, adaConv.ID) {
		t.Fatalf("other packages asked to forget %v", e.forgotten)
	}
	// The held customer's thread is whole, and so is the file it shares.
	if bs := e.bodies(t, adaConv.ID); len(bs) != 3 || !strings.Contains(bs[0], "4242") {
		t.Fatalf("held conversation: %q", bs)
	}
	if files := e.stored(t); len(files) != 1 {
		t.Fatalf("files after retention: %v, want only the shared one Ada still holds", files)
	}
	e.verify(t)

	// A second pass finds nothing more.
	if run, err := e.svc.RunRetention(e.ctx); err != nil || run.Messages != 0 || run.Attachments != 0 {
		t.Fatalf("second run: %+v %v", run, err)
	}

	// Lifting the hold lets the next pass take Ada's data, and the file.
	if err := e.svc.LiftHold(e.ctx, ada.ID); err != nil {
		t.Fatal(err)
	}
	if run, err := e.svc.RunRetention(e.ctx); err != nil || run.Messages != 3 {
		t.Fatalf("run after lifting: %+v %v", run, err)
	}
	if files := e.stored(t); len(files) != 0 {
		t.Fatalf("orphaned files: %v", files)
	}

	// Two years on, the oldest audit entries are pruned behind a checkpoint
	// and the chain still verifies.
	e.clock.Advance(2 * year)
	run, err = e.svc.RunRetention(e.ctx)
	if err != nil || run.AuditEntries == 0 {
		t.Fatalf("audit retention: %+v %v", run, err)
	}
	e.verify(t)
}

func TestEraseRefusedUnderHoldThenAnonymises(t *testing.T) {
	e := newEnv(t, compliance.Retention{})
	ada := e.customer(t, "Ada Lovelace", "ada@example.com")
	conv := e.conversation(t, ada, own, "mine.txt")
	if _, err := e.svc.PlaceHold(e.ctx, ada.ID, 1, "Regulator inquiry"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Erase(e.ctx, ada.ID); !apperr.Is(err, apperr.Conflict) {
		t.Fatalf("erase under hold: %v", err)
	}
	if c, _ := e.customers.ByID(e.ctx, ada.ID); c.Email != "ada@example.com" || len(e.stored(t)) != 1 {
		t.Fatalf("refused erasure changed data: %+v", c)
	}
	if err := e.svc.LiftHold(e.ctx, ada.ID); err != nil {
		t.Fatal(err)
	}
	got, err := e.svc.Erase(e.ctx, ada.ID)
	if err != nil || got.Conversations != 1 || got.Messages != 3 || got.Attachments != 1 {
		t.Fatalf("erase: %+v %v", got, err)
	}
	c, err := e.customers.ByID(e.ctx, ada.ID)
	if err != nil || c.Name != "" || c.Email != "" || c.UID != "" || len(c.Identities) != 0 {
		t.Fatalf("customer after erasure: %+v %v", c, err)
	}
	// Her address no longer leads to the erased record: mail from it starts afresh.
	if nc, created, err := e.customers.Resolve(e.ctx, customer.Identity{Channel: "email", ExternalID: "ada@example.com"}, customer.Input{}); err != nil ||
		!created || nc.ID == ada.ID {
		t.Fatalf("address after erasure resolves to %+v created=%v %v", nc, created, err)
	}
	if bs := e.bodies(t, conv.ID); strings.Join(bs, "") != "" {
		t.Fatalf("messages after erasure: %q", bs)
	}
	if files := e.stored(t); len(files) != 0 {
		t.Fatalf("orphaned files: %v", files)
	}
	e.verify(t)
	// No audit entry carries the erased customer's name or address.
	entries, err := e.audit.List(e.ctx, audit.Filter{Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(entries)
	for _, pd := range []string{"ada@example.com", "Lovelace", "4242"} {
		if bytes.Contains(raw, []byte(pd)) {
			t.Fatalf("audit log carries %q", pd)
		}
	}
	if _, err := e.svc.Erase(e.ctx, 999999); !apperr.Is(err, apperr.NotFound) {
		t.Fatalf("erase unknown customer: %v", err)
	}
}

func TestExportArchive(t *testing.T) {
	e := newEnv(t, compliance.Retention{})
	ada := e.customer(t, "Ada", "ada@example.com")
	conv := e.conversation(t, ada, own, "../../etc/mine.txt")
	if _, err := e.tickets.AddMessage(e.ctx, ticket.MessageInput{ConversationID: conv.ID, AuthorKind: ticket.ByAgent, AuthorID: 1,
		Internal: true, Body: "Customer called twice"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.tickets.RaiseComplaint(e.ctx, ticket.Scope{All: true}, conv.ID, ticket.ComplaintInput{ByKind: ticket.ByCustomer,
		ByID: ada.ID, Summary: "Slow refund"}); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := e.svc.Export(e.ctx, ada.ID, &buf); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, f := range zr.File {
		r, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(r)
		r.Close()
		files[f.Name] = b
	}
	var profile struct {
		Email      string              `json:"email"`
		Identities []customer.Identity `json:"identities"`
	}
	if err := json.Unmarshal(files["customer.json"], &profile); err != nil || profile.Email != "ada@example.com" || len(profile.Identities) != 1 {
		t.Fatalf("customer.json: %s %v", files["customer.json"], err)
	}
	var data ticket.CustomerData
	if err := json.Unmarshal(files["conversations.json"], &data); err != nil || len(data.Conversations) != 1 {
		t.Fatalf("conversations.json: %v", err)
	}
	got := data.Conversations[0]
	var bodies []string
	attID := int64(0)
	for _, m := range got.Messages {
		bodies = append(bodies, m.Body)
		for _, a := range m.Attachments {
			attID = a.ID
		}
	}
	if !slices.Contains(bodies, "Customer called twice") || !slices.Contains(bodies, "Screenshot attached") ||
		got.Complaint == nil || got.Complaint.Summary != "Slow refund" {
		t.Fatalf("conversation exported: %q complaint %+v", bodies, got.Complaint)
	}
	name := "attachments/" + itoa(conv.ID) + "/" + itoa(attID) + "-mine.txt"
	if !bytes.Equal(files[name], own) {
		t.Fatalf("attachment %s: %q (archive has %v)", name, files[name], keys(files))
	}
	var m compliance.Manifest
	if err := json.Unmarshal(files["manifest.json"], &m); err != nil || m.CustomerID != ada.ID {
		t.Fatalf("manifest: %s", files["manifest.json"])
	}
	want := []string{"customer.json", "conversations.json", "surveys.json", name}
	if !slices.Equal(m.Files, want) {
		t.Fatalf("manifest lists %v, want %v", m.Files, want)
	}
	if !bytes.Contains(files["surveys.json"], []byte(itoa(conv.ID))) {
		t.Fatalf("surveys.json: %s", files["surveys.json"])
	}
	e.verify(t)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// A legal hold placed while an erasure of the same customer is on its way
// wins: the erasure waits for the hold's transaction and then refuses. The
// hold's transaction is held open here to make the overlap certain.
func TestHoldPlacedDuringErasureWins(t *testing.T) {
	e := newEnv(t, compliance.Retention{})
	ada := e.customer(t, "Ada", "ada@example.com")
	e.conversation(t, ada, []byte("statement"), "statement.pdf")
	placed, release := make(chan struct{}), make(chan struct{})
	holdDone := make(chan error, 1)
	go func() {
		holdDone <- e.d.WithTx(e.ctx, func(ctx context.Context) error {
			if _, err := e.svc.PlaceHold(ctx, ada.ID, 1, "Regulator inquiry"); err != nil {
				return err
			}
			close(placed)
			<-release
			return nil
		})
	}()
	<-placed
	erased := make(chan error, 1)
	go func() {
		_, err := e.svc.Erase(e.ctx, ada.ID)
		erased <- err
	}()
	select {
	case err := <-erased:
		t.Fatalf("erasure finished while the hold was being placed: %v", err)
	case <-time.After(300 * time.Millisecond):
	}
	close(release)
	if err := <-holdDone; err != nil {
		t.Fatal(err)
	}
	if err := <-erased; !apperr.Is(err, apperr.Conflict) {
		t.Fatalf("erasure after the hold: %v, want a conflict", err)
	}
	c, err := e.customers.ByID(e.ctx, ada.ID)
	if err != nil || c.Email != "ada@example.com" {
		t.Errorf("held customer was erased: %+v, %v", c, err)
	}
}
