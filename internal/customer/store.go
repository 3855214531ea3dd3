package customer

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"vigil/internal/apperr"
	"vigil/internal/db"
)

const columns = `id, uid, name, email, phone, language, vip_tier, kyc_level, account_manager_id, merged_into, created_at, updated_at, anti_phishing_code`

func scan(row interface{ Scan(...any) error }) (Customer, error) {
	var c Customer
	var uid sql.NullString
	var merged, manager sql.NullInt64
	var created, updated int64
	err := row.Scan(&c.ID, &uid, &c.Name, &c.Email, &c.Phone, &c.Language, &c.VIPTier, &c.KYCLevel, &manager, &merged, &created, &updated, &c.AntiPhishingCode)
	c.UID, c.MergedInto, c.AccountManagerID = uid.String, merged.Int64, manager.Int64
	c.CreatedAt, c.UpdatedAt = db.Time(created), db.Time(updated)
	c.Identities = []Identity{}
	return c, err
}

// ByID returns one customer with identities.
func (s *Service) ByID(ctx context.Context, id int64) (Customer, error) {
	c, err := scan(s.db.Q(ctx).QueryRowContext(ctx, `SELECT `+columns+` FROM customers WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Customer{}, apperr.NotFoundf("customer.not_found", "customer %d not found", id)
	}
	if err != nil {
		return Customer{}, fmt.Errorf("customer: load: %w", err)
	}
	list := []Customer{c}
	if err := s.loadIdentities(ctx, list); err != nil {
		return Customer{}, err
	}
	return list[0], nil
}

// Canonical returns the id that stands for a customer: its own, or the
// customer it was merged into. NotFound when there is no such customer.
func (s *Service) Canonical(ctx context.Context, id int64) (int64, error) {
	var merged sql.NullInt64
	err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT merged_into FROM customers WHERE id = $1`, id).Scan(&merged)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, apperr.NotFoundf("customer.not_found", "customer %d not found", id)
	}
	if err != nil {
		return 0, fmt.Errorf("customer: canonical: %w", err)
	}
	if merged.Valid {
		return merged.Int64, nil
	}
	return id, nil
}

// Lock takes the customer's row lock for the rest of the transaction on
// PostgreSQL, so decisions about a customer (a legal hold, an erasure)
// happen one after the other; SQLite already runs one write transaction at
// a time. It must run inside a transaction.
func (s *Service) Lock(ctx context.Context, id int64) error {
	if s.db.Dialect != db.Postgres {
		return nil
	}
	var locked int64
	err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT id FROM customers WHERE id = $1 FOR UPDATE`, id).Scan(&locked)
	if errors.Is(err, sql.ErrNoRows) {
		return apperr.NotFoundf("customer.not_found", "customer %d not found", id)
	}
	if err != nil {
		return fmt.Errorf("customer: lock: %w", err)
	}
	return nil
}

// ByUID returns the customer with this exchange UID.
func (s *Service) ByUID(ctx context.Context, uid string) (Customer, error) {
	var id int64
	err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT id FROM customers WHERE uid = $1`, uid).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return Customer{}, apperr.NotFoundf("customer.not_found", "no customer with this UID")
	}
	if err != nil {
		return Customer{}, fmt.Errorf("customer: by uid: %w", err)
	}
	return s.ByID(ctx, id)
}

// ListFilter narrows a customer listing. Results are newest first, paged by
// the id cursor.
type ListFilter struct {
	Query   string // exact UID, email, phone, or a name prefix
	VIPMin  int
	Before  int64
	Limit   int
	OnlyIDs []int64 // when not nil, restrict to these ids (visibility)
}

