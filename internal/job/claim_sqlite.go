package job

import "vigil/internal/db"

// claimSQL picks due jobs and marks them running in one statement. On
// SQLite the single writer serialises claims, so no row lock is needed;
// PostgreSQL's version skips rows another worker holds.
func claimSQL(d db.Dialect) string {
	if d == db.Postgres {
		return claimPostgres
	}
	return `UPDATE jobs SET state = 'running', attempts = attempts + 1, locked_until = $1, updated_at = $2
		WHERE id IN (SELECT id FROM jobs WHERE ` + dueWhere + ` ORDER BY run_at, id LIMIT $3)
		RETURNING ` + claimColumns
}
