package sla

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"vigil/internal/apperr"
	"vigil/internal/audit"
	"vigil/internal/db"
)

// Service stores policies and calendars and answers which policy applies.
// Policies are read on every new conversation, so the service keeps them
// in memory; its own writes refresh the copy at once and other instances
// pick changes up within Refresh.
type Service struct {
	db    *db.DB
	audit *audit.Log
	now   func() time.Time
	vocab Vocabulary

	mu       sync.Mutex // guards cache and loadedAt
	cache    []Policy   // enabled and disabled, in position order, calendars resolved
	loadedAt time.Time
}

// Refresh is how old the in-memory copy of the policies may get.
const Refresh = 30 * time.Second

// New returns the service.
func New(d *db.DB, a *audit.Log, now func() time.Time, v Vocabulary) *Service {
	return &Service{db: d, audit: a, now: now, vocab: v}
}

// Policies returns every policy in position order.
func (s *Service) Policies(ctx context.Context) ([]Policy, error) {
	s.mu.Lock()
	fresh := s.cache != nil && s.now().Sub(s.loadedAt) < Refresh
	ps := s.cache
	s.mu.Unlock()
	if fresh {
		return ps, nil
	}
	ps, err := s.load(ctx)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.cache, s.loadedAt = ps, s.now()
	s.mu.Unlock()
	return ps, nil
}

// Match returns the policy for a conversation's facts.
func (s *Service) Match(ctx context.Context, f Facts) (Policy, bool, error) {
	ps, err := s.Policies(ctx)
	if err != nil {
		return Policy{}, false, err
	}
	p, ok := Match(ps, f)
	return p, ok, nil
}

// Policy returns one policy by id, calendar resolved.
func (s *Service) Policy(ctx context.Context, id int64) (Policy, error) {
	ps, err := s.Policies(ctx)
	if err != nil {
		return Policy{}, err
	}
	for _, p := range ps {
		if p.ID == id {
			return p, nil
		}
	}
	return Policy{}, apperr.NotFoundf("sla.policy_not_found", "SLA policy %d not found", id)
}

func (s *Service) invalidate() {
	s.mu.Lock()
	s.cache = nil
	s.mu.Unlock()
}

