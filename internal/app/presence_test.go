package app

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/prometheus/client_golang/prometheus"

	"vigil/internal/agent"
	"vigil/internal/api"
	"vigil/internal/audit"
	"vigil/internal/auth"
	"vigil/internal/config"
	"vigil/internal/db/dbtest"
)

// An agent whose console closes and stays closed goes offline; a reload
// within the grace period does not.
func TestClosedConsoleGoesOffline(t *testing.T) {
	old := ConsoleGrace
	ConsoleGrace = 300 * time.Millisecond
	defer func() { ConsoleGrace = old }()
	cfg := config.Defaults()
	cfg.DataDir = t.TempDir()
	a, err := New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), dbtest.Open(t), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.Handler(prometheus.NewRegistry()))
	defer srv.Close()
	ctx := audit.WithActor(context.Background(), audit.Actor{Kind: "system"})
	email, name, role := "ann@desk.test", "Ann", agent.RoleAgent
	ann, err := a.Agents.Create(ctx, agent.Input{Email: &email, Name: &name, Role: &role})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Auth.SetPassword(ctx, ann.ID, "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	s, err := a.Auth.Login(ctx, auth.LoginInput{Email: email, Password: "correct horse battery"})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Agents.SetStatus(ctx, ann.ID, agent.Online); err != nil {
		t.Fatal(err)
	}
	dial := func() *websocket.Conn {
		ws, _, err := websocket.Dial(context.Background(), "ws"+strings.TrimPrefix(srv.URL, "http")+"/ws/console",
			&websocket.DialOptions{HTTPHeader: http.Header{"Cookie": {api.SessionCookie + "=" + s.Token}}})
		if err != nil {
			t.Fatal(err)
		}
		return ws
	}
	status := func() agent.Status {
		ag, err := a.Agents.ByID(ctx, ann.ID)
		if err != nil {
			t.Fatal(err)
		}
		return ag.Status
	}
	// A reload: closed and reopened within the grace period.
	ws := dial()
	ws.Close(websocket.StatusNormalClosure, "")
	time.Sleep(50 * time.Millisecond)
	ws = dial()
	time.Sleep(500 * time.Millisecond)
	if st := status(); st != agent.Online {
		t.Fatalf("after a reload: %s, want online", st)
	}
	ws.Close(websocket.StatusNormalClosure, "")
	deadline := time.Now().Add(5 * time.Second)
	for status() != agent.Offline {
		if time.Now().After(deadline) {
			t.Fatal("the agent stayed online with the console closed")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
