// Package canned stores canned responses: replies agents insert in the
// console by typing "/" and a shortcut.
package canned

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"vigil/internal/apperr"
	"vigil/internal/audit"
	"vigil/internal/db"
)

// Response is one canned response. An empty Language fits every language.
type Response struct {
	ID        int64     `json:"id"`
	Shortcut  string    `json:"shortcut"`
	Title     string    `json:"title"`
	Body      string    `json:"body"`
	Language  string    `json:"language"`
	CreatedBy int64     `json:"created_by,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Input is a new or changed response.
type Input struct {
	Shortcut string `json:"shortcut"`
	Title    string `json:"title"`
	Body     string `json:"body"`
	Language string `json:"language"`
}

// Service reads and writes canned responses.
type Service struct {
	db    *db.DB
	audit *audit.Log
	now   func() time.Time
}

// New returns the service.
func New(d *db.DB, a *audit.Log, now func() time.Time) *Service {
	return &Service{db: d, audit: a, now: now}
}

var shortcutRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,31}$`)

func (in *Input) validate() error {
	in.Shortcut = strings.ToLower(strings.TrimSpace(in.Shortcut))
	in.Title = strings.TrimSpace(in.Title)
	in.Body = strings.TrimSpace(in.Body)
	switch {
	case !shortcutRE.MatchString(in.Shortcut):
		return apperr.Field("shortcut", "canned.shortcut_invalid", "use 1-32 lowercase letters, digits, - or _")
	case in.Title == "" || utf8.RuneCountInString(in.Title) > 100:
		return apperr.Field("title", "canned.title_invalid", "must be 1-100 characters")
	case in.Body == "" || utf8.RuneCountInString(in.Body) > 5000:
		return apperr.Field("body", "canned.body_invalid", "must be 1-5000 characters")
	case in.Language != "" && in.Language != "en" && in.Language != "zh":
		return apperr.Field("language", "canned.language_invalid", `must be "en", "zh" or empty for every language`)
	}
	return nil
}

const columns = `id, shortcut, title, body, language, created_by, created_at, updated_at`

func scan(row interface{ Scan(...any) error }) (Response, error) {
	var r Response
	var by sql.NullInt64
	var created, updated int64
	err := row.Scan(&r.ID, &r.Shortcut, &r.Title, &r.Body, &r.Language, &by, &created, &updated)
	r.CreatedBy, r.CreatedAt, r.UpdatedAt = by.Int64, db.Time(created), db.Time(updated)
	return r, err
}

// List returns the responses for a language (plus those for every
// language), by shortcut; an empty lang lists all.
func (s *Service) List(ctx context.Context, lang string) ([]Response, error) {
	q := `SELECT ` + columns + ` FROM canned_responses`
	var args []any
	if lang != "" {
		q += ` WHERE language = $1 OR language = ''`
		args = append(args, lang)
	}
	rows, err := s.db.Q(ctx).QueryContext(ctx, q+` ORDER BY shortcut, language DESC LIMIT 1000`, args...)
	if err != nil {
		return nil, fmt.Errorf("canned: list: %w", err)
	}
	defer rows.Close()
	out := []Response{}
	for rows.Next() {
		r, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("canned: list: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Create adds a response; the shortcut is unique per language.
func (s *Service) Create(ctx context.Context, agentID int64, in Input) (Response, error) {
	if err := in.validate(); err != nil {
		return Response{}, err
	}
	now := db.Millis(s.now())
	var out Response
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		var by any
		if agentID != 0 {
			by = agentID
		}
		r, err := scan(s.db.Q(ctx).QueryRowContext(ctx, `INSERT INTO canned_responses (shortcut, title, body, language, created_by, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING `+columns, in.Shortcut, in.Title, in.Body, in.Language, by, now))
		if db.IsUniqueViolation(err) {
			return apperr.Conflictf("canned.shortcut_taken", "/%s already exists for this language", in.Shortcut)
		}
		if err != nil {
			return fmt.Errorf("canned: create: %w", err)
		}
		out = r
		return s.audit.Record(ctx, "canned.create", "canned_response", r.ID, map[string]any{"shortcut": r.Shortcut, "language": r.Language})
	})
	return out, err
}

// Update replaces a response's fields.
func (s *Service) Update(ctx context.Context, id int64, in Input) (Response, error) {
	if err := in.validate(); err != nil {
		return Response{}, err
	}
	var out Response
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		r, err := scan(s.db.Q(ctx).QueryRowContext(ctx, `UPDATE canned_responses SET shortcut = $1, title = $2, body = $3, language = $4, updated_at = $5
			WHERE id = $6 RETURNING `+columns, in.Shortcut, in.Title, in.Body, in.Language, db.Millis(s.now()), id))
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return apperr.NotFoundf("canned.not_found", "canned response %d not found", id)
		case db.IsUniqueViolation(err):
			return apperr.Conflictf("canned.shortcut_taken", "/%s already exists for this language", in.Shortcut)
		case err != nil:
			return fmt.Errorf("canned: update: %w", err)
		}
		out = r
		return s.audit.Record(ctx, "canned.update", "canned_response", id, map[string]any{"shortcut": r.Shortcut, "language": r.Language})
	})
	return out, err
}

// Delete removes a response.
func (s *Service) Delete(ctx context.Context, id int64) error {
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		res, err := s.db.Q(ctx).ExecContext(ctx, `DELETE FROM canned_responses WHERE id = $1`, id)
		if err != nil {
			return fmt.Errorf("canned: delete: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return apperr.NotFoundf("canned.not_found", "canned response %d not found", id)
		}
		return s.audit.Record(ctx, "canned.delete", "canned_response", id, nil)
	})
}
