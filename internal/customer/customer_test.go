package customer_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"vigil/internal/apperr"
	"vigil/internal/customer"
	"vigil/internal/event"
)

func TestCreateNormalisesAndRoundTrips(t *testing.T) {
	e := newEnv(t)
	got := e.create(t, customer.Input{
		UID: ptr(" U-1001 "), Name: ptr("  Alice Wong "), Email: ptr(" Alice.Wong@Example.COM "), Phone: ptr(" +85212345678 "),
		Language: ptr("zh"), VIPTier: ptr(3), KYCLevel: ptr(2),
		Identities: []customer.Identity{{Channel: "email", ExternalID: " alice.wong@example.com "}, {Channel: "telegram", ExternalID: "5551234"}},
	})
	want := customer.Customer{ID: got.ID, UID: "U-1001", Name: "Alice Wong", Email: "alice.wong@example.com", Phone: "+85212345678",
		Language: "zh", VIPTier: 3, KYCLevel: 2, CreatedAt: t0, UpdatedAt: t0,
		Identities: []customer.Identity{{Channel: "email", ExternalID: "alice.wong@example.com"}, {Channel: "telegram", ExternalID: "5551234"}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Create returned (-want +got):\n%s", diff)
	}
	byUID, err := e.customers.ByUID(e.ctx, "U-1001")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, byUID); diff != "" {
		t.Errorf("ByUID (-want +got):\n%s", diff)
	}
	if entry := e.lastAudit(t, got.ID); entry.Action != "customer.create" {
		t.Errorf("audit action = %q, want customer.create", entry.Action)
	}

	// Defaults, and any number of customers without an exchange UID.
	for range 2 {
		anon := e.create(t, customer.Input{})
		wantAnon := customer.Customer{ID: anon.ID, Language: "en", CreatedAt: t0, UpdatedAt: t0, Identities: []customer.Identity{}}
		if diff := cmp.Diff(wantAnon, anon); diff != "" {
			t.Errorf("anonymous customer (-want +got):\n%s", diff)
		}
	}
	if _, err := e.customers.ByUID(e.ctx, ""); apperr.KindOf(err) != apperr.NotFound {
		t.Errorf("ByUID(\"\") err = %v, want not found", err)
	}
	if _, err := e.customers.ByID(e.ctx, 999); apperr.KindOf(err) != apperr.NotFound {
		t.Errorf("ByID(999) err = %v, want not found", err)
	}
}

