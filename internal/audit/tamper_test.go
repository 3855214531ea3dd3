package audit_test

import (
	"context"
	"testing"

	"vigil/internal/db"
)

// tamper runs stmt with the append-only guard lifted, as an attacker with
// raw database access could.
func tamper(t *testing.T, postgres bool, d *db.DB, stmt string) {
	t.Helper()
	ctx := context.Background()
	err := d.WithTx(ctx, func(ctx context.Context) error {
		q := d.Q(ctx)
		var drops, restores []string
		if postgres {
			drops = []string{`ALTER TABLE audit_log DISABLE TRIGGER USER`}
			restores = []string{`ALTER TABLE audit_log ENABLE TRIGGER USER`}
		} else {
			drops = []string{`DROP TRIGGER audit_log_no_update`, `DROP TRIGGER audit_log_no_delete`}
		}
		for _, s := range append(append(drops, stmt), restores...) {
			if _, err := q.ExecContext(ctx, s); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("tamper: %v", err)
	}
}
