package ticket

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"vigil/internal/db"
)

// Fact is what one conversation contributes to the reports: its instants
// (zero when not reached), where it belongs and how its SLA went. Merged
// conversations have none.
type Fact struct {
	ID, CustomerID                 int64
	Created, Solved, FirstResponse time.Time
	Channel, Language, Category    string
	TeamID, AssigneeID             int64
	UnderPolicy, Breached          bool
	Reopens                        int
}

// FactRange picks the conversations created (or, with BySolved, solved)
// in [From, To).
type FactRange struct {
	From, To time.Time
	BySolved bool
}

// Facts streams the facts of the conversations in a range to fn, one row
// at a time, so a first build over millions of conversations holds none
// of them in memory.
func (s *Service) Facts(ctx context.Context, r FactRange, fn func(Fact)) error {
	col := "created_at"
	if r.BySolved {
		col = "solved_at"
	}
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT c.id, c.customer_id, c.created_at, c.solved_at, c.first_response_at,
		c.channel, c.language, c.category, COALESCE(c.team_id, 0), COALESCE(c.assignee_id, 0),
		CASE WHEN c.sla_policy_id IS NULL THEN 0 ELSE 1 END,
		CASE WHEN EXISTS (SELECT 1 FROM sla_events e WHERE e.conversation_id = c.id AND e.stage = 'breach') THEN 1 ELSE 0 END,
		c.reopens
		FROM conversations c WHERE c.`+col+` >= $1 AND c.`+col+` < $2 AND c.merged_into IS NULL`, db.Millis(r.From), db.Millis(r.To))
	if err != nil {
		return fmt.Errorf("ticket: facts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var f Fact
		var created int64
		var solved, first sql.NullInt64
		var policy, breached int
		if err := rows.Scan(&f.ID, &f.CustomerID, &created, &solved, &first, &f.Channel, &f.Language, &f.Category, &f.TeamID,
			&f.AssigneeID, &policy, &breached, &f.Reopens); err != nil {
			return fmt.Errorf("ticket: facts: %w", err)
		}
		f.Created = db.Time(created)
		if solved.Valid {
			f.Solved = db.Time(solved.Int64)
		}
		if first.Valid {
			f.FirstResponse = db.Time(first.Int64)
		}
		f.UnderPolicy, f.Breached = policy == 1, breached == 1
		fn(f)
	}
	return rows.Err()
}

// ChangedHours returns, sorted and once each, the UTC hours (counted from
// the Unix epoch) whose facts may have changed since an instant: the hours
// conversations changed since then were created or solved in, and the
// creation hours of those with an SLA event fired since.
func (s *Service) ChangedHours(ctx context.Context, since time.Time) ([]int64, error) {
	return s.hours(ctx, `
		SELECT created_at / 3600000 FROM conversations WHERE updated_at >= $1
		UNION SELECT solved_at / 3600000 FROM conversations WHERE updated_at >= $1 AND solved_at IS NOT NULL
		UNION SELECT c.created_at / 3600000 FROM sla_events e JOIN conversations c ON c.id = e.conversation_id WHERE e.fired_at >= $1`,
		db.Millis(since))
}

// CreatedHours returns, sorted and once each, the UTC hours (counted from
// the Unix epoch) the given conversations were created in.
func (s *Service) CreatedHours(ctx context.Context, ids []int64) ([]int64, error) {
	var out []int64
	const batch = 500
	for start := 0; start < len(ids); start += batch {
		part := ids[start:min(start+batch, len(ids))]
		ph := make([]string, len(part))
		args := make([]any, len(part))
		for i, id := range part {
			ph[i] = fmt.Sprintf("$%d", i+1)
			args[i] = id
		}
		hours, err := s.hours(ctx, `SELECT DISTINCT created_at / 3600000 FROM conversations WHERE id IN (`+strings.Join(ph, ", ")+`)`, args...)
		if err != nil {
			return nil, err
		}
		out = append(out, hours...)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

func (s *Service) hours(ctx context.Context, query string, args ...any) ([]int64, error) {
	rows, err := s.db.Q(ctx).QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("ticket: changed hours: %w", err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var h int64
		if err := rows.Scan(&h); err != nil {
			return nil, fmt.Errorf("ticket: changed hours: %w", err)
		}
		out = append(out, h)
	}
	slices.Sort(out)
	return slices.Compact(out), rows.Err()
}

// Backlog fields: what Backlog may group the waiting conversations by.
const (
	BacklogTotal    = ""
	BacklogChannel  = "channel"
	BacklogLanguage = "language"
	BacklogCategory = "category"
	BacklogTeam     = "team"
	BacklogAssignee = "assignee"
	BacklogCustomer = "customer"
)

// Backlog counts the conversations waiting now (new, open, pending, on
// hold), grouped by a field's value ("0" for no team or assignee); the
// total is under "". It reads live rows, a handful compared with all.
func (s *Service) Backlog(ctx context.Context, field string) (map[string]int, error) {
	expr, ok := map[string]string{
		BacklogChannel: "channel", BacklogLanguage: "language", BacklogCategory: "category", BacklogTeam: "COALESCE(team_id, 0)",
		BacklogAssignee: "COALESCE(assignee_id, 0)", BacklogCustomer: "customer_id", BacklogTotal: "''",
	}[field]
	if !ok {
		return nil, fmt.Errorf("ticket: backlog by %q", field)
	}
	group := " GROUP BY " + expr
	if field == BacklogTotal {
		group = ""
	}
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT `+expr+`, COUNT(*) FROM conversations
		WHERE status IN ('new', 'open', 'pending', 'on_hold') AND merged_into IS NULL`+group)
	if err != nil {
		return nil, fmt.Errorf("ticket: backlog: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var k string
		var n int
		if err := rows.Scan(&k, &n); err != nil {
			return nil, fmt.Errorf("ticket: backlog: %w", err)
		}
		out[k] = n
	}
	return out, rows.Err()
}

