package trust

import (
	"context"
	"database/sql"
	"errors"

	"time"
	"vigil/internal/apperr"
	"vigil/internal/db"
)

const freezeColumns = `id, customer_id, uid, conversation_id, source, state, reason, frozen_at, unfreeze_by, unfreeze_reason,
	unfreeze_asked, approved_by, approved_at, eligible_at, unfrozen_at`

func scanFreeze(row interface{ Scan(...any) error }) (Freeze, error) {
	var f Freeze
	var conv, by, approver, asked, approved, eligible, unfrozen sql.NullInt64
	var frozen int64
	err := row.Scan(&f.ID, &f.CustomerID, &f.UID, &conv, &f.Source, &f.State, &f.Reason, &frozen, &by, &f.UnfreezeReason,
		&asked, &approver, &approved, &eligible, &unfrozen)
	f.ConversationID, f.UnfreezeBy, f.ApprovedBy, f.FrozenAt = conv.Int64, by.Int64, approver.Int64, db.Time(frozen)
	f.UnfreezeAsked, f.ApprovedAt, f.EligibleAt, f.UnfrozenAt = optTime(asked), optTime(approved), optTime(eligible), optTime(unfrozen)
	return f, err
}

func optTime(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := db.Time(v.Int64)
	return &t
}

func optMillis(t *time.Time) any {
	if t == nil {
		return nil
	}
	return db.Millis(*t)
}

func optID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

func (s *Service) insertFreeze(ctx context.Context, f *Freeze) error {
	err := s.db.Q(ctx).QueryRowContext(ctx, `INSERT INTO freezes (customer_id, uid, conversation_id, source, state, reason, frozen_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, f.CustomerID, f.UID, f.ConversationID, f.Source, f.State, f.Reason,
		db.Millis(f.FrozenAt)).Scan(&f.ID)
	return wrap("insert freeze", err)
}

func (s *Service) setFreezeState(ctx context.Context, id int64, state string) error {
	_, err := s.db.Q(ctx).ExecContext(ctx, `UPDATE freezes SET state = $1 WHERE id = $2`, state, id)
	return wrap("freeze state", err)
}

func (s *Service) saveFreeze(ctx context.Context, f Freeze) error {
	_, err := s.db.Q(ctx).ExecContext(ctx, `UPDATE freezes SET state = $1, unfreeze_by = $2, unfreeze_reason = $3, unfreeze_asked = $4,
		approved_by = $5, approved_at = $6, eligible_at = $7, unfrozen_at = $8 WHERE id = $9`,
		f.State, optID(f.UnfreezeBy), f.UnfreezeReason, optMillis(f.UnfreezeAsked), optID(f.ApprovedBy), optMillis(f.ApprovedAt),
		optMillis(f.EligibleAt), optMillis(f.UnfrozenAt), f.ID)
	return wrap("save freeze", err)
}

func (s *Service) freezeByID(ctx context.Context, id int64) (Freeze, error) {
	f, err := scanFreeze(s.db.Q(ctx).QueryRowContext(ctx, `SELECT `+freezeColumns+` FROM freezes WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Freeze{}, apperr.NotFoundf("trust.freeze_not_found", "freeze %d not found", id)
	}
	return f, wrap("load freeze", err)
}

func (s *Service) listFreezes(ctx context.Context, customerID int64) ([]Freeze, error) {
	q := `SELECT ` + freezeColumns + ` FROM freezes`
	args := []any{}
	if customerID != 0 {
		q += ` WHERE customer_id = $1`
		args = append(args, customerID)
	}
	rows, err := s.db.Q(ctx).QueryContext(ctx, q+` ORDER BY id DESC LIMIT 200`, args...)
	if err != nil {
		return nil, wrap("list freezes", err)
	}
	defer rows.Close()
	out := []Freeze{}
	for rows.Next() {
		f, err := scanFreeze(rows)
		if err != nil {
			return nil, wrap("list freezes", err)
		}
		out = append(out, f)
	}
	return out, wrap("list freezes", rows.Err())
}

func (s *Service) pendingFreezes(ctx context.Context) ([]Freeze, error) {
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT `+freezeColumns+` FROM freezes WHERE state = 'pending_exchange' ORDER BY id LIMIT 100`)
	if err != nil {
		return nil, wrap("pending freezes", err)
	}
	defer rows.Close()
	out := []Freeze{}
	for rows.Next() {
		f, err := scanFreeze(rows)
		if err != nil {
			return nil, wrap("pending freezes", err)
		}
		out = append(out, f)
	}
	return out, wrap("pending freezes", rows.Err())
}
