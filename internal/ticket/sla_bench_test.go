package ticket_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"vigil/internal/db"
	"vigil/internal/sla"
)

// seedDeadlines bulk-inserts n open conversations under policy p whose
// first-response deadlines fall one per second from t0+target on.
func (e *env) seedDeadlines(tb testing.TB, n int, p sla.Policy, custID int64) {
	tb.Helper()
	target := time.Duration(p.Targets.FirstResponse) * time.Minute
	err := e.d.WithTx(e.ctx, func(ctx context.Context) error {
		const batch = 500
		for from := 0; from < n; from += batch {
			var rows []string
			var args []any
			for i := from; i < min(from+batch, n); i++ {
				start := t0.Add(time.Duration(i) * time.Second)
				clocks := fmt.Sprintf(`{"phase":"running","running":{"first_response":{"start":%q,"paused":0}}}`, start.Format(time.RFC3339Nano))
				due := db.Millis(start.Add(target))
				k := len(args)
				rows = append(rows, fmt.Sprintf("($%d, 'webchat', 'seed', 'new', 1, 'deposit', 'en', $%d, $%d, $%d, $%d, $%d, $%d, $%d)",
					k+1, k+2, k+3, k+4, k+5, k+6, k+7, k+8))
				args = append(args, custID, db.Millis(start), db.Millis(start), db.Millis(start), p.ID, clocks, due, due)
			}
			if _, err := e.d.Q(ctx).ExecContext(ctx, `INSERT INTO conversations (customer_id, channel, subject, status, priority,
				category, language, created_at, updated_at, last_message_at, sla_policy_id, sla_clocks, sla_due_at, next_deadline_at)
				VALUES `+strings.Join(rows, ", "), args...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
}

// BenchmarkSLAWatcher100k runs watcher passes over 100,000 open
// conversations with deadlines; each pass finds the 100 that fell due
// since the last one through the next_deadline_at index and fires them.
func BenchmarkSLAWatcher100k(b *testing.B) {
	e := newEnv(b)
	p := e.policy(b, sla.Policy{Name: "chat", Targets: sla.Targets{FirstResponse: 30}})
	cust := e.customer(b, "Seed")
	const n = 100_000
	e.seedDeadlines(b, n, p, cust.ID)
	first := t0.Add(30 * time.Minute)
	fired := 0
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		now := first.Add(time.Duration((i+1)%(n/100)*100) * time.Second)
		k, err := e.tickets.FireSLA(e.ctx, now, 200)
		if err != nil {
			b.Fatal(err)
		}
		fired += k
	}
	el := time.Since(start)
	b.ReportMetric(float64(fired)/el.Seconds(), "alerts/s")
	b.ReportMetric(float64(fired)/float64(b.N), "alerts/pass")
}

// BenchmarkSLAWatcherIdle100k is a pass when nothing is due among 100,000
// open conversations: the cost of looking, paid every tick.
func BenchmarkSLAWatcherIdle100k(b *testing.B) {
	e := newEnv(b)
	p := e.policy(b, sla.Policy{Name: "chat", Targets: sla.Targets{FirstResponse: 30}})
	cust := e.customer(b, "Seed")
	e.seedDeadlines(b, 100_000, p, cust.ID)
	b.ResetTimer()
	for b.Loop() {
		if n, err := e.tickets.FireSLA(e.ctx, t0.Add(29*time.Minute), 200); err != nil || n != 0 {
			b.Fatal(n, err)
		}
	}
}
