package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
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

// env is a running Vigil on a fresh database with two teams, agents in
// each role, and a conversation owned by team B.
type env struct {
	t               *testing.T
	app             *app.App
	srv             *httptest.Server
	clock           *clock
	teamA           agent.Team
	teamB           agent.Team
	admin           agent.Agent
	sup             agent.Agent
	agentA          agent.Agent // team A: "agent of another team" for team-B data
	agentB          agent.Agent // team B
	victim          agent.Agent // target of admin actions, never signs in
	custB           customer.Customer
	convB           ticket.Conversation
	adminTOTPSecret string
}

type clock struct{ now time.Time }

func (c *clock) Now() time.Time { return c.now }

func newEnv(t *testing.T) *env {
	t.Helper()
	d := dbtest.Open(t)
	cfg := config.Defaults()
	cfg.DataDir = t.TempDir()
	cfg.ExchangeURL = "sandbox"
	clk := &clock{now: time.Now().UTC()}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	a, err := app.New(cfg, log, d, clk.Now)
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
	e.teamA, err = a.Agents.CreateTeam(ctx, "Team A", "")
	must(err)
	e.teamB, err = a.Agents.CreateTeam(ctx, "Team B", "")
	must(err)
	mk := func(email string, role agent.Role, teams []int64) agent.Agent {
		name := email
		ag, err := a.Agents.Create(ctx, agent.Input{Email: &email, Name: &name, Role: &role, Teams: &teams})
		must(err)
		must(a.Auth.SetPassword(ctx, ag.ID, password))
		return ag
	}
	e.admin = mk("admin@test.example", agent.RoleAdmin, nil)
	e.sup = mk("sup@test.example", agent.RoleSupervisor, nil)
	e.agentA = mk("a@test.example", agent.RoleAgent, []int64{e.teamA.ID})
	e.agentB = mk("b@test.example", agent.RoleAgent, []int64{e.teamB.ID})
	e.victim = mk("victim@test.example", agent.RoleAgent, []int64{e.teamB.ID})
	enrol, err := a.Auth.BeginTOTP(ctx, e.admin.ID, e.admin.Email)
	must(err)
	code, err := totp.GenerateCode(enrol.Secret, clk.Now())
	must(err)
	_, err = a.Auth.ConfirmTOTP(ctx, e.admin.ID, code)
	must(err)
	e.adminTOTPSecret = enrol.Secret
	name, email := "Bea Customer", "bea@example.com"
	e.custB, err = a.Customers.Create(ctx, customer.Input{Name: &name, Email: &email})
	must(err)
	e.convB, _, err = a.Tickets.Open(ctx, ticket.OpenInput{CustomerID: e.custB.ID, Channel: "webchat", TeamID: e.teamB.ID,
		Category: "withdrawal", Message: ticket.MessageInput{AuthorKind: ticket.ByCustomer, AuthorID: e.custB.ID, Body: "My BTC withdrawal is stuck"}})
	must(err)
	return e
}

// client is one browser-like caller with a cookie jar and CSRF token.
type client struct {
	e      *env
	http   *http.Client
	csrf   string
	bearer string
	lang   string
}

func (e *env) anonymous() *client {
	jar, _ := cookiejar.New(nil)
	return &client{e: e, http: &http.Client{Jar: jar}}
}

// login signs in through the API; the admin also sends a TOTP code.
func (e *env) login(ag agent.Agent) *client {
	e.t.Helper()
	c := e.anonymous()
	body := map[string]string{"email": ag.Email, "password": password}
	if ag.ID == e.admin.ID {
		// A fresh 30-second step each time, so no code is replayed.
		e.clock.now = e.clock.now.Add(31 * time.Second)
		code, err := totp.GenerateCode(e.adminTOTPSecret, e.clock.now)
		if err != nil {
			e.t.Fatal(err)
		}
		body["totp_code"] = code
	}
	status, resp := c.do("POST", "/api/v1/auth/login", body)
	if status != http.StatusOK {
		e.t.Fatalf("login %s: %d %s", ag.Email, status, resp)
	}
	var out struct {
		CSRFToken string `json:"csrf_token"`
	}
	if err := json.Unmarshal(resp, &out); err != nil || out.CSRFToken == "" {
		e.t.Fatalf("login %s: no csrf token in %s", ag.Email, resp)
	}
	c.csrf = out.CSRFToken
	return c
}

// do sends a JSON request (body may be nil, a string of raw JSON, or a value).
func (c *client) do(method, path string, body any) (int, []byte) {
	c.e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = bytes.NewReader([]byte(b))
	case []byte:
		rd = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			c.e.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, c.e.srv.URL+path, rd)
	if err != nil {
		c.e.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.csrf != "" {
		req.Header.Set("X-CSRF-Token", c.csrf)
	}
	if c.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+c.bearer)
	}
	if c.lang != "" {
		req.Header.Set("Accept-Language", c.lang)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, data
}

// decodeJSON unmarshals or fails the test.
func decodeJSON[T any](t *testing.T, data []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatalf("decode %s: %v", data, err)
	}
	return v
}
