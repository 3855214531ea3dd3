package auth

import (
	"context"
	"fmt"
	"time"

	"vigil/internal/db"
)

// sharedBuckets is a token bucket per key in PostgreSQL: one statement
// refills by the time elapsed, spends a token and says what is left, so
// concurrent instances never both spend the last one.
type sharedBuckets struct {
	db   *db.DB
	name string
}

func (s *sharedBuckets) allow(key string, rate, burst float64, now time.Time) (bool, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	// refill is the bucket after the time elapsed; a refused attempt
	// spends nothing, so hammering does not extend the wait.
	const refill = `LEAST($2::float8, rate_limits.tokens + ($3 - rate_limits.at) / 1000.0 * $4::float8)`
	var ok bool
	err := s.db.Q(ctx).QueryRowContext(ctx, `INSERT INTO rate_limits (bucket, tokens, at, allowed) VALUES ($1, $2::float8 - 1, $3, TRUE)
		ON CONFLICT (bucket) DO UPDATE SET
			tokens = CASE WHEN `+refill+` >= 1 THEN `+refill+` - 1 ELSE `+refill+` END,
			allowed = `+refill+` >= 1,
			at = $3
		RETURNING allowed`, s.name+":"+key, burst, now.UnixMilli(), rate).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("auth: shared limiter: %w", err)
	}
	return ok, nil
}
