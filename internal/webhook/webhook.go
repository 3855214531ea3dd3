// Package webhook sends every domain event to the endpoints an
// administrator registered: each delivery is a durable job with retries,
// signed with HMAC-SHA256 over the timestamp and the body, and every
// attempt is kept in a delivery log.
package webhook

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"vigil/internal/apperr"
	"vigil/internal/audit"
	"vigil/internal/db"
	"vigil/internal/event"
	"vigil/internal/job"
)

// Outbox writes durable jobs (job.Queue).
type Outbox interface {
	Enqueue(ctx context.Context, s job.Spec) (bool, error)
}

// Options wire a Service.
type Options struct {
	DB     *db.DB
	Audit  *audit.Log
	Outbox Outbox
	Client *http.Client // nil: a client with a 10 s timeout
	Log    *slog.Logger
	Now    func() time.Time
}

// Service keeps webhooks and delivers events to them.
type Service struct {
	o Options
	// endpoints is the webhooks table as Enqueue consults it on every event.
	endpoints db.Snapshot[[]Hook]
}

// New returns a Service.
func New(o Options) *Service {
	if o.Client == nil {
		o.Client = &http.Client{Timeout: 10 * time.Second,
			// A redirect could carry the signed body somewhere else.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return &Service{o: o, endpoints: db.Snapshot[[]Hook]{TTL: snapshotTTL}}
}

// snapshotTTL bounds how long another instance's new or deleted endpoint
// goes unseen by this one's Enqueue.
const snapshotTTL = 2 * time.Second

// Hook is one registered endpoint. Secret is shown once, when created.
type Hook struct {
	ID        int64     `json:"id"`
	URL       string    `json:"url"`
	Events    []string  `json:"events"`
	Enabled   bool      `json:"enabled"`
	Secret    string    `json:"secret,omitempty"`
	CreatedBy int64     `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
}

// Input registers an endpoint; no events means every event type.
type Input struct {
	URL    string   `json:"url"`
	Events []string `json:"events"`
}

// Types are the event types a webhook may receive: every registered
// domain event, so a new one can be subscribed to as soon as it exists.
// Live signals (typing, read receipts, viewers, open consoles) are not
// sent.
var Types = slices.DeleteFunc(event.Types(), func(t string) bool { return strings.HasPrefix(t, "live.") })

func (in *Input) validate() error {
	in.URL = strings.TrimSpace(in.URL)
	u, err := url.Parse(in.URL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(in.URL) > 2000 || u.User != nil {
		return apperr.Field("url", "webhook.url_invalid", "use an http or https address without credentials")
	}
	for _, t := range in.Events {
		if !slices.Contains(Types, t) {
			return apperr.Field("events", "webhook.event_invalid", "unknown event type %q; use one of %v", t, Types)
		}
	}
	if in.Events == nil {
		in.Events = []string{}
	}
	return nil
}

// Create registers an endpoint with a new random secret, returned once.
func (s *Service) Create(ctx context.Context, agentID int64, in Input) (Hook, error) {
	if err := in.validate(); err != nil {
		return Hook{}, err
	}
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	h := Hook{URL: in.URL, Events: in.Events, Enabled: true, Secret: "whsec_" + hex.EncodeToString(b), CreatedBy: agentID,
		CreatedAt: s.o.Now().UTC().Truncate(time.Millisecond)}
	events, _ := json.Marshal(in.Events)
	err := s.o.DB.WithTx(ctx, func(ctx context.Context) error {
		if err := s.o.DB.Q(ctx).QueryRowContext(ctx, `INSERT INTO webhooks (url, secret, events, enabled, created_by, created_at)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, h.URL, h.Secret, string(events), true, agentID, db.Millis(h.CreatedAt)).Scan(&h.ID); err != nil {
			return fmt.Errorf("webhook: create: %w", err)
		}
		db.AfterCommit(ctx, s.endpoints.Invalidate)
		return s.o.Audit.Record(ctx, "webhook.create", "webhook", h.ID, map[string]any{"url": h.URL, "events": h.Events})
	})
	return h, err
}

