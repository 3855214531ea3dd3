package trust

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"vigil/internal/apperr"
	"vigil/internal/db"
)

// Verification is one recorded step up: who, when and how.
type Verification struct {
	ID             int64          `json:"id"`
	ConversationID int64          `json:"conversation_id"`
	CustomerID     int64          `json:"customer_id"`
	Level          Level          `json:"level"`
	Method         string         `json:"method"` // widget_signature, one_time_code, agent_checks
	ActorKind      string         `json:"actor_kind"`
	ActorID        int64          `json:"actor_id,omitempty"`
	Detail         map[string]any `json:"detail"`
	At             time.Time      `json:"at"`
}

type challenge struct {
	ID             int64
	ConversationID int64
	Hash           string
	Channel        string
	Destination    string
	Attempts       int
	State          string
	CreatedAt      time.Time
	ExpiresAt      time.Time
}

var errNone = errors.New("trust: none")

func isNotFound(err error) bool { return errors.Is(err, errNone) }

func (s *Screen) latestChallenge(ctx context.Context, convID int64) (challenge, error) {
	return latestChallenge(ctx, s.db, convID)
}

func latestChallenge(ctx context.Context, d *db.DB, convID int64) (challenge, error) {
	var c challenge
	var created, expires int64
	err := d.Q(ctx).QueryRowContext(ctx, `SELECT id, conversation_id, code_hash, channel, destination, attempts, state, created_at, expires_at
		FROM otp_challenges WHERE conversation_id = $1 AND state <> 'replaced' ORDER BY id DESC LIMIT 1`, convID).
		Scan(&c.ID, &c.ConversationID, &c.Hash, &c.Channel, &c.Destination, &c.Attempts, &c.State, &created, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return c, errNone
	}
	if err != nil {
		return c, fmt.Errorf("trust: challenge: %w", err)
	}
	c.CreatedAt, c.ExpiresAt = db.Time(created), db.Time(expires)
	return c, nil
}

func (s *Screen) setChallenge(ctx context.Context, id int64, state string, attempts int) error {
	_, err := s.db.Q(ctx).ExecContext(ctx, `UPDATE otp_challenges SET state = $1, attempts = $2 WHERE id = $3`, state, attempts, id)
	return wrap("update challenge", err)
}

func (s *Screen) insertVerification(ctx context.Context, v Verification) error {
	return insertVerification(ctx, s.db, v)
}

func insertVerification(ctx context.Context, d *db.DB, v Verification) error {
	b, err := json.Marshal(v.Detail)
	if err != nil {
		return fmt.Errorf("trust: encode detail: %w", err)
	}
	_, err = d.Q(ctx).ExecContext(ctx, `INSERT INTO verifications (conversation_id, customer_id, level, method, actor_kind, actor_id, detail, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, v.ConversationID, v.CustomerID, int(v.Level), v.Method, v.ActorKind, v.ActorID, string(b), db.Millis(v.At))
	return wrap("insert verification", err)
}

func (s *Service) verifications(ctx context.Context, convID int64) ([]Verification, error) {
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT id, conversation_id, customer_id, level, method, actor_kind, actor_id, detail, created_at
		FROM verifications WHERE conversation_id = $1 ORDER BY id`, convID)
	if err != nil {
		return nil, wrap("verifications", err)
	}
	defer rows.Close()
	out := []Verification{}
	for rows.Next() {
		var v Verification
		var level int
		var detail string
		var at int64
		if err := rows.Scan(&v.ID, &v.ConversationID, &v.CustomerID, &level, &v.Method, &v.ActorKind, &v.ActorID, &detail, &at); err != nil {
			return nil, wrap("verifications", err)
		}
		v.Level, v.At = Level(level), db.Time(at)
		if err := json.Unmarshal([]byte(detail), &v.Detail); err != nil {
			return nil, fmt.Errorf("trust: verification detail: %w", err)
		}
		out = append(out, v)
	}
	return out, wrap("verifications", rows.Err())
}

func (s *Service) insertChallenge(ctx context.Context, c challenge, customerID, requestedBy int64) error {
	q := s.db.Q(ctx)
	if _, err := q.ExecContext(ctx, `UPDATE otp_challenges SET state = 'replaced' WHERE conversation_id = $1 AND state = 'pending'`, c.ConversationID); err != nil {
		return wrap("replace challenge", err)
	}
	_, err := q.ExecContext(ctx, `INSERT INTO otp_challenges (conversation_id, customer_id, code_hash, channel, destination, attempts, state, requested_by, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, 0, 'pending', $6, $7, $8)`, c.ConversationID, customerID, c.Hash, c.Channel, c.Destination, requestedBy,
		db.Millis(c.CreatedAt), db.Millis(c.ExpiresAt))
	return wrap("insert challenge", err)
}

func (s *Service) codesSince(ctx context.Context, convID int64, since time.Time) (int, error) {
	var n int
	err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT COUNT(*) FROM otp_challenges WHERE conversation_id = $1 AND created_at >= $2`,
		convID, db.Millis(since)).Scan(&n)
	return n, wrap("count codes", err)
}

func (s *Service) insertReveal(ctx context.Context, convID, agentID int64, reason string, at, until time.Time) error {
	_, err := s.db.Q(ctx).ExecContext(ctx, `INSERT INTO reveals (conversation_id, agent_id, reason, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)`,
		convID, agentID, reason, db.Millis(at), db.Millis(until))
	return wrap("insert reveal", err)
}

func (s *Service) revealedUntil(ctx context.Context, convID, agentID int64) (time.Time, bool, error) {
	var until sql.NullInt64
	err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT MAX(expires_at) FROM reveals WHERE conversation_id = $1 AND agent_id = $2`,
		convID, agentID).Scan(&until)
	if err != nil {
		return time.Time{}, false, wrap("reveals", err)
	}
	if !until.Valid || until.Int64 <= db.Millis(s.now()) {
		return time.Time{}, false, nil
	}
	return db.Time(until.Int64), true, nil
}

func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	if _, ok := apperr.As(err); ok {
		return err
	}
	return fmt.Errorf("trust: %s: %w", op, err)
}
