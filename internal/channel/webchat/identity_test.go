package webchat_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"vigil/internal/api"
	"vigil/internal/channel/webchat"
	"vigil/internal/ticket"
)

func TestSessions(t *testing.T) {
	runScenarios(t, options{}, []scenario{
		{"identified customer keeps their history", testIdentifiedCustomerKeepsTheirHistory},
		{"bad identity tokens are refused", testBadIdentityTokensAreRefused},
		{"identity token works once", testIdentityTokenWorksOnce},
		{"anonymous visitors are separate customers", testAnonymousVisitorsAreSeparateCustomers},
		{"bad session requests are refused", testBadSessionRequestsAreRefused},
		{"sessions expire after a day", testSessionsExpire},
	})
}

func testIdentifiedCustomerKeepsTheirHistory(t *testing.T, e *env) {
	c := e.claims("U1001")
	c.Name, c.Email, c.Language = "Alice Wong", "Alice@Example.com", "zh-CN"
	first := e.identified(c)
	if !first.Verified || first.Customer.Name != "Alice Wong" || first.Customer.Language != "zh" {
		t.Errorf("session = %+v, want a verified session for Alice Wong in zh", first)
	}
	if want := e.clock.Now().Add(24 * time.Hour); !first.ExpiresAt.Equal(want) {
		t.Errorf("session expires at %v, want %v", first.ExpiresAt, want)
	}
	cust, err := e.app.Customers.ByUID(system(), "U1001")
	if err != nil {
		t.Fatal(err)
	}
	if cust.ID != first.Customer.ID || cust.Email != "alice@example.com" {
		t.Errorf("customer for U1001 = id %d email %q, want id %d email alice@example.com", cust.ID, cust.Email, first.Customer.ID)
	}
	conv := e.open(first.Token, map[string]string{"body": "Where is my deposit?"}).Conversation

	// Later, in another browser: the same UID with a new token.
	again := e.identified(e.claims("U1001"))
	if again.Customer.ID != first.Customer.ID || again.Token == first.Token {
		t.Fatalf("second session: customer %d token reused %v; want customer %d with a new token",
			again.Customer.ID, again.Token == first.Token, first.Customer.ID)
	}
	list := decode[api.Page[ticket.Conversation]](t, e.request("GET", "/widget/api/conversations", again.Token, nil), http.StatusOK)
	if len(list.Data) != 1 || list.Data[0].ID != conv.ID {
		t.Errorf("second session lists %+v, want the earlier conversation %d", list.Data, conv.ID)
	}

	// The exchange renames the user: the desk follows.
	c = e.claims("U1001")
	c.Name = "Alice W."
	if s := e.identified(c); s.Customer.ID != first.Customer.ID || s.Customer.Name != "Alice W." {
		t.Errorf("after rename: customer %d named %q, want %d named Alice W.", s.Customer.ID, s.Customer.Name, first.Customer.ID)
	}

	// Another exchange user is another customer and sees nothing of Alice's.
	other := e.identified(e.claims("U2002"))
	if other.Customer.ID == first.Customer.ID {
		t.Fatal("two exchange UIDs share one customer")
	}
	r := e.request("GET", "/widget/api/conversations", other.Token, nil)
	if got := string(r.body); got != "{\"data\":[]}\n" {
		t.Errorf("other user's list = %s, want no conversations", got)
	}
}

// tamper keeps the signature of a token but swaps in other claims, as an
// attacker who captured one token would.
func tamper(token string, c webchat.Claims) string {
	_, sig, _ := strings.Cut(token, ".")
	raw, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(raw) + "." + sig
}

