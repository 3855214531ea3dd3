package ticket

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"vigil/internal/apperr"
	"vigil/internal/db"
)

// Filter narrows a conversation listing. Results are newest first and paged
// by keyset: pass the last id of a page as Before to get the next.
type Filter struct {
	Statuses   []Status
	Priority   *Priority
	TeamID     int64   // -1 means "no team"
	TeamIDs    []int64 // any of these teams (an agent's "my teams" view)
	AssigneeID int64   // -1 means "unassigned"
	Category   string
	Channel    string
	CustomerID int64
	Tag        string
	Text       string // subject contains, or an exact TxID / order id
	// NoReplyBefore keeps conversations created before it that no agent
	// has answered yet (the "at risk" view).
	NoReplyBefore time.Time
	// DueBefore keeps conversations whose SLA breach deadline is before
	// it. With NoReplyBefore as well, either rule qualifies, and the
	// no-reply rule applies only to conversations without an SLA clock.
	DueBefore time.Time
	// Complaints keeps conversations with a complaint still awaiting its
	// final response.
	Complaints bool
	Before     int64
	Limit      int
}

// List returns the conversations in scope that match f, and the cursor for
// the next page (0 when this page is the last).
func (s *Service) List(ctx context.Context, scope Scope, f Filter) ([]Conversation, int64, error) {
	if f.Limit <= 0 {
		f.Limit = 50
	}
	if f.Limit > 200 {
		return nil, 0, apperr.Field("limit", "list.limit_invalid", "must be at most 200")
	}
	if len(f.Statuses) > 0 {
		for _, st := range f.Statuses {
			if !slices.Contains(Statuses, st) {
				return nil, 0, apperr.Field("status", "conversation.status_invalid", "unknown status %q", st)
			}
		}
	}
	if f.Category != "" && !slices.Contains(Categories, f.Category) {
		return nil, 0, apperr.Field("category", "conversation.category_invalid", "must be one of %v", Categories)
	}
	if len(strings.TrimSpace(f.Text)) > 200 {
		return nil, 0, apperr.Field("q", "list.query_too_long", "must be at most 200 characters")
	}
	if _, ok := scopeWhere(scope, func(any) string { return "" }); !ok {
		return []Conversation{}, 0, nil
	}
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	// The page's ids come first from the indexes alone, then the rows. A
	// status set becomes one branch per status, each walking an index
	// (x, status, id) backwards and stopping after a page; without this,
	// "open or pending in team 2" sorts every matching row of a million.
	statuses := f.Statuses
	if len(statuses) == 0 && (filtered(f) || !scope.All) {
		statuses = Statuses
	}
	limit := f.Limit + 1
	var ids string
	switch len(statuses) {
	case 0:
		ids = `SELECT id FROM conversations` + whereClause(listConditions(scope, f, arg)) + ` ORDER BY id DESC LIMIT ` + arg(limit)
	case 1:
		conds := append(listConditions(scope, f, arg), "status = "+arg(string(statuses[0])))
		ids = `SELECT id FROM conversations` + whereClause(conds) + ` ORDER BY id DESC LIMIT ` + arg(limit)
	default:
		branches := make([]string, len(statuses))
		for i, st := range statuses {
			conds := append(listConditions(scope, f, arg), "status = "+arg(string(st)))
			branches[i] = fmt.Sprintf(`SELECT id FROM (SELECT id FROM conversations%s ORDER BY id DESC LIMIT %s) AS s%d`,
				whereClause(conds), arg(limit), i)
		}
		ids = `SELECT id FROM (` + strings.Join(branches, " UNION ALL ") + `) AS page ORDER BY id DESC LIMIT ` + arg(limit)
	}
	q := `SELECT ` + convColumns + ` FROM conversations WHERE id IN (` + ids + `) ORDER BY id DESC`
	rows, err := s.db.Q(ctx).QueryContext(ctx, q, args...)
	if err != nil {
		return nil, 0, wrap("list", err)
	}
	defer rows.Close()
	out := []Conversation{}
	for rows.Next() {
		c, err := scanConversation(rows)
		if err != nil {
			return nil, 0, wrap("list", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, wrap("list", err)
	}
	var next int64
	if len(out) > f.Limit {
		out = out[:f.Limit]
		next = out[len(out)-1].ID
	}
	return out, next, s.loadTags(ctx, out)
}

// CountCap bounds Count: inbox badges show "999+" rather than scan a
// million rows on every refresh.
const CountCap = 999

// Count returns how many conversations in scope match f (its Before and
// Limit are ignored), up to CountCap+1.
func (s *Service) Count(ctx context.Context, scope Scope, f Filter) (int, error) {
	if _, ok := scopeWhere(scope, func(any) string { return "" }); !ok {
		return 0, nil
	}
	f.Before = 0
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	conds := listConditions(scope, f, arg)
	if len(f.Statuses) > 0 {
		sts := make([]string, len(f.Statuses))
		for i, st := range f.Statuses {
			sts[i] = string(st)
		}
		conds = append(conds, "status IN ("+placeholders(arg, sts)+")")
	}
	var n int
	err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM conversations`+whereClause(conds)+
		` LIMIT `+arg(CountCap+1)+`) AS c`, args...).Scan(&n)
	return n, wrap("count", err)
}

// Counts returns the number of conversations in scope per status, for
// inbox badges and the metrics endpoint.
func (s *Service) Counts(ctx context.Context) (map[Status]int64, error) {
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT status, COUNT(*) FROM conversations GROUP BY status`)
	if err != nil {
		return nil, wrap("counts", err)
	}
	defer rows.Close()
	out := map[Status]int64{}
	for rows.Next() {
		var st Status
		var n int64
		if err := rows.Scan(&st, &n); err != nil {
			return nil, wrap("counts", err)
		}
		out[st] = n
	}
	return out, wrap("counts", rows.Err())
}

