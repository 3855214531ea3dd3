package bot

import (
	"context"
	"fmt"

	"time"

	"vigil/internal/db"
)

// Deflection counts, over conversations whose last bot turn falls in
// [from, to), how many the bot took part in and how many it resolved
// without a human, for reports over any period.
func (b *Bot) Deflection(ctx context.Context, from, to time.Time) (conversations, resolved int, err error) {
	err = b.o.DB.Q(ctx).QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(CASE WHEN outcome = $1 THEN 1 ELSE 0 END), 0)
		FROM bot_turns WHERE id IN (SELECT MAX(id) FROM bot_turns WHERE created_at >= $2 AND created_at < $3 GROUP BY conversation_id)`,
		string(Resolved), db.Millis(from), db.Millis(to)).Scan(&conversations, &resolved)
	if err != nil {
		return 0, 0, fmt.Errorf("bot: deflection: %w", err)
	}
	return conversations, resolved, nil
}