func TestInputValidation(t *testing.T) {
	tests := []struct {
		name  string
		in    customer.Input
		field string // empty: the input is valid
	}{
		{"plain email", customer.Input{Email: ptr("a@b.co")}, ""},
		{"empty email clears", customer.Input{Email: ptr("")}, ""},
		{"email without at", customer.Input{Email: ptr("not-an-email")}, "email"},
		{"email with display name", customer.Input{Email: ptr("Alice <alice@example.com>")}, "email"},
		{"two emails", customer.Input{Email: ptr("a@example.com, b@example.com")}, "email"},
		{"email over 254", customer.Input{Email: ptr(strings.Repeat("a", 64) + "@" + strings.Repeat("b", 63) + "." + strings.Repeat("c", 63) + "." + strings.Repeat("d", 63) + ".com")}, "email"},
		{"shortest phone", customer.Input{Phone: ptr("+1234567")}, ""},
		{"longest phone", customer.Input{Phone: ptr("+123456789012345")}, ""},
		{"phone without plus", customer.Input{Phone: ptr("85212345678")}, "phone"},
		{"phone with spaces", customer.Input{Phone: ptr("+852 1234 5678")}, "phone"},
		{"phone with dashes", customer.Input{Phone: ptr("+852-1234-5678")}, "phone"},
		{"phone too short", customer.Input{Phone: ptr("+123456")}, "phone"},
		{"phone too long", customer.Input{Phone: ptr("+1234567890123456")}, "phone"},
		{"phone with letters", customer.Input{Phone: ptr("+85212345678x")}, "phone"},
		{"vip 0", customer.Input{VIPTier: ptr(0)}, ""},
		{"vip 9", customer.Input{VIPTier: ptr(9)}, ""},
		{"vip -1", customer.Input{VIPTier: ptr(-1)}, "vip_tier"},
		{"vip 10", customer.Input{VIPTier: ptr(10)}, "vip_tier"},
		{"kyc 10", customer.Input{KYCLevel: ptr(10)}, "kyc_level"},
		{"language zh", customer.Input{Language: ptr("zh")}, ""},
		{"language fr", customer.Input{Language: ptr("fr")}, "language"},
		{"language empty", customer.Input{Language: ptr("")}, "language"},
		{"uid 64", customer.Input{UID: ptr(strings.Repeat("u", 64))}, ""},
		{"uid 65", customer.Input{UID: ptr(strings.Repeat("u", 65))}, "uid"},
		{"name 201", customer.Input{Name: ptr(strings.Repeat("n", 201))}, "name"},
		{"identity on unknown channel", customer.Input{Identities: []customer.Identity{{Channel: "fax", ExternalID: "1"}}}, "identities"},
		{"identity without id", customer.Input{Identities: []customer.Identity{{Channel: "telegram", ExternalID: "  "}}}, "identities"},
		{"identity id over 256", customer.Input{Identities: []customer.Identity{{Channel: "api", ExternalID: strings.Repeat("x", 257)}}}, "identities"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			existing := e.create(t, customer.Input{Name: ptr("Existing"), Email: ptr("existing@example.com"), Phone: ptr("+85200000000")})
			rows := e.counts(t)
			e.clock.Advance(time.Minute)

			created, cerr := e.customers.Create(e.ctx, tt.in)
			if tt.field == "" {
				if cerr != nil {
					t.Fatalf("valid input refused by Create: %v", cerr)
				}
				if _, err := e.customers.Update(e.ctx, created.ID, tt.in); err != nil {
					t.Fatalf("valid input refused by Update: %v", err)
				}
				return
			}
			_, uerr := e.customers.Update(e.ctx, existing.ID, tt.in)
			for op, err := range map[string]error{"create": cerr, "update": uerr} {
				ae, ok := apperr.As(err)
				if !ok || ae.Kind != apperr.Invalid || ae.Field != tt.field {
					t.Errorf("%s: err = %v, want invalid %s", op, err, tt.field)
				}
			}
			if diff := cmp.Diff(rows, e.counts(t)); diff != "" {
				t.Errorf("rejected input wrote rows (-before +after):\n%s", diff)
			}
			got, err := e.customers.ByID(e.ctx, existing.ID)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(existing, got); diff != "" {
				t.Errorf("rejected update changed the customer (-before +after):\n%s", diff)
			}
		})
	}
}