const columns = `id, url, secret, events, enabled, created_by, created_at`

func scan(row interface{ Scan(...any) error }) (Hook, error) {
	var h Hook
	var events string
	var created int64
	if err := row.Scan(&h.ID, &h.URL, &h.Secret, &events, &h.Enabled, &h.CreatedBy, &created); err != nil {
		return Hook{}, err
	}
	_ = json.Unmarshal([]byte(events), &h.Events)
	h.CreatedAt = db.Time(created)
	return h, nil
}

// List returns the endpoints, secrets withheld.
func (s *Service) List(ctx context.Context) ([]Hook, error) {
	hooks, err := s.hooks(ctx)
	for i := range hooks {
		hooks[i].Secret = ""
	}
	return hooks, err
}

func (s *Service) hooks(ctx context.Context) ([]Hook, error) {
	rows, err := s.o.DB.Q(ctx).QueryContext(ctx, `SELECT `+columns+` FROM webhooks ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("webhook: list: %w", err)
	}
	defer rows.Close()
	out := []Hook{}
	for rows.Next() {
		h, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("webhook: list: %w", err)
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

func (s *Service) hook(ctx context.Context, id int64) (Hook, error) {
	h, err := scan(s.o.DB.Q(ctx).QueryRowContext(ctx, `SELECT `+columns+` FROM webhooks WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Hook{}, apperr.NotFoundf("webhook.not_found", "webhook %d not found", id)
	}
	if err != nil {
		return Hook{}, fmt.Errorf("webhook: load: %w", err)
	}
	return h, nil
}

// Delete removes an endpoint and its log; queued deliveries to it end.
func (s *Service) Delete(ctx context.Context, id int64) error {
	return s.o.DB.WithTx(ctx, func(ctx context.Context) error {
		if _, err := s.hook(ctx, id); err != nil {
			return err
		}
		if _, err := s.o.DB.Q(ctx).ExecContext(ctx, `DELETE FROM webhooks WHERE id = $1`, id); err != nil {
			return fmt.Errorf("webhook: delete: %w", err)
		}
		db.AfterCommit(ctx, s.endpoints.Invalidate)
		return s.o.Audit.Record(ctx, "webhook.delete", "webhook", id, nil)
	})
}

// Delivery is one attempt in the log.
type Delivery struct {
	ID         int64     `json:"id"`
	EventType  string    `json:"event_type"`
	Key        string    `json:"key"`
	Attempt    int       `json:"attempt"`
	StatusCode int       `json:"status_code"`
	Error      string    `json:"error,omitempty"`
	DurationMS int64     `json:"duration_ms"`
	At         time.Time `json:"at"`
}

// Deliveries returns an endpoint's latest attempts, newest first.
func (s *Service) Deliveries(ctx context.Context, id int64, limit int) ([]Delivery, error) {
	if _, err := s.hook(ctx, id); err != nil {
		return nil, err
	}
	rows, err := s.o.DB.Q(ctx).QueryContext(ctx, `SELECT id, event_type, job_key, attempt, status_code, error, duration_ms, created_at
		FROM webhook_deliveries WHERE webhook_id = $1 ORDER BY id DESC LIMIT $2`, id, limit)
	if err != nil {
		return nil, fmt.Errorf("webhook: deliveries: %w", err)
	}
	defer rows.Close()
	out := []Delivery{}
	for rows.Next() {
		var d Delivery
		var at int64
		if err := rows.Scan(&d.ID, &d.EventType, &d.Key, &d.Attempt, &d.StatusCode, &d.Error, &d.DurationMS, &at); err != nil {
			return nil, fmt.Errorf("webhook: deliveries: %w", err)
		}
		d.At = db.Time(at)
		out = append(out, d)
	}
	return out, rows.Err()
}
