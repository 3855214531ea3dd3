package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
	"github.com/prometheus/client_golang/prometheus"

	"vigil/internal/agent"
	"vigil/internal/app"
	"vigil/internal/audit"
	"vigil/internal/config"
	"vigil/internal/customer"
	"vigil/internal/db/dbtest"
	"vigil/internal/ticket"
)

const password = "correct horse battery"

type clock struct{ now time.Time }

func (c *clock) Now() time.Time { return c.now }

type env struct {
	t                   *testing.T
	app                 *app.App
	srv                 *httptest.Server
	clock               *clock
	teamA, teamB        agent.Team
	admin, agA, agB     agent.Agent
	convA, convB, conv0 ticket.Conversation
}

func newEnv(t *testing.T) *env {
	t.Helper()
	return newEnvWith(t, nil)
}

// newEnvWith lets a test change the configuration first.
func newEnvWith(t *testing.T, configure func(*config.Config)) *env {
	t.Helper()
	cfg := config.Defaults()
	cfg.DataDir = t.TempDir()
	cfg.SecretKey = strings.Repeat("k", 32) // channel settings seal secrets with it
	if configure != nil {
		configure(&cfg)
	}
	clk := &clock{now: time.Now().UTC()}
	a, err := app.New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), dbtest.Open(t), clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, app: a, clock: clk}
	e.srv = httptest.NewServer(a.Handler(prometheus.NewRegistry()))
	t.Cleanup(e.srv.Close)
	ctx := audit.WithActor(context.Background(), audit.Actor{Kind: "system"})
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	e.teamA, err = a.Agents.CreateTeam(ctx, "Wallets", "")
	must(err)
	e.teamB, err = a.Agents.CreateTeam(ctx, "Security", "")
	must(err)
	mk := func(email, name string, role agent.Role, teams []int64) agent.Agent {
		ag, err := a.Agents.Create(ctx, agent.Input{Email: &email, Name: &name, Role: &role, Teams: &teams})
		must(err)
		must(a.Auth.SetPassword(ctx, ag.ID, password))
		return ag
	}
	e.admin = mk("admin@test.example", "Ada Admin", agent.RoleAdmin, nil)
	e.agA = mk("a@test.example", "Ann Wallets", agent.RoleAgent, []int64{e.teamA.ID})
	e.agB = mk("b@test.example", "Ben Security", agent.RoleAgent, []int64{e.teamB.ID})
	open := func(name string, team, assignee int64, subject string) ticket.Conversation {
		email := strings.ToLower(strings.Fields(name)[0]) + "@example.com"
		cu, err := a.Customers.Create(ctx, customer.Input{Name: &name, Email: &email})
		must(err)
		c, _, err := a.Tickets.Open(ctx, ticket.OpenInput{CustomerID: cu.ID, Channel: "webchat", TeamID: team, AssigneeID: assignee,
			Subject: subject, Category: "withdrawal", Message: ticket.MessageInput{AuthorKind: ticket.ByCustomer, AuthorID: cu.ID, Body: subject}})
		must(err)
		return c
	}
	e.convA = open("Alice Trader", e.teamA.ID, e.agA.ID, "USDT withdrawal pending")
	e.convB = open("Bob Holder", e.teamB.ID, 0, "Unknown login from Lagos")
	e.conv0 = open("Carol Visitor", 0, 0, "Fee question")
	return e
}

type browser struct {
	e    *env
	http *http.Client
	csrf string
}

