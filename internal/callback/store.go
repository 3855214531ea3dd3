package callback

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"vigil/internal/apperr"
	"vigil/internal/db"
)

const cbColumns = `id, conversation_id, customer_id, reason, phone, language, window_start, window_end, state,
	agent_id, staff_id, call_at, notified_at, attempts, created_at, updated_at`

func scanCallback(row interface{ Scan(...any) error }) (Callback, error) {
	var cb Callback
	var start, end, created, updated int64
	var agentID, callAt, notified sql.NullInt64
	err := row.Scan(&cb.ID, &cb.ConversationID, &cb.CustomerID, &cb.Reason, &cb.phone, &cb.Language, &start, &end, &cb.State,
		&agentID, &cb.StaffID, &callAt, &notified, &cb.Attempts, &created, &updated)
	cb.WindowStart, cb.WindowEnd, cb.CreatedAt, cb.UpdatedAt = db.Time(start), db.Time(end), db.Time(created), db.Time(updated)
	cb.AgentID, cb.CallAt, cb.NotifiedAt = agentID.Int64, db.NullTime(callAt), db.NullTime(notified)
	return cb, err
}

func (s *Service) insert(ctx context.Context, cb *Callback) error {
	err := s.db.Q(ctx).QueryRowContext(ctx, `INSERT INTO callbacks
		(conversation_id, customer_id, reason, phone, language, window_start, window_end, state, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id`,
		cb.ConversationID, cb.CustomerID, cb.Reason, cb.phone, cb.Language, db.Millis(cb.WindowStart), db.Millis(cb.WindowEnd),
		string(cb.State), db.Millis(cb.CreatedAt)).Scan(&cb.ID)
	return wrap("insert", err)
}

// save writes the notice fields of a scheduled callback.
func (s *Service) save(ctx context.Context, cb Callback) error {
	_, err := s.db.Q(ctx).ExecContext(ctx, `UPDATE callbacks SET state = $1, agent_id = $2, staff_id = $3, call_at = $4,
		notified_at = $5, updated_at = $6 WHERE id = $7`,
		string(cb.State), db.NullID(cb.AgentID), cb.StaffID, nullMillis(cb.CallAt), nullMillis(cb.NotifiedAt), db.Millis(cb.UpdatedAt), cb.ID)
	return wrap("save", err)
}

