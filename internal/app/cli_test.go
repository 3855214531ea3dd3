package app

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"vigil/internal/db"
	"vigil/internal/db/dbtest"
)

// testEnv points a command at a fresh data dir, or at a fresh PostgreSQL
// schema when VIGIL_TEST_DATABASE_URL is set.
func testEnv(t *testing.T, extra map[string]string) func(string) string {
	dir := t.TempDir()
	url := dbtest.URL(t)
	return func(k string) string {
		switch k {
		case "VIGIL_DATA_DIR":
			return dir
		case "VIGIL_DATABASE_URL":
			return url
		case "VIGIL_ADDR":
			return "127.0.0.1:0"
		}
		return extra[k]
	}
}

func run(t *testing.T, getenv func(string) string, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Run(context.Background(), args, IO{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb, Getenv: getenv})
	return code, out.String(), errb.String()
}

func TestCommands(t *testing.T) {
	env := testEnv(t, nil)
	if code, out, _ := run(t, env, "", "version"); code != 0 || !strings.HasPrefix(out, "vigil ") {
		t.Errorf("version: %d %q", code, out)
	}
	if code, _, errs := run(t, env, "", "frobnicate"); code != 2 || !strings.Contains(errs, "unknown command") {
		t.Errorf("unknown command: %d %q", code, errs)
	}
	if code, out, errs := run(t, env, "", "migrate"); code != 0 || !strings.Contains(out, "up to date") {
		t.Fatalf("migrate: %d %q %q", code, out, errs)
	}
	code, out, errs := run(t, env, "s3cret-password-123\n", "agent", "create", "--email", "Root@Desk.Example", "--name", "Root")
	if code != 0 || !strings.Contains(out, "created admin root@desk.example") {
		t.Fatalf("agent create: %d %q %q", code, out, errs)
	}
	if code, _, errs := run(t, env, "s3cret-password-123\n", "agent", "create", "--email", "root@desk.example", "--name", "Again"); code != 1 ||
		!strings.Contains(errs, "already exists") {
		t.Errorf("duplicate agent: %d %q", code, errs)
	}
	if code, _, errs := run(t, env, "short\n", "agent", "create", "--email", "weak@desk.example", "--name", "Weak"); code != 1 ||
		!strings.Contains(strings.ToLower(errs), "password") {
		t.Errorf("weak password: %d %q", code, errs)
	}
	if code, _, errs := run(t, env, "", "agent", "create", "--email", "nopw@desk.example", "--name", "No"); code != 1 ||
		!strings.Contains(errs, "no password") {
		t.Errorf("missing password: %d %q", code, errs)
	}
	if code, out, errs := run(t, env, "", "demo"); code != 0 || !strings.Contains(out, "maria@vigil.example") {
		t.Fatalf("demo: %d %q %q", code, out, errs)
	}
	if code, out, _ := run(t, env, "", "audit", "verify"); code != 0 || !strings.Contains(out, "intact") {
		t.Errorf("audit verify: %d %q", code, out)
	}
	// Tamper with one entry behind the triggers' back: verify names it.
	ctx := context.Background()
	d, err := db.Open(ctx, db.Options{URL: env("VIGIL_DATABASE_URL"), DataDir: env("VIGIL_DATA_DIR")})
	if err != nil {
		t.Fatal(err)
	}
	err = d.WithTx(ctx, func(ctx context.Context) error {
		stmts := []string{`DROP TRIGGER audit_log_no_update`, `UPDATE audit_log SET action = 'nothing.happened' WHERE seq = 4`}
		if d.Dialect == db.Postgres {
			stmts = []string{`ALTER TABLE audit_log DISABLE TRIGGER USER`, stmts[1], `ALTER TABLE audit_log ENABLE TRIGGER USER`}
		}
		for _, s := range stmts {
			if _, err := d.Q(ctx).ExecContext(ctx, s); err != nil {
				return err
			}
		}
		return nil
	})
	d.Close()
	if err != nil {
		t.Fatal(err)
	}
	if code, out, _ := run(t, env, "", "audit", "verify"); code != 1 || !strings.Contains(out, "BROKEN at entry 4") {
		t.Errorf("tampered audit verify: %d %q", code, out)
	}
}

func TestConfigErrorsAreClear(t *testing.T) {
	env := testEnv(t, map[string]string{"VIGIL_LOG_FORMAT": "xml", "VIGIL_MAX_UPLOAD_MB": "1000"})
	code, _, errs := run(t, env, "", "migrate")
	if code != 1 || !strings.Contains(errs, "VIGIL_LOG_FORMAT") || !strings.Contains(errs, "VIGIL_MAX_UPLOAD_MB") {
		t.Errorf("bad config: %d %q", code, errs)
	}
}

// TestServeDemo starts the server as `vigil serve --demo` would, checks the
// operational endpoints and a demo sign-in, then shuts it down gracefully.
func TestServeDemo(t *testing.T) {
	env := testEnv(t, nil)
	pr, pw := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- Run(ctx, []string{"serve", "--demo"}, IO{Stdin: strings.NewReader(""), Stdout: pw, Stderr: io.Discard, Getenv: env})
		pw.Close()
	}()
	var base string
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		if addr, ok := strings.CutPrefix(sc.Text(), "Vigil is listening on "); ok {
			base = addr
			break
		}
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	if base == "" {
		t.Fatal("server never said where it listens")
	}
	get := func(path string) (int, string) {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, _ := get("/healthz"); code != 200 {
		t.Errorf("healthz: %d", code)
	}
	if code, _ := get("/readyz"); code != 200 {
		t.Errorf("readyz: %d", code)
	}
	resp, err := http.Post(base+"/api/v1/auth/login", "application/json",
		strings.NewReader(`{"email":"wei@vigil.example","password":"`+DemoPassword+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	var login struct {
		Agent struct {
			Name string `json:"name"`
		} `json:"agent"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&login)
	resp.Body.Close()
	if resp.StatusCode != 200 || login.Agent.Name != "Li Wei 李伟" {
		t.Errorf("demo login: %d %+v", resp.StatusCode, login)
	}
	code, metrics := get("/metrics")
	if code != 200 || !strings.Contains(metrics, `vigil_conversations{status="open"}`) ||
		!strings.Contains(metrics, `vigil_http_requests_total{code="200",method="GET",route="GET /healthz"}`) {
		t.Errorf("metrics lack conversation or request figures:\n%.2000s", metrics)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("serve exited with %d after shutdown", code)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not shut down")
	}
}
