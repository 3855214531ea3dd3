package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime/pprof"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"vigil/internal/agent"
	"vigil/internal/auth"
	"vigil/internal/config"
	"vigil/internal/customer"
	"vigil/internal/ticket"
)

// BenchResult is one measured operation.
type BenchResult struct {
	Op         string  `json:"op"`
	Requests   int     `json:"requests"`
	Errors     int     `json:"errors"`
	Seconds    float64 `json:"seconds"`
	PerSecond  float64 `json:"per_second"`
	P50Millis  float64 `json:"p50_ms"`
	P99Millis  float64 `json:"p99_ms"`
	Clients    int     `json:"clients"`
	Database   string  `json:"database"`
	Rows       int     `json:"rows,omitempty"`
	Annotation string  `json:"note,omitempty"`
}

func cmdBench(ctx context.Context, args []string, std IO) error {
	if len(args) == 0 || args[0] != "api" {
		return errors.New("usage: vigil bench api [--json] [--clients N] [--requests N] [--rows N]")
	}
	fs := flag.NewFlagSet("bench api", flag.ContinueOnError)
	fs.SetOutput(std.Stderr)
	asJSON := fs.Bool("json", false, "print results as JSON")
	clients := fs.Int("clients", 16, "concurrent HTTP clients")
	requests := fs.Int("requests", 4000, "requests per measured operation")
	rows := fs.Int("rows", 0, "bulk-insert this many conversations first and measure filtered lists over them (e.g. 1000000)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	cfg, err := config.Load(fs, args[1:], func(k string) string {
		if k == "VIGIL_DATA_DIR" || k == "VIGIL_ADDR" {
			return "" // the bench always uses its own scratch directory and port
		}
		return std.Getenv(k)
	})
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "vigil-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	cfg.DataDir, cfg.LogLevel = dir, "error"
	a, err := Open(ctx, cfg, newLogger(cfg, io.Discard))
	if err != nil {
		return err
	}
	defer a.Close()
	b, err := newBench(systemCtx(ctx), a)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	sctx, stop := context.WithCancel(ctx)
	defer stop()
	go func() { _ = a.Serve(sctx, ln) }()
	b.base = "http://" + ln.Addr().String()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	var results []BenchResult
	ids := make([]int64, 0, *requests)
	var mu sync.Mutex
	results = append(results, b.run("create conversation", *clients, *requests, func(i int) (string, string, []byte) {
		body := fmt.Sprintf(`{"customer_id":%d,"channel":"api","category":"withdrawal","priority":"normal","team_id":%d,"from_customer":true,"body":"Withdrawal %d of 0.1 BTC is still pending"}`,
			b.customers[i%len(b.customers)], b.team, i)
		return "POST", "/api/v1/conversations", []byte(body)
	}, func(resp []byte) {
		var out struct {
			Conversation struct{ ID int64 } `json:"conversation"`
		}
		if json.Unmarshal(resp, &out) == nil && out.Conversation.ID > 0 {
			mu.Lock()
			ids = append(ids, out.Conversation.ID)
			mu.Unlock()
		}
	}))
	if len(ids) == 0 {
		return errors.New("bench: no conversation was created")
	}
	results = append(results, b.run("reply", *clients, *requests, func(i int) (string, string, []byte) {
		return "POST", fmt.Sprintf("/api/v1/conversations/%d/messages", ids[i%len(ids)]), []byte(`{"body":"We are checking the transaction on chain now."}`)
	}, nil))
	results = append(results, b.run("list (status + team filter)", *clients, *requests, func(i int) (string, string, []byte) {
		return "GET", fmt.Sprintf("/api/v1/conversations?status=open,new&team=%d&limit=50", b.team), nil
	}, nil))
	if *rows > 0 {
		start := time.Now()
		if err := a.Tickets.Seed(systemCtx(ctx), ticket.SeedOptions{N: *rows, CustomerIDs: b.customers, TeamIDs: b.teams,
			AgentIDs: b.agents, Start: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Seed: 1}); err != nil {
			return err
		}
		fmt.Fprintf(std.Stderr, "seeded %d conversations in %s\n", *rows, time.Since(start).Round(time.Millisecond))
		queries := []string{
			fmt.Sprintf("/api/v1/conversations?status=open&team=%d&limit=50", b.teams[1]),
			fmt.Sprintf("/api/v1/conversations?assignee=%d&status=pending,on_hold&limit=50", b.agents[0]),
			"/api/v1/conversations?category=withdrawal&status=new&limit=50",
			"/api/v1/conversations?priority=urgent&limit=50",
			"/api/v1/conversations?limit=50&cursor=500000",
		}
		r := b.run("filtered list over seeded rows", *clients, *requests, func(i int) (string, string, []byte) {
			return "GET", queries[i%len(queries)], nil
		}, nil)
		r.Rows = *rows + *requests
		results = append(results, r)
	}
	for i := range results {
		results[i].Database = string(a.DB.Dialect)
	}
	if *asJSON {
		enc := json.NewEncoder(std.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(results)
	}
	fmt.Fprintf(std.Stdout, "%-32s %8s %7s %10s %9s %9s\n", "operation", "requests", "errors", "per second", "p50 ms", "p99 ms")
	for _, r := range results {
		fmt.Fprintf(std.Stdout, "%-32s %8d %7d %10.0f %9.2f %9.2f\n", r.Op, r.Requests, r.Errors, r.PerSecond, r.P50Millis, r.P99Millis)
	}
	return nil
}

