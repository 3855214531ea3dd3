package ticket

import (
	"context"
	"strings"
	"testing"

	"vigil/internal/db"
	"vigil/internal/db/dbtest"
)

// TestSLAWatcherQueryUsesTheIndex checks that the watcher's due query is
// answered from the next_deadline_at index, not by scanning every
// conversation (SQLite's plan; PostgreSQL chooses by statistics).
func TestSLAWatcherQueryUsesTheIndex(t *testing.T) {
	d := dbtest.Open(t)
	if d.Dialect != db.SQLite {
		t.Skip("query plan checked on SQLite")
	}
	rows, err := d.Q(context.Background()).QueryContext(context.Background(), `EXPLAIN QUERY PLAN `+dueQuery, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	got := strings.Join(plan, "; ")
	t.Logf("plan: %s", got)
	if !strings.HasPrefix(got, "SEARCH conversations USING") || !strings.Contains(got, "INDEX conversations_deadline") {
		t.Errorf("watcher query plan %q does not use the next_deadline_at index", got)
	}
}