// List returns customers matching f.
func (s *Service) List(ctx context.Context, f ListFilter) ([]Customer, error) {
	if f.Limit <= 0 || f.Limit > 100 {
		f.Limit = 50
	}
	if f.OnlyIDs != nil && len(f.OnlyIDs) == 0 {
		return []Customer{}, nil
	}
	where := []string{"merged_into IS NULL"}
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		if len(q) > 200 {
			return nil, apperr.Field("q", "customer.query_too_long", "must be at most 200 characters")
		}
		// LOWER on both sides: PostgreSQL's LIKE is case-sensitive, SQLite's is not.
		where = append(where, fmt.Sprintf("(uid = %s OR email = %s OR phone = %s OR LOWER(name) LIKE %s ESCAPE '\\')",
			arg(q), arg(strings.ToLower(q)), arg(q), arg(escapeLike(strings.ToLower(q))+"%")))
	}
	if f.VIPMin > 0 {
		where = append(where, "vip_tier >= "+arg(f.VIPMin))
	}
	if f.Before > 0 {
		where = append(where, "id < "+arg(f.Before))
	}
	if f.OnlyIDs != nil {
		ph := make([]string, len(f.OnlyIDs))
		for i, id := range f.OnlyIDs {
			ph[i] = arg(id)
		}
		where = append(where, "id IN ("+strings.Join(ph, ", ")+")")
	}
	query := `SELECT ` + columns + ` FROM customers WHERE ` + strings.Join(where, " AND ") + ` ORDER BY id DESC LIMIT ` + arg(f.Limit)
	rows, err := s.db.Q(ctx).QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("customer: list: %w", err)
	}
	defer rows.Close()
	out := []Customer{}
	for rows.Next() {
		c, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("customer: list: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("customer: list: %w", err)
	}
	return out, s.loadIdentities(ctx, out)
}

func (s *Service) loadIdentities(ctx context.Context, cs []Customer) error {
	if len(cs) == 0 {
		return nil
	}
	idx := make(map[int64]int, len(cs))
	ph := make([]string, len(cs))
	args := make([]any, len(cs))
	for i, c := range cs {
		idx[c.ID] = i
		ph[i] = fmt.Sprintf("$%d", i+1)
		args[i] = c.ID
	}
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT customer_id, channel, external_id FROM customer_identities
		WHERE customer_id IN (`+strings.Join(ph, ", ")+`) ORDER BY id`, args...)
	if err != nil {
		return fmt.Errorf("customer: identities: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var cid int64
		var ident Identity
		if err := rows.Scan(&cid, &ident.Channel, &ident.ExternalID); err != nil {
			return err
		}
		cs[idx[cid]].Identities = append(cs[idx[cid]].Identities, ident)
	}
	return rows.Err()
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// Managers returns the dedicated account manager of each of the given
// customers that has one.
func (s *Service) Managers(ctx context.Context, ids []int64) (map[int64]int64, error) {
	out := map[int64]int64{}
	if len(ids) == 0 {
		return out, nil
	}
	ph := make([]string, len(ids))
	args := make([]any, len(ids))
	for i, id := range ids {
		ph[i] = fmt.Sprintf("$%d", i+1)
		args[i] = id
	}
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT id, account_manager_id FROM customers
		WHERE account_manager_id IS NOT NULL AND id IN (`+strings.Join(ph, ", ")+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("customer: managers: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, mgr int64
		if err := rows.Scan(&id, &mgr); err != nil {
			return nil, fmt.Errorf("customer: managers: %w", err)
		}
		out[id] = mgr
	}
	return out, rows.Err()
}

// VIPTiers returns the tier of every customer above tier 0; the others,
// nearly all, are tier 0.
func (s *Service) VIPTiers(ctx context.Context) (map[int64]int, error) {
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT id, vip_tier FROM customers WHERE vip_tier > 0`)
	if err != nil {
		return nil, fmt.Errorf("customer: vip tiers: %w", err)
	}
	defer rows.Close()
	out := map[int64]int{}
	for rows.Next() {
		var id int64
		var tier int
		if err := rows.Scan(&id, &tier); err != nil {
			return nil, fmt.Errorf("customer: vip tiers: %w", err)
		}
		out[id] = tier
	}
	return out, rows.Err()
}