func testBadIdentityTokensAreRefused(t *testing.T, e *env) {
	now := e.clock.Now()
	customers := e.count(`SELECT COUNT(*) FROM customers`)
	valid := e.claims("U3003")
	with := func(f func(*webchat.Claims)) webchat.Claims {
		c := e.claims("U3003")
		f(&c)
		return c
	}
	victim := valid
	victim.UID = "U-victim"
	tests := []struct {
		name  string
		token string
		code  string
	}{
		{"expired", e.sign(with(func(c *webchat.Claims) { c.Exp = now.Add(-time.Second).Unix() })), "widget.identity_expired"},
		{"expires this second", e.sign(with(func(c *webchat.Claims) { c.Exp = now.Unix() })), "widget.identity_expired"},
		{"expires too far ahead", e.sign(with(func(c *webchat.Claims) { c.Exp = now.Add(2 * time.Hour).Unix() })), "widget.identity_invalid"},
		{"signed with another secret", webchat.SignIdentity([]byte("attacker-guess-at-the-widget-secret-000"), valid), "widget.identity_invalid"},
		{"claims changed after signing", tamper(e.sign(valid), victim), "widget.identity_invalid"},
		{"signature stripped", strings.Split(e.sign(valid), ".")[0], "widget.identity_invalid"},
		{"empty signature", strings.Split(e.sign(valid), ".")[0] + ".", "widget.identity_invalid"},
		{"no nonce", e.sign(with(func(c *webchat.Claims) { c.Nonce = "" })), "widget.identity_invalid"},
		{"no uid", e.sign(with(func(c *webchat.Claims) { c.UID = "" })), "widget.identity_invalid"},
		{"uid too long", e.sign(with(func(c *webchat.Claims) { c.UID = strings.Repeat("9", 65) })), "widget.identity_invalid"},
		{"nonce too long", e.sign(with(func(c *webchat.Claims) { c.Nonce = strings.Repeat("n", 101) })), "widget.identity_invalid"},
		{"not a token", "hello", "widget.identity_invalid"},
		{"too long", strings.Repeat("a", 4097) + ".sig", "widget.identity_invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := e.on(t)
			// A visitor id alongside does not turn a bad identity into an
			// anonymous chat.
			r := e.startSession(map[string]string{"identity_token": tt.token, "visitor_id": "visitor-0123456789abcdef"})
			wantError(t, r, http.StatusUnauthorized, tt.code)
			if strings.Contains(string(r.body), `"token"`) {
				t.Errorf("refused request got a session: %s", r.body)
			}
		})
	}
	if n := e.count(`SELECT COUNT(*) FROM customers`) - customers; n != 0 {
		t.Errorf("refused tokens created %d customers, want 0", n)
	}

	// The lifetime bound is inclusive: a token for the full hour works.
	if s := e.identified(with(func(c *webchat.Claims) { c.Exp = now.Add(webchat.MaxTokenLife).Unix() })); !s.Verified {
		t.Error("a token valid for exactly MaxTokenLife was not verified")
	}
}

func testIdentityTokenWorksOnce(t *testing.T, e *env) {
	token := e.sign(e.claims("U4004"))
	first := decode[session](t, e.startSession(map[string]string{"identity_token": token}), http.StatusOK)
	wantError(t, e.startSession(map[string]string{"identity_token": token}), http.StatusUnauthorized, "widget.identity_replayed")

	// The exchange signs a fresh token for the next page load.
	if s := e.identified(e.claims("U4004")); s.Customer.ID != first.Customer.ID {
		t.Errorf("fresh token: customer %d, want %d", s.Customer.ID, first.Customer.ID)
	}
}

func TestIdentityWithoutSecretIsRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t, options{noSecret: true})
	r := e.startSession(map[string]string{"identity_token": e.sign(e.claims("U1001"))})
	wantError(t, r, http.StatusUnauthorized, "widget.identity_disabled")
	if s := e.visitor("visitor-0123456789abcdef"); s.Verified {
		t.Error("anonymous visitor marked verified")
	}
}

func TestRequiredIdentityRefusesAnonymousVisitors(t *testing.T) {
	t.Parallel()
	e := newEnv(t, options{requireIdentity: true})
	forged := webchat.SignIdentity([]byte("attacker-guess-at-the-widget-secret-000"), e.claims("U1001"))
	expired := e.claims("U1001")
	expired.Exp = e.clock.Now().Add(-time.Minute).Unix()
	tests := []struct {
		name   string
		body   any
		status int
		code   string
	}{
		{"visitor id", map[string]string{"visitor_id": "visitor-0123456789abcdef"}, http.StatusUnauthorized, "widget.identity_required"},
		{"nothing", map[string]string{}, http.StatusUnauthorized, "widget.identity_required"},
		{"forged token", map[string]string{"identity_token": forged, "visitor_id": "visitor-0123456789abcdef"}, http.StatusUnauthorized, "widget.identity_invalid"},
		{"expired token", map[string]string{"identity_token": e.sign(expired)}, http.StatusUnauthorized, "widget.identity_expired"},
		{"empty body", nil, http.StatusUnprocessableEntity, "request.empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := e.on(t)
			wantError(t, e.startSession(tt.body), tt.status, tt.code)
		})
	}
	if n := e.count(`SELECT COUNT(*) FROM customers`); n != 0 {
		t.Errorf("refused visitors created %d customers, want 0", n)
	}
	if s := e.identified(e.claims("U1001")); !s.Verified {
		t.Error("signed-in exchange user not verified")
	}
}

func testAnonymousVisitorsAreSeparateCustomers(t *testing.T, e *env) {
	const visitorA, visitorB = "visitor-aaaaaaaaaaaaaaaa", "visitor-bbbbbbbbbbbbbbbb"
	a := e.visitor(visitorA)
	if a.Verified {
		t.Error("anonymous session is verified")
	}
	aTab := e.visitor(visitorA) // the same browser, another tab
	b := e.visitor(visitorB)
	if aTab.Customer.ID != a.Customer.ID || aTab.Token == a.Token {
		t.Errorf("same visitor: customer %d (want %d), token reused %v", aTab.Customer.ID, a.Customer.ID, aTab.Token == a.Token)
	}
	if b.Customer.ID == a.Customer.ID {
		t.Fatal("two visitors share one customer")
	}
	conv := e.open(a.Token, map[string]string{"body": "Hello?"}).Conversation
	for _, tt := range []struct {
		name  string
		token string
		want  []int64
	}{{"other tab", aTab.Token, []int64{conv.ID}}, {"other visitor", b.Token, nil}} {
		list := decode[api.Page[ticket.Conversation]](t, e.request("GET", "/widget/api/conversations", tt.token, nil), http.StatusOK)
		var got []int64
		for _, c := range list.Data {
			got = append(got, c.ID)
		}
		if !cmp.Equal(got, tt.want) {
			t.Errorf("%s lists %v, want %v", tt.name, got, tt.want)
		}
	}

	zh := decode[session](t, e.startSession(map[string]string{"visitor_id": "visitor-cccccccccccccccc", "language": "zh-TW"}), http.StatusOK)
	if zh.Customer.Language != "zh" {
		t.Errorf("visitor asking for zh-TW got language %q, want zh", zh.Customer.Language)
	}
}

