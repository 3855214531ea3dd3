package report_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"vigil/internal/report"
)

// seedConversations bulk-inserts n conversations spread evenly over days
// days from t0, across 4 channels, 2 languages, 5 teams, 50 agents, 10
// categories and 6 VIP tiers; 80% solved, one in twenty reopened, one in
// ten with an SLA breach.
func (e *env) seedConversations(tb testing.TB, n, days int) {
	tb.Helper()
	var teams, agents, custs []int64
	for i := range 5 {
		t, err := e.agents.CreateTeam(e.ctx, fmt.Sprintf("Team %d", i), "")
		if err != nil {
			tb.Fatal(err)
		}
		teams = append(teams, t.ID)
	}
	for i := range 50 {
		agents = append(agents, e.agent(tb, fmt.Sprintf("a%d@desk.example", i), teams[i%5]).ID)
	}
	for i := range 6 {
		custs = append(custs, e.customer(tb, fmt.Sprintf("Seed %d", i), "en", i).ID)
	}
	var policy int64
	if err := e.d.Q(e.ctx).QueryRowContext(e.ctx, `INSERT INTO sla_policies (name, first_response, created_at, updated_at)
		VALUES ('seed', 10, 0, 0) RETURNING id`).Scan(&policy); err != nil {
		tb.Fatal(err)
	}
	channels := []string{"webchat", "email", "telegram", "api"}
	categories := []string{"deposit", "withdrawal", "kyc", "account_security", "2fa", "trading", "p2p", "futures", "fees", "other"}
	step := time.Duration(days) * 24 * time.Hour / time.Duration(n)
	err := e.d.WithTx(e.ctx, func(ctx context.Context) error {
		const batch = 500
		for from := 0; from < n; from += batch {
			var rows, breaches []string
			var args []any
			for i := from; i < min(from+batch, n); i++ {
				created := t0.Add(time.Duration(i) * step).UnixMilli()
				frt := created + int64(i*37%1800+5)*1000
				status, solved := "open", "NULL"
				if i%5 != 0 {
					status, solved = "solved", fmt.Sprint(created+int64(i*101%86400+60)*1000)
				}
				k := len(args)
				rows = append(rows, fmt.Sprintf("(%d, $%d, $%d, 'seed', '%s', 1, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, %s, %d, %d)",
					i+1, k+1, k+2, status, k+3, k+4, k+5, k+6, k+7, k+8, k+9, k+10, solved, policy, boolInt(i%20 == 0)))
				args = append(args, custs[i%6], channels[i%4], categories[i%10], []string{"en", "zh"}[i%2], teams[i%5], agents[i%50],
					created, created, created, frt)
				if i%10 == 3 {
					breaches = append(breaches, fmt.Sprintf("(%d, %d, 'first_response', 'breach', %d, %d)", i+1, policy, created+600000, created+600000))
				}
			}
			if _, err := e.d.Q(ctx).ExecContext(ctx, `INSERT INTO conversations (id, customer_id, channel, subject, status, priority,
				category, language, team_id, assignee_id, created_at, updated_at, last_message_at, first_response_at, solved_at,
				sla_policy_id, reopens) VALUES `+strings.Join(rows, ", "), args...); err != nil {
				return err
			}
			if len(breaches) > 0 {
				if _, err := e.d.Q(ctx).ExecContext(ctx, `INSERT INTO sla_events (conversation_id, policy_id, metric, stage, due_at, fired_at)
					VALUES `+strings.Join(breaches, ", ")); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// BenchmarkReport1M answers reports over 1,000,000 conversations spread
// over 90 days from the hourly rollup: the whole range in Shanghai time,
// broken down by each dimension (by agent reads the most rollup rows).
// The rollup's first build is timed once and reported as build-s.
func BenchmarkReport1M(b *testing.B) {
	e := newEnv(b)
	const n, days = 1_000_000, 90
	start := time.Now()
	e.seedConversations(b, n, days)
	b.Logf("seeded %d conversations in %v", n, time.Since(start))
	e.clock.Advance(time.Duration(days+1) * 24 * time.Hour)
	start = time.Now()
	hours, err := e.reports.Refresh(e.ctx)
	if err != nil {
		b.Fatal(err)
	}
	build := time.Since(start)
	b.Logf("rollup built over %d hours in %v", hours, build)
	loc, _ := time.LoadLocation("Asia/Shanghai")
	for _, by := range []report.Dimension{report.ByChannel, report.ByAgent, report.ByVIP} {
		b.Run(string(by), func(b *testing.B) {
			q := report.Query{From: t0, To: t0.AddDate(0, 0, days-1), TZ: loc, By: by, Night: report.Window{Start: 0, End: 6}}
			var rep report.Report
			for b.Loop() {
				if rep, err = e.reports.Run(e.ctx, q); err != nil {
					b.Fatal(err)
				}
			}
			if rep.Total.In < n*98/100 {
				b.Fatalf("report counted %d conversations, want about %d", rep.Total.In, n)
			}
			b.ReportMetric(build.Seconds(), "build-s")
		})
	}
}