func (s *Service) load(ctx context.Context) ([]Policy, error) {
	cals, err := s.Calendars(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT id, name, position, enabled, conditions, first_response, next_response,
		resolution, business_hours, calendar_id, warn_before, on_breach FROM sla_policies ORDER BY position, id`)
	if err != nil {
		return nil, fmt.Errorf("sla: policies: %w", err)
	}
	defer rows.Close()
	out := []Policy{}
	for rows.Next() {
		var p Policy
		var conds, actions string
		var cal sql.NullInt64
		if err := rows.Scan(&p.ID, &p.Name, &p.Position, &p.Enabled, &conds, &p.Targets.FirstResponse, &p.Targets.NextResponse,
			&p.Targets.Resolution, &p.BusinessHours, &cal, &p.WarnBefore, &actions); err != nil {
			return nil, fmt.Errorf("sla: policies: %w", err)
		}
		if err := json.Unmarshal([]byte(conds), &p.Conditions); err != nil {
			return nil, fmt.Errorf("sla: policy %d conditions: %w", p.ID, err)
		}
		if err := json.Unmarshal([]byte(actions), &p.OnBreach); err != nil {
			return nil, fmt.Errorf("sla: policy %d actions: %w", p.ID, err)
		}
		p.CalendarID = cal.Int64
		p.Calendar = AlwaysOpen
		if p.BusinessHours {
			for _, c := range cals {
				if c.ID == p.CalendarID {
					p.Calendar = c
				}
			}
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// SavePolicy creates (ID 0) or replaces a policy.
func (s *Service) SavePolicy(ctx context.Context, p Policy) (Policy, error) {
	if err := p.Validate(s.vocab); err != nil {
		return Policy{}, err
	}
	conds, _ := json.Marshal(p.Conditions)
	if p.OnBreach == nil {
		p.OnBreach = []Action{}
	}
	actions, _ := json.Marshal(p.OnBreach)
	now := db.Millis(s.now())
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		q := s.db.Q(ctx)
		var err error
		action := "sla.policy_update"
		if p.ID == 0 {
			action = "sla.policy_create"
			err = q.QueryRowContext(ctx, `INSERT INTO sla_policies (name, position, enabled, conditions, first_response, next_response,
				resolution, business_hours, calendar_id, warn_before, on_breach, created_at, updated_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) RETURNING id`,
				p.Name, p.Position, p.Enabled, string(conds), p.Targets.FirstResponse, p.Targets.NextResponse, p.Targets.Resolution,
				p.BusinessHours, db.NullID(p.CalendarID), p.WarnBefore, string(actions), now).Scan(&p.ID)
		} else {
			var res sql.Result
			res, err = q.ExecContext(ctx, `UPDATE sla_policies SET name = $1, position = $2, enabled = $3, conditions = $4,
				first_response = $5, next_response = $6, resolution = $7, business_hours = $8, calendar_id = $9, warn_before = $10,
				on_breach = $11, updated_at = $12 WHERE id = $13`,
				p.Name, p.Position, p.Enabled, string(conds), p.Targets.FirstResponse, p.Targets.NextResponse, p.Targets.Resolution,
				p.BusinessHours, db.NullID(p.CalendarID), p.WarnBefore, string(actions), now, p.ID)
			if err == nil {
				if n, _ := res.RowsAffected(); n == 0 {
					return apperr.NotFoundf("sla.policy_not_found", "SLA policy %d not found", p.ID)
				}
			}
		}
		switch {
		case db.IsUniqueViolation(err):
			return apperr.Conflictf("sla.name_taken", "a policy named %q exists", p.Name)
		case db.IsForeignKeyViolation(err):
			return apperr.Field("calendar_id", "sla.calendar_not_found", "calendar %d does not exist", p.CalendarID)
		case err != nil:
			return fmt.Errorf("sla: save policy: %w", err)
		}
		return s.audit.Record(ctx, action, "sla_policy", p.ID, map[string]any{"name": p.Name, "targets": p.Targets,
			"conditions": p.Conditions, "business_hours": p.BusinessHours, "enabled": p.Enabled})
	})
	if err != nil {
		return Policy{}, err
	}
	s.invalidate()
	return s.Policy(ctx, p.ID)
}

// DeletePolicy removes a policy; conversations under it keep their
// history and stop running SLA clocks.
func (s *Service) DeletePolicy(ctx context.Context, id int64) error {
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		res, err := s.db.Q(ctx).ExecContext(ctx, `DELETE FROM sla_policies WHERE id = $1`, id)
		if err != nil {
			return fmt.Errorf("sla: delete policy: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return apperr.NotFoundf("sla.policy_not_found", "SLA policy %d not found", id)
		}
		return s.audit.Record(ctx, "sla.policy_delete", "sla_policy", id, nil)
	})
	s.invalidate()
	return err
}

// Calendars lists the business calendars.
func (s *Service) Calendars(ctx context.Context) ([]Calendar, error) {
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT id, name, tz, week, holidays FROM sla_calendars ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("sla: calendars: %w", err)
	}
	defer rows.Close()
	out := []Calendar{}
	for rows.Next() {
		var c Calendar
		var week, hol string
		if err := rows.Scan(&c.ID, &c.Name, &c.TZ, &week, &hol); err != nil {
			return nil, fmt.Errorf("sla: calendars: %w", err)
		}
		if err := errors.Join(json.Unmarshal([]byte(week), &c.Week), json.Unmarshal([]byte(hol), &c.Holidays)); err != nil {
			return nil, fmt.Errorf("sla: calendar %d: %w", c.ID, err)
		}
		if err := c.Validate(); err != nil {
			return nil, fmt.Errorf("sla: calendar %d: %w", c.ID, err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// SaveCalendar creates (ID 0) or replaces a calendar.
func (s *Service) SaveCalendar(ctx context.Context, c Calendar) (Calendar, error) {
	c.Name = strings.TrimSpace(c.Name)
	if c.Name == "" || utf8.RuneCountInString(c.Name) > 100 {
		return Calendar{}, apperr.Field("name", "sla.name_invalid", "must be 1-100 characters")
	}
	if err := c.Validate(); err != nil {
		return Calendar{}, err
	}
	if c.Continuous() {
		return Calendar{}, apperr.Field("week", "sla.week_empty", "a business calendar needs working hours on at least one day")
	}
	if c.Holidays == nil {
		c.Holidays = []string{}
	}
	week, _ := json.Marshal(c.Week)
	hol, _ := json.Marshal(c.Holidays)
	now := db.Millis(s.now())
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		q := s.db.Q(ctx)
		var err error
		action := "sla.calendar_update"
		if c.ID == 0 {
			action = "sla.calendar_create"
			err = q.QueryRowContext(ctx, `INSERT INTO sla_calendars (name, tz, week, holidays, created_at, updated_at)
				VALUES ($1, $2, $3, $4, $5, $5) RETURNING id`, c.Name, c.TZ, string(week), string(hol), now).Scan(&c.ID)
		} else {
			var res sql.Result
			res, err = q.ExecContext(ctx, `UPDATE sla_calendars SET name = $1, tz = $2, week = $3, holidays = $4, updated_at = $5
				WHERE id = $6`, c.Name, c.TZ, string(week), string(hol), now, c.ID)
			if err == nil {
				if n, _ := res.RowsAffected(); n == 0 {
					return apperr.NotFoundf("sla.calendar_not_found", "calendar %d not found", c.ID)
				}
			}
		}
		if db.IsUniqueViolation(err) {
			return apperr.Conflictf("sla.name_taken", "a calendar named %q exists", c.Name)
		}
		if err != nil {
			return fmt.Errorf("sla: save calendar: %w", err)
		}
		return s.audit.Record(ctx, action, "sla_calendar", c.ID, map[string]any{"name": c.Name, "tz": c.TZ, "holidays": len(c.Holidays)})
	})
	if err != nil {
		return Calendar{}, err
	}
	s.invalidate()
	return c, nil
}
