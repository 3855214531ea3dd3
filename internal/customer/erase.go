package customer

import (
	"context"
	"fmt"
	"time"

	"vigil/internal/db"
)

// Profile is what the desk holds about a customer for a data-subject
// export: the customer as stored (the anti-phishing code included, since
// it is the customer's own) and any records merged into it.
type Profile struct {
	Customer
	AntiPhishingCode string     `json:"anti_phishing_code,omitempty"`
	ErasedAt         *time.Time `json:"erased_at,omitempty"`
	Merged           []Customer `json:"merged,omitempty"`
}

// Export returns the customer's profile with the records merged into it.
func (s *Service) Export(ctx context.Context, id int64) (Profile, error) {
	c, err := s.ByID(ctx, id)
	if err != nil {
		return Profile{}, err
	}
	p := Profile{Customer: c, AntiPhishingCode: c.AntiPhishingCode, Merged: []Customer{}}
	var erased *int64
	if err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT erased_at FROM customers WHERE id = $1`, id).Scan(&erased); err != nil {
		return Profile{}, fmt.Errorf("customer: export: %w", err)
	}
	if erased != nil {
		t := db.Time(*erased)
		p.ErasedAt = &t
	}
	sources, err := s.mergedInto(ctx, id)
	if err != nil {
		return Profile{}, err
	}
	for _, sid := range sources {
		m, err := s.ByID(ctx, sid)
		if err != nil {
			return Profile{}, err
		}
		p.Merged = append(p.Merged, m)
	}
	return p, nil
}

func (s *Service) mergedInto(ctx context.Context, id int64) ([]int64, error) {
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT id FROM customers WHERE merged_into = $1 ORDER BY id`, id)
	if err != nil {
		return nil, fmt.Errorf("customer: merged: %w", err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("customer: merged: %w", err)
		}
		ids = append(ids, v)
	}
	return ids, rows.Err()
}

// Erase anonymises the customer and the records merged into it: exchange
// UID, name, email, phone and anti-phishing code are blanked, channel
// identities deleted and the time of erasure stamped. The row stays, so
// conversations and audit entries that name the customer by id keep
// their references while the id no longer leads to a person. It joins
// the transaction in ctx.
func (s *Service) Erase(ctx context.Context, id int64) error {
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		if _, err := s.ByID(ctx, id); err != nil {
			return err
		}
		sources, err := s.mergedInto(ctx, id)
		if err != nil {
			return err
		}
		now := db.Millis(s.now())
		q := s.db.Q(ctx)
		for _, cid := range append([]int64{id}, sources...) {
			if _, err := q.ExecContext(ctx, `DELETE FROM customer_identities WHERE customer_id = $1`, cid); err != nil {
				return fmt.Errorf("customer: erase identities: %w", err)
			}
			if _, err := q.ExecContext(ctx, `UPDATE customers SET uid = NULL, name = '', email = '', phone = '', anti_phishing_code = '',
				account_manager_id = NULL, erased_at = $1, updated_at = $1 WHERE id = $2`, now, cid); err != nil {
				return fmt.Errorf("customer: erase: %w", err)
			}
		}
		return s.audit.Record(ctx, "customer.erase", "customer", id, map[string]any{"merged_records": len(sources)})
	})
}
