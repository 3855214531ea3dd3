package bot

import (
	"context"
	"fmt"

	"vigil/internal/db"
)

// claim records that this instance answers the customer message; false
// means another instance (or an earlier delivery) already did. Answering
// is at most once: an instance that dies between the claim and the reply
// leaves the message to the agents, who see every message anyway.
func (b *Bot) claim(ctx context.Context, messageID int64) (bool, error) {
	res, err := b.o.DB.Q(ctx).ExecContext(ctx, `INSERT INTO bot_claims (message_id, claimed_at) VALUES ($1, $2)
		ON CONFLICT (message_id) DO NOTHING`, messageID, db.Millis(b.o.Now()))
	if err != nil {
		return false, fmt.Errorf("bot: claim: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}
