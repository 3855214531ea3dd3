// Package compliance keeps legal holds and carries out what regulators and
// data-protection law ask of the desk: retention per kind of data, and a
// customer's export and erasure. Each domain package removes and exports
// its own rows; this package decides when, refuses what a legal hold
// forbids, and records each run in the audit log without personal data.
package compliance

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"vigil/internal/apperr"
	"vigil/internal/audit"
	"vigil/internal/customer"
	"vigil/internal/db"
	"vigil/internal/ticket"
)

// Retention is how long each kind of data is kept; zero keeps it for ever.
// Messages counts from a solved or closed conversation's last message;
// attachments, recordings and audit entries from when they were stored.
type Retention struct {
	Messages    time.Duration `json:"messages"`
	Attachments time.Duration `json:"attachments"`
	Recordings  time.Duration `json:"recordings"`
	Audit       time.Duration `json:"audit"`
}

// Recordings is what retention needs of stored call recordings: delete
// those made before cutoff, except the held customers'.
type Recordings interface {
	PurgeRecordings(ctx context.Context, cutoff time.Time, held []int64) (int64, error)
}

// Section is one more part of a customer's export, kept by another
// package (satisfaction surveys, for example).
type Section struct {
	Name   string // the file name in the archive, without .json
	Gather func(ctx context.Context, customerID int64, conversations []int64) (any, error)
}

// Options wire a Service.
type Options struct {
	DB        *db.DB
	Audit     *audit.Log
	Customers *customer.Service
	Tickets   *ticket.Service
	// Forget removes what other packages keep of one conversation's
	// content (raw emails, bot questions, survey comments); each runs in
	// the transaction that empties the conversation.
	Forget []func(ctx context.Context, convID int64) error
	// EndSessions signs the customer out of the widget when erased.
	EndSessions func(ctx context.Context, customerID int64) error
	Sections    []Section
	Recordings  Recordings // nil: no recordings are stored
	Retention   Retention
	Now         func() time.Time
	Log         *slog.Logger
}

// Service keeps legal holds and runs retention, export and erasure.
type Service struct {
	o Options
}

// New returns a Service.
func New(o Options) *Service { return &Service{o: o} }

// Policy returns the retention in force.
func (s *Service) Policy() Retention { return s.o.Retention }

// Hold is a legal hold on a customer.
type Hold struct {
	CustomerID int64     `json:"customer_id"`
	Reason     string    `json:"reason"`
	PlacedBy   int64     `json:"placed_by"`
	PlacedAt   time.Time `json:"placed_at"`
}

// MaxReason bounds a hold's reason, in characters.
const MaxReason = 500

// PlaceHold puts a customer (the record others were merged into, when
// merged) under legal hold; placing it again changes the reason.
func (s *Service) PlaceHold(ctx context.Context, customerID, agentID int64, reason string) (Hold, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" || utf8.RuneCountInString(reason) > MaxReason {
		return Hold{}, apperr.Field("reason", "hold.reason_invalid", "say why, in 1 to %d characters", MaxReason)
	}
	id, err := s.o.Customers.Canonical(ctx, customerID)
	if err != nil {
		return Hold{}, err
	}
	h := Hold{CustomerID: id, Reason: reason, PlacedBy: agentID, PlacedAt: s.o.Now().UTC().Truncate(time.Millisecond)}
	err = s.o.DB.WithTx(ctx, func(ctx context.Context) error {
		// An erasure of the same customer takes this lock too: the hold
		// waits for it or it sees the hold.
		if err := s.o.Customers.Lock(ctx, id); err != nil {
			return err
		}
		if _, err := s.o.DB.Q(ctx).ExecContext(ctx, `INSERT INTO legal_holds (customer_id, reason, placed_by, placed_at)
			VALUES ($1, $2, $3, $4) ON CONFLICT (customer_id) DO UPDATE SET reason = $2, placed_by = $3, placed_at = $4`,
			h.CustomerID, h.Reason, h.PlacedBy, db.Millis(h.PlacedAt)); err != nil {
			return fmt.Errorf("compliance: place hold: %w", err)
		}
		// The reason stays out of the audit entry: it may name people.
		return s.o.Audit.Record(ctx, "compliance.hold", "customer", id, nil)
	})
	return h, err
}

