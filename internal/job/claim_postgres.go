package job

// claimPostgres lets several instances claim at once: each skips the rows
// another has locked instead of waiting on them.
const claimPostgres = `UPDATE jobs SET state = 'running', attempts = attempts + 1, locked_until = $1, updated_at = $2
	WHERE id IN (SELECT id FROM jobs WHERE ` + dueWhere + ` ORDER BY run_at, id LIMIT $3 FOR UPDATE SKIP LOCKED)
	RETURNING ` + claimColumns