func TestUpdateChangesOnlyGivenFields(t *testing.T) {
	e := newEnv(t)
	c := e.create(t, customer.Input{UID: ptr("U-1"), Name: ptr("Alice"), Email: ptr("alice@example.com"), VIPTier: ptr(2),
		Identities: []customer.Identity{{Channel: "webchat", ExternalID: "v-1"}}})
	at := e.clock.Advance(time.Hour)
	got, err := e.customers.Update(e.ctx, c.ID, customer.Input{Name: ptr("Alice Wong"), Email: ptr("ALICE@wong.example"),
		Identities: []customer.Identity{{Channel: "webchat", ExternalID: "v-1"}, {Channel: "discord", ExternalID: "alice#1"}}})
	if err != nil {
		t.Fatal(err)
	}
	want := customer.Customer{ID: c.ID, UID: "U-1", Name: "Alice Wong", Email: "alice@wong.example", Language: "en", VIPTier: 2,
		CreatedAt: t0, UpdatedAt: at,
		Identities: []customer.Identity{{Channel: "webchat", ExternalID: "v-1"}, {Channel: "discord", ExternalID: "alice#1"}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Update returned (-want +got):\n%s", diff)
	}
	entry := e.lastAudit(t, c.ID)
	if entry.Action != "customer.update" || !cmp.Equal(entry.Detail["fields"], []any{"name", "email"}) {
		t.Errorf("audit = %s %v, want customer.update naming the fields name and email", entry.Action, entry.Detail)
	}
	if strings.Contains(fmt.Sprint(entry.Detail), "wong.example") {
		t.Errorf("audit detail %v carries personal data", entry.Detail)
	}

	// An empty UID clears it, so the UID can be used by someone else.
	if _, err := e.customers.Update(e.ctx, c.ID, customer.Input{UID: ptr("")}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.customers.ByUID(e.ctx, "U-1"); apperr.KindOf(err) != apperr.NotFound {
		t.Errorf("ByUID after clearing: err %v, want not found", err)
	}
	e.create(t, customer.Input{UID: ptr("U-1")})

	_, err = e.customers.Update(e.ctx, 999, customer.Input{Name: ptr("x")})
	wantKind(t, err, apperr.NotFound)
}

func TestUIDIsUnique(t *testing.T) {
	e := newEnv(t)
	e.create(t, customer.Input{UID: ptr("U-1")})
	other := e.create(t, customer.Input{UID: ptr("U-2"), Name: ptr("Bob")})
	rows := e.counts(t)

	_, err := e.customers.Create(e.ctx, customer.Input{UID: ptr(" U-1 "), Identities: []customer.Identity{{Channel: "email", ExternalID: "x@example.com"}}})
	wantKind(t, err, apperr.Conflict)
	_, err = e.customers.Update(e.ctx, other.ID, customer.Input{UID: ptr("U-1"), Name: ptr("Bobby")})
	wantKind(t, err, apperr.Conflict)
	if diff := cmp.Diff(rows, e.counts(t)); diff != "" {
		t.Errorf("refused writes left rows (-before +after):\n%s", diff)
	}
	if got, _ := e.customers.ByID(e.ctx, other.ID); !cmp.Equal(other, got) {
		t.Errorf("refused update changed the customer: %+v, want %+v", got, other)
	}
}

func TestIdentityBelongsToOneCustomer(t *testing.T) {
	e := newEnv(t)
	tg := customer.Identity{Channel: "telegram", ExternalID: "5551234"}
	owner := e.create(t, customer.Input{Name: ptr("Alice"), Identities: []customer.Identity{tg}})
	other := e.create(t, customer.Input{Name: ptr("Bob")})
	rows := e.counts(t)

	_, err := e.customers.Create(e.ctx, customer.Input{Name: ptr("Mallory"), Identities: []customer.Identity{tg}})
	wantKind(t, err, apperr.Conflict)
	_, err = e.customers.Update(e.ctx, other.ID, customer.Input{Name: ptr("Bobby"), Identities: []customer.Identity{{Channel: "email", ExternalID: "bob@example.com"}, tg}})
	wantKind(t, err, apperr.Conflict)
	if diff := cmp.Diff(rows, e.counts(t)); diff != "" {
		t.Errorf("refused writes left rows (-before +after):\n%s", diff)
	}
	if got, _ := e.customers.ByID(e.ctx, other.ID); !cmp.Equal(other, got) {
		t.Errorf("refused update changed the customer: %+v, want %+v", got, other)
	}
	// The same identity on another channel is a different identity, and
	// re-adding one's own identity is harmless.
	if _, err := e.customers.Update(e.ctx, other.ID, customer.Input{Identities: []customer.Identity{{Channel: "discord", ExternalID: "5551234"}}}); err != nil {
		t.Errorf("same id on another channel: %v", err)
	}
	got, err := e.customers.Update(e.ctx, owner.ID, customer.Input{Identities: []customer.Identity{tg, tg}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]customer.Identity{tg}, got.Identities); diff != "" {
		t.Errorf("identities after re-adding (-want +got):\n%s", diff)
	}
}

func TestResolve(t *testing.T) {
	e := newEnv(t)
	tg := customer.Identity{Channel: "telegram", ExternalID: "5551234"}
	first, created, err := e.customers.Resolve(e.ctx, tg, customer.Input{Name: ptr("Alice"), Language: ptr("zh")})
	if err != nil || !created {
		t.Fatalf("first Resolve: created=%v err=%v, want a new customer", created, err)
	}
	want := customer.Customer{ID: first.ID, Name: "Alice", Language: "zh", CreatedAt: t0, UpdatedAt: t0, Identities: []customer.Identity{tg}}
	if diff := cmp.Diff(want, first); diff != "" {
		t.Errorf("resolved customer (-want +got):\n%s", diff)
	}
	rows := e.counts(t)

	for _, ident := range []customer.Identity{tg, {Channel: "telegram", ExternalID: " 5551234 "}} {
		again, created, err := e.customers.Resolve(e.ctx, ident, customer.Input{Name: ptr("Somebody else")})
		if err != nil || created || again.ID != first.ID || again.Name != "Alice" {
			t.Errorf("Resolve(%+v) = customer %d %q created=%v err=%v; want existing customer %d", ident, again.ID, again.Name, created, err, first.ID)
		}
	}
	if diff := cmp.Diff(rows, e.counts(t)); diff != "" {
		t.Errorf("resolving a known identity wrote rows (-before +after):\n%s", diff)
	}

	other, created, err := e.customers.Resolve(e.ctx, customer.Identity{Channel: "discord", ExternalID: "5551234"}, customer.Input{})
	if err != nil || !created || other.ID == first.ID {
		t.Errorf("Resolve(discord) = customer %d created=%v err=%v; want a second customer", other.ID, created, err)
	}
	_, _, err = e.customers.Resolve(e.ctx, customer.Identity{Channel: "fax", ExternalID: "1"}, customer.Input{})
	wantKind(t, err, apperr.Invalid)
}

func TestConcurrentResolveCreatesOnce(t *testing.T) {
	e := newEnv(t)
	const rounds, n = 5, 8
	for r := range rounds {
		ident := customer.Identity{Channel: "webchat", ExternalID: fmt.Sprintf("visitor-%d", r)}
		got := make([]customer.Customer, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				got[i], _, errs[i] = e.customers.Resolve(e.ctx, ident, customer.Input{})
			}()
		}
		wg.Wait()
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("round %d: Resolve %d: %v", r, i, errs[i])
			}
			if got[i].ID != got[0].ID {
				t.Fatalf("round %d: Resolve %d returned customer %d, another returned %d", r, i, got[i].ID, got[0].ID)
			}
		}
	}
	var owners int
	if err := e.d.Q(e.ctx).QueryRowContext(e.ctx, `SELECT COUNT(DISTINCT customer_id) FROM customer_identities`).Scan(&owners); err != nil {
		t.Fatal(err)
	}
	if owners != rounds {
		t.Errorf("%d customers own the %d identities, want %d", owners, rounds, rounds)
	}
}