// FirstWaits returns how long the customers on a channel whose first
// answer came in [from, to] waited for it.
func (s *Service) FirstWaits(ctx context.Context, channel string, from, to time.Time) ([]time.Duration, error) {
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT first_response_at - created_at FROM conversations
		WHERE channel = $1 AND first_response_at >= $2 AND first_response_at <= $3`, channel, db.Millis(from), db.Millis(to))
	if err != nil {
		return nil, fmt.Errorf("ticket: first waits: %w", err)
	}
	defer rows.Close()
	var out []time.Duration
	for rows.Next() {
		var ms int64
		if err := rows.Scan(&ms); err != nil {
			return nil, fmt.Errorf("ticket: first waits: %w", err)
		}
		out = append(out, time.Duration(ms)*time.Millisecond)
	}
	return out, rows.Err()
}

// IdleQuery selects conversations in one of Statuses whose last update
// falls in [Since, Before), oldest first, at most Limit.
type IdleQuery struct {
	Statuses      []Status
	Since, Before time.Time
	Limit         int
}

// Idle is a conversation left alone: its id and when it last changed.
type Idle struct {
	ID        int64
	UpdatedAt time.Time
}

// Idle returns the conversations a query selects, for rules on
// conversations nobody touched for a while.
func (s *Service) Idle(ctx context.Context, q IdleQuery) ([]Idle, error) {
	if len(q.Statuses) == 0 {
		return nil, nil
	}
	args := []any{db.Millis(q.Since), db.Millis(q.Before), q.Limit}
	ph := make([]string, len(q.Statuses))
	for i, st := range q.Statuses {
		args = append(args, string(st))
		ph[i] = fmt.Sprintf("$%d", len(args))
	}
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT id, updated_at FROM conversations
		WHERE updated_at >= $1 AND updated_at < $2 AND merged_into IS NULL AND status IN (`+strings.Join(ph, ", ")+`)
		ORDER BY updated_at, id LIMIT $3`, args...)
	if err != nil {
		return nil, fmt.Errorf("ticket: idle: %w", err)
	}
	defer rows.Close()
	var out []Idle
	for rows.Next() {
		var c Idle
		var at int64
		if err := rows.Scan(&c.ID, &at); err != nil {
			return nil, fmt.Errorf("ticket: idle: %w", err)
		}
		c.UpdatedAt = db.Time(at)
		out = append(out, c)
	}
	return out, rows.Err()
}