type bench struct {
	base      string
	token     string
	team      int64
	teams     []int64
	agents    []int64
	customers []int64
	client    *http.Client
}

// newBench creates a supervisor with an API token, teams and customers.
func newBench(ctx context.Context, a *App) (*bench, error) {
	b := &bench{client: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}, Timeout: 30 * time.Second}}
	for i := range 3 {
		t, err := a.Agents.CreateTeam(ctx, fmt.Sprintf("Bench team %d", i), "")
		if err != nil {
			return nil, err
		}
		b.teams = append(b.teams, t.ID)
	}
	b.team = b.teams[0]
	for i := range 5 {
		email, name := fmt.Sprintf("bench%d@vigil.example", i), fmt.Sprintf("Bench %d", i)
		role := agent.RoleAgent
		if i == 0 {
			role = agent.RoleSupervisor
		}
		ag, err := a.Agents.Create(ctx, agent.Input{Email: &email, Name: &name, Role: &role, Teams: &b.teams})
		if err != nil {
			return nil, err
		}
		b.agents = append(b.agents, ag.ID)
	}
	_, raw, err := a.Auth.CreateToken(ctx, b.agents[0], "bench", []auth.Permission{auth.PermConversationRead, auth.PermConversationWrite}, nil)
	if err != nil {
		return nil, err
	}
	b.token = raw
	for i := range 200 {
		name := fmt.Sprintf("Customer %d", i)
		c, err := a.Customers.Create(ctx, customer.Input{Name: &name})
		if err != nil {
			return nil, err
		}
		b.customers = append(b.customers, c.ID)
	}
	return b, nil
}

// run sends n requests from c concurrent clients and measures latency.
func (b *bench) run(op string, c, n int, req func(i int) (method, path string, body []byte), onBody func([]byte)) BenchResult {
	lat := make([]time.Duration, n)
	var next, errs atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				method, path, body := req(i)
				r, _ := http.NewRequest(method, b.base+path, bytes.NewReader(body))
				r.Header.Set("Authorization", "Bearer "+b.token)
				if body != nil {
					r.Header.Set("Content-Type", "application/json")
				}
				t0 := time.Now()
				resp, err := b.client.Do(r)
				if err != nil {
					errs.Add(1)
					lat[i] = time.Since(t0)
					continue
				}
				data, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				lat[i] = time.Since(t0)
				if resp.StatusCode >= 300 {
					errs.Add(1)
					continue
				}
				if onBody != nil {
					onBody(data)
				}
			}
		}()
	}
	wg.Wait()
	total := time.Since(start)
	slices.Sort(lat)
	pct := func(p float64) float64 { return float64(lat[int(p*float64(n-1))].Microseconds()) / 1000 }
	return BenchResult{Op: op, Requests: n, Errors: int(errs.Load()), Seconds: total.Seconds(),
		PerSecond: float64(n) / total.Seconds(), P50Millis: pct(0.50), P99Millis: pct(0.99), Clients: c}
}