func TestListQuery(t *testing.T) {
	e := newEnv(t)
	mk := func(name string, in customer.Input) customer.Customer {
		in.Name = ptr(name)
		return e.create(t, in)
	}
	alice := mk("Alice Wong", customer.Input{UID: ptr("U-1"), Email: ptr("alice@example.com"), Phone: ptr("+85211111111"), VIPTier: ptr(5)})
	alina := mk("Alina Chen", customer.Input{Email: ptr("alina@example.com"), VIPTier: ptr(1)})
	bob := mk("Bob Ali", customer.Input{Email: ptr("bob@example.com")})
	percent := mk("50% Trader", customer.Input{})
	cent := mk("50 Cent", customer.Input{})
	under := mk("a_b", customer.Input{})
	mk("axb", customer.Input{})
	slash := mk(`c\d`, customer.Input{})
	mk("cd", customer.Input{})
	gone := mk("Alice Duplicate", customer.Input{})
	if _, err := e.customers.Absorb(e.ctx, alice.ID, gone.ID, func(context.Context) (int, error) { return 0, nil }); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name string
		f    customer.ListFilter
		want []customer.Customer // newest first
	}{
		{"exact email", customer.ListFilter{Query: "alice@example.com"}, []customer.Customer{alice}},
		{"email in capitals", customer.ListFilter{Query: " ALICE@EXAMPLE.COM "}, []customer.Customer{alice}},
		{"uid", customer.ListFilter{Query: "U-1"}, []customer.Customer{alice}},
		{"phone", customer.ListFilter{Query: "+85211111111"}, []customer.Customer{alice}},
		{"name prefix", customer.ListFilter{Query: "Ali"}, []customer.Customer{alina, alice}},
		{"name prefix any case", customer.ListFilter{Query: "ali"}, []customer.Customer{alina, alice}},
		{"name prefix is not substring", customer.ListFilter{Query: "Wong"}, nil},
		{"percent is literal", customer.ListFilter{Query: "50%"}, []customer.Customer{percent}},
		{"lone percent matches nothing", customer.ListFilter{Query: "%"}, nil},
		{"underscore is literal", customer.ListFilter{Query: "a_"}, []customer.Customer{under}},
		{"lone underscore matches nothing", customer.ListFilter{Query: "_"}, nil},
		{"backslash is literal", customer.ListFilter{Query: `c\`}, []customer.Customer{slash}},
		{"50 prefix", customer.ListFilter{Query: "50"}, []customer.Customer{cent, percent}},
		{"nobody", customer.ListFilter{Query: "nobody@example.com"}, nil},
		{"vip", customer.ListFilter{VIPMin: 2}, []customer.Customer{alice}},
		{"only ids", customer.ListFilter{OnlyIDs: []int64{bob.ID, alice.ID, gone.ID}}, []customer.Customer{bob, alice}},
		{"only no ids", customer.ListFilter{OnlyIDs: []int64{}}, nil},
		{"merged customers are hidden", customer.ListFilter{Query: "Alice D"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := e.customers.List(e.ctx, tt.f)
			if err != nil {
				t.Fatal(err)
			}
			// Compare ids first for a readable failure, then whole records
			// (the absorbed duplicate changed Alice's updated_at).
			if diff := cmp.Diff(ids(tt.want), ids(got), cmpopts.EquateEmpty()); diff != "" {
				t.Fatalf("List(%+v) ids (-want +got):\n%s", tt.f, diff)
			}
			for i := range got {
				byID, _ := e.customers.ByID(e.ctx, got[i].ID)
				if diff := cmp.Diff(byID, got[i]); diff != "" {
					t.Errorf("listed customer differs from ByID (-ByID +List):\n%s", diff)
				}
			}
		})
	}
	_, err := e.customers.List(e.ctx, customer.ListFilter{Query: strings.Repeat("q", 201)})
	wantKind(t, err, apperr.Invalid)
}

func TestListPagination(t *testing.T) {
	tests := []struct{ total, limit int }{{7, 3}, {6, 3}, {2, 5}, {0, 5}}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d by %d", tt.total, tt.limit), func(t *testing.T) {
			e := newEnv(t)
			var want []int64
			for i := range tt.total {
				c := e.create(t, customer.Input{Name: ptr(fmt.Sprintf("Trader %d", i))})
				want = append([]int64{c.ID}, want...)
			}
			var got []int64
			var before int64
			for range tt.total + 2 {
				page, err := e.customers.List(e.ctx, customer.ListFilter{Query: "Trader", Before: before, Limit: tt.limit})
				if err != nil {
					t.Fatal(err)
				}
				if len(page) > tt.limit {
					t.Fatalf("page of %d, limit %d", len(page), tt.limit)
				}
				got = append(got, ids(page)...)
				if len(page) < tt.limit {
					break
				}
				before = page[len(page)-1].ID
			}
			if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("walked ids (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAbsorb(t *testing.T) {
	e := newEnv(t)
	target := e.create(t, customer.Input{Name: ptr("Alice"), Identities: []customer.Identity{{Channel: "email", ExternalID: "alice@example.com"}}})
	source := e.create(t, customer.Input{UID: ptr("U-9"), Email: ptr("alice@example.com"), KYCLevel: ptr(2),
		Identities: []customer.Identity{{Channel: "webchat", ExternalID: "v-9"}}})
	rows := e.counts(t)
	sub := e.bus.Subscribe("test", 8)

	// A failure while moving dependents undoes the whole merge.
	boom := errors.New("boom")
	_, err := e.customers.Absorb(e.ctx, target.ID, source.ID, func(context.Context) (int, error) { return 0, boom })
	if !errors.Is(err, boom) {
		t.Fatalf("Absorb = %v, want boom", err)
	}
	if diff := cmp.Diff(rows, e.counts(t)); diff != "" {
		t.Errorf("failed merge left rows (-before +after):\n%s", diff)
	}
	for _, c := range []customer.Customer{target, source} {
		if got, _ := e.customers.ByID(e.ctx, c.ID); !cmp.Equal(c, got) {
			t.Errorf("failed merge changed customer %d: %+v", c.ID, got)
		}
	}
	select {
	case ev := <-sub.C:
		t.Errorf("failed merge published %v", ev)
	default:
	}

	_, err = e.customers.Absorb(e.ctx, target.ID, target.ID, func(context.Context) (int, error) { return 0, nil })
	wantKind(t, err, apperr.Invalid)

	at := e.clock.Advance(time.Hour)
	got, err := e.customers.Absorb(e.ctx, target.ID, source.ID, func(context.Context) (int, error) { return 3, nil })
	if err != nil {
		t.Fatal(err)
	}
	want := customer.Customer{ID: target.ID, UID: "U-9", Name: "Alice", Email: "alice@example.com", Language: "en", KYCLevel: 2,
		CreatedAt: t0, UpdatedAt: at,
		Identities: []customer.Identity{{Channel: "email", ExternalID: "alice@example.com"}, {Channel: "webchat", ExternalID: "v-9"}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("merged customer (-want +got):\n%s", diff)
	}
	select {
	case ev := <-sub.C:
		if diff := cmp.Diff(event.Event(event.CustomersMerged{TargetID: target.ID, SourceID: source.ID, At: at}), ev); diff != "" {
			t.Errorf("event (-want +got):\n%s", diff)
		}
	default:
		t.Error("no customer.merged event")
	}
	_, err = e.customers.Update(e.ctx, source.ID, customer.Input{Name: ptr("back")})
	wantKind(t, err, apperr.Conflict)
}