func (e *env) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{e: e, http: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

func (b *browser) get(path string) (int, string, http.Header) {
	b.e.t.Helper()
	resp, err := b.http.Get(b.e.srv.URL + path)
	if err != nil {
		b.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if m := regexp.MustCompile(`data-csrf="([^"]+)"`).FindStringSubmatch(string(body)); m != nil {
		b.csrf = m[1]
	}
	return resp.StatusCode, string(body), resp.Header
}

func (b *browser) post(path string, form url.Values, origin string) (int, string, http.Header) {
	b.e.t.Helper()
	req, _ := http.NewRequest("POST", b.e.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	resp, err := b.http.Do(req)
	if err != nil {
		b.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), resp.Header
}

func (b *browser) signIn(email, code string) (int, string, http.Header) {
	return b.post("/console/login", url.Values{"email": {email}, "password": {password}, "code": {code}, "next": {"/console/inbox?view=all"}}, b.e.srv.URL)
}

func (e *env) signedIn(ag agent.Agent) *browser {
	e.t.Helper()
	b := e.browser()
	if status, body, h := b.signIn(ag.Email, ""); status != http.StatusSeeOther {
		e.t.Fatalf("sign in %s: %d %s", ag.Email, status, body)
	} else if loc := h.Get("Location"); loc != "/console/inbox?view=all" {
		e.t.Fatalf("sign in %s redirected to %s", ag.Email, loc)
	}
	return b
}

func TestPagesNeedSignIn(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	for _, path := range []string{"/console/", "/console/inbox", "/console/inbox?view=all", "/console/counts",
		"/console/conversations/" + strconv.FormatInt(e.convA.ID, 10), "/console/security"} {
		status, _, h := b.get(path)
		if status != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/console/login?next=") {
			t.Errorf("anonymous GET %s: %d to %q, want 303 to sign-in", path, status, h.Get("Location"))
		}
	}
	for _, path := range []string{"/console/logout", "/console/lang", "/console/security"} {
		if status, _, _ := b.post(path, url.Values{}, e.srv.URL); status != http.StatusUnauthorized {
			t.Errorf("anonymous POST %s: %d, want 401", path, status)
		}
	}
	// Signed in, a form post without the session's CSRF token is refused.
	s := e.signedIn(e.agA)
	if status, _, _ := s.post("/console/lang", url.Values{"lang": {"zh"}}, e.srv.URL); status != http.StatusForbidden {
		t.Errorf("POST without csrf: %d, want 403", status)
	}
	if status, _, _ := s.post("/console/logout", url.Values{"csrf": {"forged"}}, e.srv.URL); status != http.StatusForbidden {
		t.Errorf("logout with a forged csrf: %d, want 403", status)
	}
}

func TestSignIn(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	status, body, _ := b.post("/console/login", url.Values{"email": {e.agA.Email}, "password": {"wrong password"}}, e.srv.URL)
	if status != http.StatusUnauthorized || !strings.Contains(body, "The email or password is wrong.") {
		t.Errorf("wrong password: %d, page lacks the error", status)
	}
	if !strings.Contains(body, `value="a@test.example"`) {
		t.Errorf("the form lost the email the agent typed")
	}
	if status, _, _ := b.post("/console/login", url.Values{"email": {e.agA.Email}, "password": {password}}, "https://evil.example"); status != http.StatusForbidden {
		t.Errorf("cross-site sign-in: %d, want 403", status)
	}
	// An open redirect through next= is not possible.
	status, _, h := b.post("/console/login", url.Values{"email": {e.agA.Email}, "password": {password}, "next": {"//evil.example/x"}}, e.srv.URL)
	if status != http.StatusSeeOther || h.Get("Location") != "/console/inbox" {
		t.Errorf("next=//evil.example: %d to %q", status, h.Get("Location"))
	}
	// Sign out ends the session: the inbox asks to sign in again.
	_, _, _ = b.get("/console/inbox")
	if status, _, _ := b.post("/console/logout", url.Values{"csrf": {b.csrf}}, e.srv.URL); status != http.StatusSeeOther {
		t.Fatalf("logout: %d", status)
	}
	if status, _, _ := b.get("/console/inbox"); status != http.StatusSeeOther {
		t.Errorf("inbox after sign-out: %d, want a redirect to sign in", status)
	}
}

func TestAdminMustEnrolTOTPThenSignsInWithCode(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	status, _, h := b.signIn(e.admin.Email, "")
	if status != http.StatusSeeOther || h.Get("Location") != "/console/security" {
		t.Fatalf("admin without TOTP: %d to %q, want the security page", status, h.Get("Location"))
	}
	if status, _, h := b.get("/console/inbox"); status != http.StatusSeeOther || h.Get("Location") != "/console/security" {
		t.Fatalf("inbox before enrolment: %d to %q", status, h.Get("Location"))
	}
	status, page, _ := b.get("/console/security")
	key := regexp.MustCompile(`id="totp-key">([A-Z2-7]+)<`).FindStringSubmatch(page)
	if status != http.StatusOK || key == nil || !strings.Contains(page, `src="data:image/png;base64,`) {
		t.Fatalf("security page: %d, key %v, QR shown %v", status, key, strings.Contains(page, "data:image/png"))
	}
	if status, page, _ := b.post("/console/security", url.Values{"csrf": {b.csrf}, "code": {"000000"}, "key": {key[1]}}, e.srv.URL); status != http.StatusUnprocessableEntity && status != http.StatusUnauthorized || !strings.Contains(page, "code is wrong") {
		t.Fatalf("wrong code: %d", status)
	}
	code, _ := totp.GenerateCode(key[1], e.clock.now)
	status, page, _ = b.post("/console/security", url.Values{"csrf": {b.csrf}, "code": {code}}, e.srv.URL)
	codes := regexp.MustCompile(`<li><code>([^<]+)</code></li>`).FindAllStringSubmatch(page, -1)
	if status != http.StatusOK || len(codes) != 10 {
		t.Fatalf("confirm: %d with %d recovery codes shown, want 10", status, len(codes))
	}
	// A new sign-in now needs the code.
	fresh := e.browser()
	if status, page, _ := fresh.signIn(e.admin.Email, ""); status != http.StatusUnauthorized || !strings.Contains(page, `autofocus aria-describedby="code-hint"`) {
		t.Fatalf("sign-in without code: %d, code field focused: %v", status, strings.Contains(page, "autofocus aria-describedby"))
	}
	e.clock.now = e.clock.now.Add(31 * time.Second)
	code, _ = totp.GenerateCode(key[1], e.clock.now)
	if status, _, h := fresh.signIn(e.admin.Email, code); status != http.StatusSeeOther || h.Get("Location") != "/console/inbox?view=all" {
		t.Fatalf("sign-in with code: %d to %q", status, h.Get("Location"))
	}
	// A recovery code works instead of the app, once.
	other := e.browser()
	if status, _, _ := other.signIn(e.admin.Email, strings.ToUpper(strings.ReplaceAll(codes[0][1], "-", ""))); status != http.StatusSeeOther {
		t.Fatalf("recovery code: %d", status)
	}
	if status, _, _ := e.browser().signIn(e.admin.Email, codes[0][1]); status == http.StatusSeeOther {
		t.Fatal("a recovery code worked twice")
	}
}

// ids returns the conversation ids listed on an inbox page.
func ids(page string) []string {
	var out []string
	for _, m := range regexp.MustCompile(`<tr data-id="(\d+)"`).FindAllStringSubmatch(page, -1) {
		out = append(out, m[1])
	}
	return out
}

func id(c ticket.Conversation) string { return strconv.FormatInt(c.ID, 10) }

func TestInboxViewsShowOnlyWhatTheAgentMaySee(t *testing.T) {
	e := newEnv(t)
	ann := e.signedIn(e.agA)
	for _, tt := range []struct {
		view string
		want []string
	}{
		{"mine", []string{id(e.convA)}},
		{"unassigned", []string{id(e.conv0)}}, // team B's unassigned one is not Ann's to see
		{"teams", []string{id(e.convA)}},
		{"all", []string{id(e.conv0), id(e.convA)}},
		{"at_risk", nil},
	} {
		status, page, _ := ann.get("/console/inbox?view=" + tt.view)
		if got := ids(page); status != http.StatusOK || strings.Join(got, ",") != strings.Join(tt.want, ",") {
			t.Errorf("view %s: %d %v, want %v", tt.view, status, got, tt.want)
		}
		if strings.Contains(page, "Unknown login from Lagos") {
			t.Errorf("view %s shows team B's conversation to a team A agent", tt.view)
		}
	}
	// Team B's conversation: not found, and its subject does not leak.
	status, page, _ := ann.get("/console/conversations/" + id(e.convB))
	if status != http.StatusNotFound || strings.Contains(page, "Lagos") || strings.Contains(page, "Bob Holder") {
		t.Errorf("other team's conversation: %d (leaks: %v)", status, strings.Contains(page, "Lagos"))
	}
	if status, _, _ := ann.get("/console/conversations/nope"); status != http.StatusNotFound {
		t.Errorf("bad id: %d, want 404", status)
	}
	// After 15 minutes without a first reply, a conversation is at risk.
	e.clock.now = e.clock.now.Add(16 * time.Minute)
	_, page, _ = ann.get("/console/inbox?view=at_risk")
	if got := strings.Join(ids(page), ","); got != id(e.conv0)+","+id(e.convA) {
		t.Errorf("at risk after 16 min: %s", got)
	}
	status, counts, _ := ann.get("/console/counts")
	if status != http.StatusOK || counts != `{"all":"2","at_risk":"2","complaints":"0","mine":"1","teams":"1","unassigned":"1"}`+"\n" {
		t.Errorf("counts: %d %s", status, counts)
	}
}

func TestConversationPage(t *testing.T) {
	e := newEnv(t)
	ctx := audit.WithActor(context.Background(), audit.Actor{Kind: "agent", ID: e.agA.ID})
	if _, err := e.app.Tickets.AddMessage(ctx, ticket.MessageInput{ConversationID: e.convA.ID, AuthorKind: ticket.ByAgent, AuthorID: e.agA.ID,
		Internal: true, Body: "Check the **hot wallet** queue <script>alert(1)</script>"}); err != nil {
		t.Fatal(err)
	}
	ann := e.signedIn(e.agA)
	status, page, h := ann.get("/console/conversations/" + id(e.convA))
	if status != http.StatusOK {
		t.Fatalf("conversation: %d", status)
	}
	for _, want := range []string{
		`<li class="msg from-customer" data-seq="1"`,
		`<li class="msg note" data-seq="2"`,
		`Internal note: customers never see it`,
		`<strong>hot wallet</strong>`,
		`<h2>Alice Trader</h2>`,
		`<option value="` + strconv.FormatInt(e.agA.ID, 10) + `" selected>Ann Wallets (Offline)</option>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	if strings.Contains(page, "<script>alert") {
		t.Error("message HTML is not sanitised")
	}
	if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("CSP = %q", csp)
	}
}

func TestChineseConsole(t *testing.T) {
	e := newEnv(t)
	ann := e.signedIn(e.agA)
	_, _, _ = ann.get("/console/inbox")
	status, _, h := ann.post("/console/lang", url.Values{"csrf": {ann.csrf}, "lang": {"zh"}, "next": {"/console/inbox?view=all"}}, e.srv.URL)
	if status != http.StatusSeeOther || h.Get("Location") != "/console/inbox?view=all" {
		t.Fatalf("switch language: %d %q", status, h.Get("Location"))
	}
	_, page, _ := ann.get("/console/inbox?view=all")
	for _, want := range []string{`<html lang="zh-Hans">`, "我的团队", "未分配", "退出登录", "新建"} {
		if !strings.Contains(page, want) {
			t.Errorf("Chinese inbox lacks %q", want)
		}
	}
	// Chinese login page from the browser's language.
	req, _ := http.NewRequest("GET", e.srv.URL+"/console/login", nil)
	req.Header.Set("Accept-Language", "zh-CN,zh;q=0.9")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), "登录") || !strings.Contains(string(body), `lang="zh-Hans"`) {
		t.Error("login page ignores Accept-Language zh")
	}
}