func testBadSessionRequestsAreRefused(t *testing.T, e *env) {
	customers := e.count(`SELECT COUNT(*) FROM customers`)
	tests := []struct {
		name   string
		body   any
		status int
		code   string
		field  string
	}{
		{"no visitor id", map[string]string{}, http.StatusUnprocessableEntity, "widget.visitor_invalid", "visitor_id"},
		{"short visitor id", map[string]string{"visitor_id": "abc"}, http.StatusUnprocessableEntity, "widget.visitor_invalid", "visitor_id"},
		{"long visitor id", map[string]string{"visitor_id": strings.Repeat("v", 65)}, http.StatusUnprocessableEntity, "widget.visitor_invalid", "visitor_id"},
		{"visitor id with spaces", map[string]string{"visitor_id": "visitor 0123456789abcdef"}, http.StatusUnprocessableEntity, "widget.visitor_invalid", "visitor_id"},
		{"claiming a uid", map[string]string{"visitor_id": "visitor-0123456789abcdef", "uid": "U1001"}, http.StatusUnprocessableEntity, "request.unknown_field", "uid"},
		{"not json", []byte("visitor_id=visitor-0123456789abcdef"), http.StatusUnprocessableEntity, "request.malformed", ""},
		{"over 8 KiB", map[string]string{"visitor_id": "visitor-0123456789abcdef", "language": strings.Repeat("x", 9<<10)}, http.StatusRequestEntityTooLarge, "request.too_large", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := e.on(t)
			wantError(t, e.startSession(tt.body), tt.status, tt.code, tt.field)
		})
	}
	if n := e.count(`SELECT COUNT(*) FROM customers`) - customers; n != 0 {
		t.Errorf("refused requests created %d customers, want 0", n)
	}
}

func TestSessionsAreRateLimitedPerAddress(t *testing.T) {
	t.Parallel()
	e := newEnv(t, options{})
	const burst = 30
	for i := range burst {
		visitor := "visitor-" + strings.Repeat("0", 14) + itoa(int64(10+i))
		if r := e.startSession(map[string]string{"visitor_id": visitor}); r.status != http.StatusOK {
			t.Fatalf("session %d: %d %s", i+1, r.status, r.body)
		}
	}
	token := e.sign(e.claims("U1001"))
	r := e.startSession(map[string]string{"identity_token": token})
	wantError(t, r, http.StatusTooManyRequests, "widget.rate_limited")
	if got := r.header.Get("Retry-After"); got != "60" {
		t.Errorf("Retry-After = %q, want 60", got)
	}
	// A forged X-Forwarded-For does not buy a fresh allowance.
	r = e.request("POST", "/widget/api/session", "", map[string]string{"visitor_id": "visitor-ffffffffffffffff"}, "X-Forwarded-For", "203.0.113.9")
	wantError(t, r, http.StatusTooManyRequests, "widget.rate_limited")

	// One session a second refills; the refused token was not used up.
	e.clock.Advance(time.Second)
	if s := decode[session](t, e.startSession(map[string]string{"identity_token": token}), http.StatusOK); !s.Verified {
		t.Error("token refused while rate limited did not work later")
	}
	wantError(t, e.startSession(map[string]string{"visitor_id": "visitor-ffffffffffffffff"}), http.StatusTooManyRequests, "widget.rate_limited")
	if n := e.count(`SELECT COUNT(*) FROM customer_sessions`); n != burst+1 {
		t.Errorf("%d sessions stored, want %d", n, burst+1)
	}
}

func testSessionsExpire(t *testing.T, e *env) {
	s := e.visitor(newVisitorID())
	e.clock.Advance(24*time.Hour - time.Second)
	if r := e.request("GET", "/widget/api/conversations", s.Token, nil); r.status != http.StatusOK {
		t.Fatalf("session a second before expiry: %d %s", r.status, r.body)
	}
	e.clock.Advance(time.Second)
	wantError(t, e.request("GET", "/widget/api/conversations", s.Token, nil), http.StatusUnauthorized, "auth.required")
	if _, resp, err := e.dialSocket(s.Token); err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("socket with an expired session: err %v, response %v; want 401", err, resp)
	}
}