// CustomerIDs lists, newest first, the customers who have a conversation
// the scope may see; agents may look up only those customers.
func (s *Service) CustomerIDs(ctx context.Context, scope Scope, before int64, limit int) ([]int64, error) {
	if limit <= 0 || limit > 100 {
		limit = 50
	}
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	cond, ok := scopeWhere(scope, arg)
	if !ok {
		return []int64{}, nil
	}
	where := []string{"1 = 1"}
	if cond != "" {
		where = append(where, cond)
	}
	if before > 0 {
		where = append(where, "customer_id < "+arg(before))
	}
	return s.ids(ctx, `SELECT DISTINCT customer_id FROM conversations WHERE `+
		strings.Join(where, " AND ")+` ORDER BY customer_id DESC LIMIT `+arg(limit), args...)
}

// SeesCustomer reports whether the scope may see a customer: supervisors
// always, agents when one of the customer's conversations is visible.
func (s *Service) SeesCustomer(ctx context.Context, scope Scope, customerID int64) (bool, error) {
	if scope.All {
		return true, nil
	}
	if scope.CustomerID != 0 {
		return scope.CustomerID == customerID, nil
	}
	convs, _, err := s.List(ctx, scope, Filter{CustomerID: customerID, Limit: 1})
	return len(convs) > 0, err
}

// filtered reports whether f narrows the list beyond status and cursor.
func filtered(f Filter) bool {
	return f.Priority != nil || f.TeamID != 0 || len(f.TeamIDs) > 0 || !f.NoReplyBefore.IsZero() || !f.DueBefore.IsZero() || f.AssigneeID != 0 || f.Category != "" || f.Channel != "" ||
		f.CustomerID != 0 || f.Tag != "" || strings.TrimSpace(f.Text) != "" || f.Complaints
}

