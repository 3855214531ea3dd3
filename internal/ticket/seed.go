package ticket

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"vigil/internal/db"
)

// SeedOptions describe synthetic conversations for load measurements.
type SeedOptions struct {
	N           int
	CustomerIDs []int64
	TeamIDs     []int64
	AgentIDs    []int64
	Start       time.Time
	Seed        uint64
}

// Seed bulk-inserts synthetic conversations without messages, audit entries
// or events, so `vigil bench` can measure listing over a million rows in
// seconds. It is never called by the serving path.
func (s *Service) Seed(ctx context.Context, o SeedOptions) error {
	if len(o.CustomerIDs) == 0 {
		return fmt.Errorf("ticket: seed needs at least one customer")
	}
	rng := rand.New(rand.NewPCG(o.Seed, 42))
	const batch = 500
	statuses := []Status{StatusNew, StatusOpen, StatusOpen, StatusPending, StatusOnHold, StatusSolved, StatusSolved, StatusClosed, StatusClosed, StatusClosed}
	for done := 0; done < o.N; done += batch {
		n := min(batch, o.N-done)
		err := s.db.WithTx(ctx, func(ctx context.Context) error {
			var sb strings.Builder
			sb.WriteString(`INSERT INTO conversations (customer_id, channel, subject, status, priority, category, language,
				team_id, assignee_id, created_at, updated_at, last_message_at) VALUES `)
			args := make([]any, 0, n*10)
			for i := range n {
				if i > 0 {
					sb.WriteString(", ")
				}
				k := len(args)
				fmt.Fprintf(&sb, "($%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d)", k+1, k+2, k+3, k+4, k+5, k+6, k+7, k+8, k+9, k+10, k+10, k+10)
				var team, assignee int64
				if len(o.TeamIDs) > 0 && rng.IntN(10) > 0 {
					team = o.TeamIDs[rng.IntN(len(o.TeamIDs))]
				}
				if len(o.AgentIDs) > 0 && rng.IntN(3) > 0 {
					assignee = o.AgentIDs[rng.IntN(len(o.AgentIDs))]
				}
				at := o.Start.Add(time.Duration(done+i) * time.Second)
				args = append(args, o.CustomerIDs[rng.IntN(len(o.CustomerIDs))], Channels[rng.IntN(4)],
					fmt.Sprintf("Synthetic case %d", done+i), string(statuses[rng.IntN(len(statuses))]), rng.IntN(4),
					Categories[rng.IntN(len(Categories))], Languages[rng.IntN(len(Languages))],
					db.NullID(team), db.NullID(assignee), db.Millis(at))
			}
			_, err := s.db.Q(ctx).ExecContext(ctx, sb.String(), args...)
			return wrap("seed", err)
		})
		if err != nil {
			return err
		}
	}
	return nil
}
