package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"

	"vigil/internal/audit"
	"vigil/internal/config"
	"vigil/internal/customer"
	"vigil/internal/db"
	"vigil/internal/db/dbtest"
	"vigil/internal/sla"
	"vigil/internal/ticket"
)

// TestSLAAlertsSurviveAKill runs the real server binary over a database
// with deadlines in the past and the future, kills it with SIGKILL while
// one breach is still ahead, starts it again after that breach fell due,
// and checks that every warning and breach fired exactly once.
func TestSLAAlertsSurviveAKill(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server binary")
	}
	bin := buildServer(t)
	dataDir, url := t.TempDir(), dbtest.URL(t)

	// Set the scene through the services, with a clock that opens each
	// conversation at the instant its deadline needs.
	cfg := config.Defaults()
	cfg.DataDir, cfg.DatabaseURL = dataDir, url
	var at time.Time
	d, err := db.Open(context.Background(), db.Options{URL: url, DataDir: dataDir})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := d.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	scene, err := New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), d, func() time.Time { return at })
	if err != nil {
		t.Fatal(err)
	}
	ctx := audit.WithActor(context.Background(), audit.Actor{Kind: "system"})
	base := time.Now()
	at = base
	// First response within 2 minutes, warning 1 minute before.
	if _, err := scene.SLA.SavePolicy(ctx, sla.Policy{Name: "chat", Enabled: true, Targets: sla.Targets{FirstResponse: 2}, WarnBefore: 1}); err != nil {
		t.Fatal(err)
	}
	name := "Customer"
	cust, err := scene.Customers.Create(ctx, customer.Input{Name: &name})
	if err != nil {
		t.Fatal(err)
	}
	openDue := func(due time.Duration) int64 {
		at = base.Add(due - 2*time.Minute)
		c, _, err := scene.Tickets.Open(ctx, ticket.OpenInput{CustomerID: cust.ID, Channel: "webchat",
			Message: ticket.MessageInput{AuthorKind: ticket.ByCustomer, AuthorID: cust.ID, Body: "withdrawal stuck"}})
		if err != nil {
			t.Fatal(err)
		}
		return c.ID
	}
	past := openDue(-5 * time.Minute)      // warning and breach long past: the breach fires, the stale warning is dropped
	whileDown := openDue(12 * time.Second) // warning past, breach falls due while the server is down
	ahead := openDue(64 * time.Second)     // warning 4 s after start, breach after the test

	events := func() map[int64][]string {
		t.Helper()
		rows, err := d.Q(ctx).QueryContext(ctx, `SELECT conversation_id, metric, stage FROM sla_events ORDER BY id`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		out := map[int64][]string{}
		for rows.Next() {
			var id int64
			var m, s string
			if err := rows.Scan(&id, &m, &s); err != nil {
				t.Fatal(err)
			}
			out[id] = append(out[id], m+":"+s)
		}
		return out
	}
	check := func(when string, want map[int64][]string) {
		t.Helper()
		got := events()
		for id, w := range want {
			if !slices.Equal(got[id], w) {
				t.Errorf("%s: conversation %d fired %v, want %v", when, id, got[id], w)
			}
		}
	}

	first, _ := startServer(t, bin, dataDir, url)
	sleepUntil(base.Add(8 * time.Second))
	if err := first.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = first.Wait()
	check("after the kill", map[int64][]string{
		past:      {"first_response:breach"},
		whileDown: {"first_response:warning"},
		ahead:     {"first_response:warning"},
	})

	sleepUntil(base.Add(13 * time.Second))
	second, _ := startServer(t, bin, dataDir, url)
	time.Sleep(2*slaTick + time.Second)
	if err := second.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	_ = second.Wait()
	check("after the restart", map[int64][]string{
		past:      {"first_response:breach"},
		whileDown: {"first_response:warning", "first_response:breach"},
		ahead:     {"first_response:warning"},
	})
}

func sleepUntil(t time.Time) { time.Sleep(time.Until(t)) }

// startServer runs `vigil serve` on a free port and waits until it is
// ready; it returns the process and its address.
func startServer(t *testing.T, bin, dataDir, url string, env ...string) (*exec.Cmd, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(bin, "serve")
	cmd.Env = append(append(os.Environ(), "VIGIL_ADDR="+addr, "VIGIL_DATA_DIR="+dataDir, "VIGIL_DATABASE_URL="+url, "VIGIL_LOG_LEVEL=warn"), env...)
	cmd.Stdout, cmd.Stderr = io.Discard, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(fmt.Sprintf("http://%s/readyz", addr))
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return cmd, addr
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("server on %s did not become ready", addr)
	return nil, ""
}

// buildServer builds the vigil binary into a temporary directory.
func buildServer(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "vigil")
	if out, err := exec.Command("go", "build", "-o", bin, "vigil/cmd/vigil").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}
