package job

// claimPostgres lets several instances claim at once: each skips the rows
// another has locked instead of waiting on them. Queued jobs are read in
// the order of the jobs_due index (state, run_at, id) and running ones
// under its 'running' prefix, so a claim locks at most $3 of each and
// sorts only those, however long the backlog of due jobs is (a large
// campaign behind its pace). One condition with OR, as before, made
// PostgreSQL sort every due row on each claim.
const claimPostgres = `WITH queued AS (
		SELECT id, run_at FROM jobs WHERE state = 'queued' AND run_at <= $2 ORDER BY run_at, id LIMIT $3 FOR UPDATE SKIP LOCKED),
	leased AS (
		SELECT id, run_at FROM jobs WHERE state = 'running' AND locked_until <= $2 ORDER BY locked_until LIMIT $3 FOR UPDATE SKIP LOCKED)
	UPDATE jobs SET state = 'running', attempts = attempts + 1, locked_until = $1, updated_at = $2
	WHERE id IN (SELECT id FROM (SELECT id, run_at FROM queued UNION ALL SELECT id, run_at FROM leased) due ORDER BY run_at, id LIMIT $3)
	RETURNING ` + claimColumns