// moveState changes the state only from the expected one; false when
// another call changed it first. Entering Calling counts an attempt.
func (s *Service) moveState(ctx context.Context, id int64, from, to State, now time.Time) (bool, error) {
	attempt := 0
	if to == Calling {
		attempt = 1
	}
	res, err := s.db.Q(ctx).ExecContext(ctx, `UPDATE callbacks SET state = $1, attempts = attempts + $2, updated_at = $3
		WHERE id = $4 AND state = $5`, string(to), attempt, db.Millis(now), id, string(from))
	if err != nil {
		return false, wrap("move state", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

func (s *Service) byID(ctx context.Context, id int64) (Callback, error) {
	cb, err := scanCallback(s.db.Q(ctx).QueryRowContext(ctx, `SELECT `+cbColumns+` FROM callbacks WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Callback{}, errNotFound(id)
	}
	return cb, wrap("load", err)
}

func (s *Service) byConversation(ctx context.Context, convID int64) (Callback, error) {
	cb, err := scanCallback(s.db.Q(ctx).QueryRowContext(ctx, `SELECT `+cbColumns+` FROM callbacks WHERE conversation_id = $1`, convID))
	if errors.Is(err, sql.ErrNoRows) {
		return Callback{}, apperr.NotFoundf("callback.not_found", "conversation %d has no callback", convID)
	}
	return cb, wrap("load by conversation", err)
}

// openFor is the customer's open callback, if any.
func (s *Service) openFor(ctx context.Context, customerID int64) (Callback, bool, error) {
	cb, err := scanCallback(s.db.Q(ctx).QueryRowContext(ctx, `SELECT `+cbColumns+` FROM callbacks
		WHERE customer_id = $1 AND state <> $2 ORDER BY id DESC LIMIT 1`, customerID, string(Done)))
	if errors.Is(err, sql.ErrNoRows) {
		return Callback{}, false, nil
	}
	return cb, err == nil, wrap("open callback", err)
}

func (s *Service) openCount(ctx context.Context, customerID int64) (int, error) {
	var n int
	err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT COUNT(*) FROM callbacks WHERE customer_id = $1 AND state <> $2`,
		customerID, string(Done)).Scan(&n)
	return n, wrap("count open", err)
}

// list reads callbacks newest first, before an id (0: from the newest).
func (s *Service) list(ctx context.Context, states []State, before int64, limit int) ([]Callback, error) {
	q := `SELECT ` + cbColumns + ` FROM callbacks WHERE ($1 = 0 OR id < $1)`
	args := []any{before}
	if len(states) > 0 {
		marks := make([]string, len(states))
		for i, st := range states {
			args = append(args, string(st))
			marks[i] = fmt.Sprintf("$%d", len(args))
		}
		q += ` AND state IN (` + strings.Join(marks, ", ") + `)`
	}
	args = append(args, limit)
	q += fmt.Sprintf(` ORDER BY id DESC LIMIT $%d`, len(args))
	rows, err := s.db.Q(ctx).QueryContext(ctx, q, args...)
	if err != nil {
		return nil, wrap("list", err)
	}
	defer rows.Close()
	out := []Callback{}
	for rows.Next() {
		cb, err := scanCallback(rows)
		if err != nil {
			return nil, wrap("scan", err)
		}
		out = append(out, cb)
	}
	return out, wrap("list", rows.Err())
}

const callColumns = `id, callback_id, agent_id, via, outcome, sip_status, started_at, answered_at, ended_at, seconds,
	recording, recording_deleted_at`

func scanCall(row interface{ Scan(...any) error }) (Call, error) {
	var c Call
	var started int64
	var answered, ended, deleted sql.NullInt64
	err := row.Scan(&c.ID, &c.CallbackID, &c.AgentID, &c.Via, &c.Outcome, &c.SIPStatus, &started, &answered, &ended, &c.Seconds,
		&c.Recording, &deleted)
	c.StartedAt, c.AnsweredAt, c.EndedAt, c.RecordingAt = db.Time(started), db.NullTime(answered), db.NullTime(ended), db.NullTime(deleted)
	return c, err
}

func (s *Service) insertCall(ctx context.Context, c *Call) error {
	err := s.db.Q(ctx).QueryRowContext(ctx, `INSERT INTO callback_calls (callback_id, agent_id, via, started_at)
		VALUES ($1, $2, $3, $4) RETURNING id`, c.CallbackID, c.AgentID, c.Via, db.Millis(c.StartedAt)).Scan(&c.ID)
	return wrap("insert call", err)
}

func (s *Service) saveCall(ctx context.Context, c Call) error {
	_, err := s.db.Q(ctx).ExecContext(ctx, `UPDATE callback_calls SET outcome = $1, sip_status = $2, started_at = $3,
		answered_at = $4, ended_at = $5, seconds = $6, recording = $7 WHERE id = $8`,
		string(c.Outcome), c.SIPStatus, db.Millis(c.StartedAt), nullMillis(c.AnsweredAt), nullMillis(c.EndedAt), c.Seconds, c.Recording, c.ID)
	return wrap("save call", err)
}

func (s *Service) calls(ctx context.Context, callbackID int64) ([]Call, error) {
	return s.queryCalls(ctx, `SELECT `+callColumns+` FROM callback_calls WHERE callback_id = $1 ORDER BY id`, callbackID)
}

// expiredRecordings are calls ended before cutoff that still have a
// recording, leaving out the held customers' calls.
func (s *Service) expiredRecordings(ctx context.Context, cutoff time.Time, held []int64) ([]Call, error) {
	q := `SELECT ` + callColumns + ` FROM callback_calls WHERE recording <> '' AND ended_at < $1`
	args := []any{db.Millis(cutoff)}
	if len(held) > 0 {
		ph := make([]string, len(held))
		for i, id := range held {
			args = append(args, id)
			ph[i] = fmt.Sprintf("$%d", len(args))
		}
		q += ` AND callback_id NOT IN (SELECT id FROM callbacks WHERE customer_id IN (` + strings.Join(ph, ", ") + `))`
	}
	return s.queryCalls(ctx, q+` ORDER BY ended_at LIMIT 500`, args...)
}

func (s *Service) queryCalls(ctx context.Context, q string, args ...any) ([]Call, error) {
	rows, err := s.db.Q(ctx).QueryContext(ctx, q, args...)
	if err != nil {
		return nil, wrap("calls", err)
	}
	defer rows.Close()
	out := []Call{}
	for rows.Next() {
		c, err := scanCall(rows)
		if err != nil {
			return nil, wrap("scan call", err)
		}
		out = append(out, c)
	}
	return out, wrap("calls", rows.Err())
}

func (s *Service) clearRecording(ctx context.Context, callID int64, now time.Time) error {
	_, err := s.db.Q(ctx).ExecContext(ctx, `UPDATE callback_calls SET recording = '', recording_deleted_at = $1 WHERE id = $2`,
		db.Millis(now), callID)
	return wrap("clear recording", err)
}

func nullMillis(t *time.Time) sql.NullInt64 {
	if t == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: db.Millis(*t), Valid: true}
}

func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("callback: %s: %w", op, err)
}
