package bot

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"vigil/internal/db"
)

// Turn is one customer message the bot acted on: what it did, how sure it
// was and how it ended. Supervisors read these to see what the bot says.
type Turn struct {
	ID             int64     `json:"id"`
	ConversationID int64     `json:"conversation_id"`
	MessageID      int64     `json:"message_id"`
	Language       string    `json:"language"`
	Question       string    `json:"question"`
	ArticleID      int64     `json:"article_id,omitempty"`
	AnnouncementID int64     `json:"announcement_id,omitempty"`
	Confidence     float64   `json:"confidence"`
	Action         Action    `json:"action"`
	Reason         string    `json:"reason,omitempty"`
	Outcome        Outcome   `json:"outcome"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
}

// AbandonAfter is how long an answer may wait for "did this solve it?"
// before it counts as abandoned.
const AbandonAfter = time.Hour

const turnColumns = `id, conversation_id, message_id, language, question, article_id, announcement_id, confidence, action, reason, outcome, created_at, updated_at`

func scanTurn(row interface{ Scan(...any) error }) (Turn, error) {
	var t Turn
	var art, ann sql.NullInt64
	var created, updated int64
	err := row.Scan(&t.ID, &t.ConversationID, &t.MessageID, &t.Language, &t.Question, &art, &ann, &t.Confidence, &t.Action,
		&t.Reason, &t.Outcome, &created, &updated)
	t.ArticleID, t.AnnouncementID, t.CreatedAt, t.UpdatedAt = art.Int64, ann.Int64, db.Time(created), db.Time(updated)
	return t, err
}

func (b *Bot) record(ctx context.Context, t *Turn) error {
	now := b.o.Now()
	err := b.o.DB.Q(ctx).QueryRowContext(ctx, `INSERT INTO bot_turns (conversation_id, message_id, language, question, article_id,
		announcement_id, confidence, action, reason, outcome, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) RETURNING id`, t.ConversationID, t.MessageID, t.Language, t.Question,
		db.NullID(t.ArticleID), db.NullID(t.AnnouncementID), t.Confidence, string(t.Action), t.Reason, string(t.Outcome), db.Millis(now)).Scan(&t.ID)
	if err != nil {
		return fmt.Errorf("bot: record turn: %w", err)
	}
	return nil
}

func (b *Bot) setOutcome(ctx context.Context, id int64, o Outcome) error {
	if _, err := b.o.DB.Q(ctx).ExecContext(ctx, `UPDATE bot_turns SET outcome = $1, updated_at = $2 WHERE id = $3`,
		string(o), db.Millis(b.o.Now()), id); err != nil {
		return fmt.Errorf("bot: set outcome: %w", err)
	}
	return nil
}

// lastTurn returns the bot's latest turn in a conversation; ok is false
// when the bot has not spoken there yet.
func (b *Bot) lastTurn(ctx context.Context, convID int64) (t Turn, ok bool, err error) {
	t, err = scanTurn(b.o.DB.Q(ctx).QueryRowContext(ctx, `SELECT `+turnColumns+` FROM bot_turns WHERE conversation_id = $1
		ORDER BY id DESC LIMIT 1`, convID))
	if errors.Is(err, sql.ErrNoRows) {
		return Turn{}, false, nil
	}
	if err != nil {
		return Turn{}, false, fmt.Errorf("bot: last turn: %w", err)
	}
	return t, true, nil
}

func (b *Bot) turns(ctx context.Context, convID int64) ([]Turn, error) {
	return b.query(ctx, `WHERE conversation_id = $1 ORDER BY id LIMIT 50`, convID)
}

func (b *Bot) query(ctx context.Context, rest string, args ...any) ([]Turn, error) {
	rows, err := b.o.DB.Q(ctx).QueryContext(ctx, `SELECT `+turnColumns+` FROM bot_turns `+rest, args...)
	if err != nil {
		return nil, fmt.Errorf("bot: turns: %w", err)
	}
	defer rows.Close()
	out := []Turn{}
	for rows.Next() {
		t, err := scanTurn(rows)
		if err != nil {
			return nil, fmt.Errorf("bot: turns: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// Turns lists the bot's turns, newest first, before the id cursor (0 for
// the newest); an answer left waiting longer than AbandonAfter shows as
// abandoned.
func (b *Bot) Turns(ctx context.Context, before int64, limit int) ([]Turn, error) {
	return b.Log(ctx, TurnFilter{Before: before, Limit: limit})
}

// Report summarises the bot over a period. Deflection is the share of
// conversations the bot took part in that it resolved without a human.
type Report struct {
	Since          time.Time `json:"since"`
	Conversations  int       `json:"conversations"`
	Resolved       int       `json:"resolved"`
	HandedOver     int       `json:"handed_over"`
	Abandoned      int       `json:"abandoned"`
	Pending        int       `json:"pending"`
	DeflectionRate float64   `json:"deflection_rate"`
	// Reasons counts hand-offs by reason.
	Reasons map[string]int `json:"reasons"`
}

// ReportLast reports on the period of length d up to now.
func (b *Bot) ReportLast(ctx context.Context, d time.Duration) (Report, error) {
	return b.Report(ctx, b.o.Now().Add(-d))
}

// Report counts conversations by the outcome of their last bot turn since
// the given time.
func (b *Bot) Report(ctx context.Context, since time.Time) (Report, error) {
	return b.ReportFor(ctx, TurnFilter{From: since})
}

// ReportFor counts conversations by the outcome of their last bot turn in
// the filter's period (and language, when set); the outcome filter and
// cursor do not apply.
func (b *Bot) ReportFor(ctx context.Context, f TurnFilter) (Report, error) {
	where, args := f.period()
	rows, err := b.o.DB.Q(ctx).QueryContext(ctx, `SELECT t.outcome, t.reason, t.action, t.created_at FROM bot_turns t
		WHERE t.id IN (SELECT MAX(id) FROM bot_turns WHERE `+where+` GROUP BY conversation_id)`, args...)
	if err != nil {
		return Report{}, fmt.Errorf("bot: report: %w", err)
	}
	defer rows.Close()
	r := Report{Since: f.From.UTC(), Reasons: map[string]int{}}
	cutoff := db.Millis(b.o.Now().Add(-AbandonAfter))
	for rows.Next() {
		var outcome, reason, action string
		var created int64
		if err := rows.Scan(&outcome, &reason, &action, &created); err != nil {
			return Report{}, fmt.Errorf("bot: report: %w", err)
		}
		r.Conversations++
		switch Outcome(outcome) {
		case Resolved:
			r.Resolved++
		case HandedOver:
			r.HandedOver++
			r.Reasons[reason]++
		case Abandoned:
			r.Abandoned++
		case Pending:
			if created < cutoff {
				r.Abandoned++
			} else {
				r.Pending++
			}
		}
	}
	if err := rows.Err(); err != nil {
		return Report{}, fmt.Errorf("bot: report: %w", err)
	}
	if r.Conversations > 0 {
		r.DeflectionRate = float64(int64(float64(r.Resolved)/float64(r.Conversations)*10000+0.5)) / 10000
	}
	return r, nil
}

// ForgetQuestions blanks the customer's questions kept with the bot's
// turns in a conversation whose content retention or erasure removed; the
// turns' outcomes stay for the deflection figures.
func (b *Bot) ForgetQuestions(ctx context.Context, convID int64) error {
	if _, err := b.o.DB.Q(ctx).ExecContext(ctx, `UPDATE bot_turns SET question = '' WHERE conversation_id = $1`, convID); err != nil {
		return fmt.Errorf("bot: forget questions: %w", err)
	}
	return nil
}