// listConditions renders every condition of f except status, adding its
// arguments through arg; it is called once per status branch.
func listConditions(scope Scope, f Filter, arg func(any) string) []string {
	var where []string
	if cond, _ := scopeWhere(scope, arg); cond != "" {
		where = append(where, cond)
	}
	if f.Priority != nil {
		where = append(where, "priority = "+arg(int(*f.Priority)))
	}
	switch {
	case f.TeamID == -1:
		where = append(where, "team_id IS NULL")
	case f.TeamID > 0:
		where = append(where, "team_id = "+arg(f.TeamID))
	}
	if len(f.TeamIDs) > 0 {
		where = append(where, "team_id IN ("+placeholders(arg, f.TeamIDs)+")")
	}
	switch noReply, due := !f.NoReplyBefore.IsZero(), !f.DueBefore.IsZero(); {
	case noReply && due:
		where = append(where, "(sla_due_at < "+arg(db.Millis(f.DueBefore))+
			" OR (sla_due_at IS NULL AND first_response_at IS NULL AND created_at < "+arg(db.Millis(f.NoReplyBefore))+"))")
	case noReply:
		where = append(where, "first_response_at IS NULL AND created_at < "+arg(db.Millis(f.NoReplyBefore)))
	case due:
		where = append(where, "sla_due_at < "+arg(db.Millis(f.DueBefore)))
	}
	switch {
	case f.AssigneeID == -1:
		where = append(where, "assignee_id IS NULL")
	case f.AssigneeID > 0:
		where = append(where, "assignee_id = "+arg(f.AssigneeID))
	}
	if f.Category != "" {
		where = append(where, "category = "+arg(f.Category))
	}
	if f.Complaints {
		where = append(where, "id IN (SELECT conversation_id FROM complaints WHERE final_at IS NULL)")
	}
	if f.Channel != "" {
		where = append(where, "channel = "+arg(f.Channel))
	}
	if f.CustomerID != 0 {
		where = append(where, "customer_id = "+arg(f.CustomerID))
	}
	if f.Tag != "" {
		where = append(where, "id IN (SELECT ct.conversation_id FROM conversation_tags ct JOIN tags t ON t.id = ct.tag_id WHERE t.name = "+
			arg(strings.ToLower(f.Tag))+")")
	}
	if t := strings.TrimSpace(f.Text); t != "" {
		// LOWER on both sides: PostgreSQL's LIKE is case-sensitive, SQLite's is not.
		where = append(where, fmt.Sprintf("(LOWER(subject) LIKE %s ESCAPE '\\' OR txid = %s OR order_id = %s)",
			arg("%"+escapeLike(strings.ToLower(t))+"%"), arg(t), arg(t)))
	}
	if f.Before > 0 {
		where = append(where, "id < "+arg(f.Before))
	}
	return where
}

func whereClause(conds []string) string {
	if len(conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(conds, " AND ")
}

// scopeWhere turns a scope into a WHERE condition; ok is false when the
// scope sees nothing.
func scopeWhere(scope Scope, arg func(any) string) (cond string, ok bool) {
	switch {
	case scope.All:
		return "", true
	case scope.CustomerID != 0:
		return "customer_id = " + arg(scope.CustomerID), true
	case scope.AgentID != 0:
		terms := []string{"assignee_id = " + arg(scope.AgentID), "team_id IS NULL"}
		if len(scope.TeamIDs) > 0 {
			terms = append(terms, "team_id IN ("+placeholders(arg, scope.TeamIDs)+")")
		}
		return "(" + strings.Join(terms, " OR ") + ")", true
	}
	return "", false
}

func placeholders[T any](arg func(any) string, vs []T) string {
	ph := make([]string, len(vs))
	for i, v := range vs {
		ph[i] = arg(v)
	}
	return strings.Join(ph, ", ")
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// Tag is a label with the number of conversations carrying it.
type Tag struct {
	Name  string `json:"name"`
	Count int64  `json:"count"`
}

// Tags lists the tags in use, most used first.
func (s *Service) Tags(ctx context.Context) ([]Tag, error) {
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT t.name, COUNT(ct.conversation_id) FROM tags t
		LEFT JOIN conversation_tags ct ON ct.tag_id = t.id GROUP BY t.name ORDER BY COUNT(ct.conversation_id) DESC, t.name LIMIT 500`)
	if err != nil {
		return nil, wrap("tags", err)
	}
	defer rows.Close()
	out := []Tag{}
	for rows.Next() {
		var t Tag
		if err := rows.Scan(&t.Name, &t.Count); err != nil {
			return nil, wrap("tags", err)
		}
		out = append(out, t)
	}
	return out, wrap("tags", rows.Err())
}
