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
		WHERE id IN (SELECT id FROM (` + dueFirst + `) ORDER BY run_at, id LIMIT $3)
		RETURNING ` + claimColumns
}

// dueFirst is the jobs a worker may take at $2 (queued ones whose time has
// come, running ones whose lease ran out), at most $3 of each, read in the
// order of the jobs_due index (state, run_at, id): with a long backlog of
// due jobs (a large campaign behind its pace) a claim reads a few index
// entries instead of sorting the whole backlog.
const dueFirst = `SELECT id, run_at FROM (SELECT id, run_at FROM jobs WHERE state = 'queued' AND run_at <= $2 ORDER BY run_at, id LIMIT $3)
	UNION ALL
	SELECT id, run_at FROM (SELECT id, run_at FROM jobs WHERE state = 'running' AND locked_until <= $2 ORDER BY locked_until LIMIT $3)`