// LiftHold ends a customer's legal hold.
func (s *Service) LiftHold(ctx context.Context, customerID int64) error {
	id, err := s.o.Customers.Canonical(ctx, customerID)
	if err != nil {
		return err
	}
	return s.o.DB.WithTx(ctx, func(ctx context.Context) error {
		res, err := s.o.DB.Q(ctx).ExecContext(ctx, `DELETE FROM legal_holds WHERE customer_id = $1`, id)
		if err != nil {
			return fmt.Errorf("compliance: lift hold: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return apperr.NotFoundf("hold.not_found", "customer %d is not under legal hold", id)
		}
		return s.o.Audit.Record(ctx, "compliance.hold_lifted", "customer", id, nil)
	})
}

// HoldOf returns the customer's legal hold; NotFound when there is none.
func (s *Service) HoldOf(ctx context.Context, customerID int64) (Hold, error) {
	id, err := s.o.Customers.Canonical(ctx, customerID)
	if err != nil {
		return Hold{}, err
	}
	h, err := scanHold(s.o.DB.Q(ctx).QueryRowContext(ctx, `SELECT customer_id, reason, placed_by, placed_at FROM legal_holds
		WHERE customer_id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Hold{}, apperr.NotFoundf("hold.not_found", "customer %d is not under legal hold", id)
	}
	return h, err
}

// Holds lists every legal hold, newest first.
func (s *Service) Holds(ctx context.Context) ([]Hold, error) {
	rows, err := s.o.DB.Q(ctx).QueryContext(ctx, `SELECT customer_id, reason, placed_by, placed_at FROM legal_holds ORDER BY placed_at DESC, customer_id`)
	if err != nil {
		return nil, fmt.Errorf("compliance: holds: %w", err)
	}
	defer rows.Close()
	out := []Hold{}
	for rows.Next() {
		h, err := scanHold(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

func (s *Service) heldIDs(ctx context.Context) ([]int64, error) {
	hs, err := s.Holds(ctx)
	ids := make([]int64, len(hs))
	for i, h := range hs {
		ids[i] = h.CustomerID
	}
	return ids, err
}

func scanHold(row interface{ Scan(...any) error }) (Hold, error) {
	var h Hold
	var at int64
	if err := row.Scan(&h.CustomerID, &h.Reason, &h.PlacedBy, &at); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return Hold{}, err
		}
		return Hold{}, fmt.Errorf("compliance: hold: %w", err)
	}
	h.PlacedAt = db.Time(at)
	return h, nil
}

// refuseHeld answers Conflict when the customer is under legal hold, and
// NotFound when there is no such customer.
func (s *Service) refuseHeld(ctx context.Context, customerID int64) error {
	_, err := s.HoldOf(ctx, customerID)
	if err == nil {
		return apperr.Conflictf("hold.active", "customer %d is under legal hold; lift the hold first", customerID)
	}
	if e, ok := apperr.As(err); ok && e.Code == "hold.not_found" {
		return nil
	}
	return err
}

// empty removes the content of conversations in one transaction: other
// packages' copies first, then the conversations' own.
func (s *Service) empty(ctx context.Context, ids []int64) (ticket.Redacted, error) {
	var out ticket.Redacted
	err := s.o.DB.WithTx(ctx, func(ctx context.Context) error {
		for _, id := range ids {
			for _, f := range s.o.Forget {
				if err := f(ctx, id); err != nil {
					return err
				}
			}
		}
		var err error
		out, err = s.o.Tickets.RedactConversations(ctx, ids)
		return err
	})
	return out, err
}
