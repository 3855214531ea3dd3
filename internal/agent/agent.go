// Package agent manages the people who answer customers: their roles,
// teams, skills, capacity and presence.
package agent

import (
	"context"
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"time"

	"vigil/internal/apperr"
	"vigil/internal/audit"
	"vigil/internal/db"
	"vigil/internal/event"
)

// Role decides what an agent may do; permissions live in the auth package.
type Role string

const (
	RoleAdmin      Role = "admin"
	RoleSupervisor Role = "supervisor"
	RoleAgent      Role = "agent"
)

// Status is an agent's presence.
type Status string

const (
	Online  Status = "online"
	Away    Status = "away"
	Offline Status = "offline"
)

// Agent is one person in the console.
type Agent struct {
	ID            int64     `json:"id"`
	Email         string    `json:"email"`
	Name          string    `json:"name"`
	Role          Role      `json:"role"`
	Teams         []int64   `json:"teams"`
	Languages     []string  `json:"languages"`
	Topics        []string  `json:"topics"`
	MaxConcurrent int       `json:"max_concurrent"`
	Status        Status    `json:"status"`
	Locale        string    `json:"locale"`
	Disabled      bool      `json:"disabled"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

// Team groups agents; conversations are routed to teams.
type Team struct {
	ID          int64     `json:"id"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	CreatedAt   time.Time `json:"created_at"`
}

// Service is the agent directory.
type Service struct {
	db    *db.DB
	audit *audit.Log
	bus   event.Bus
	now   func() time.Time
}

// New returns a Service.
func New(d *db.DB, a *audit.Log, bus event.Bus, now func() time.Time) *Service {
	return &Service{db: d, audit: a, bus: bus, now: now}
}

// Input holds the editable fields of an agent. Nil pointers mean "leave
// unchanged" on Update; Create requires Email, Name and Role.
type Input struct {
	Email         *string   `json:"email"`
	Name          *string   `json:"name"`
	Role          *Role     `json:"role"`
	Teams         *[]int64  `json:"teams"`
	Languages     *[]string `json:"languages"`
	Topics        *[]string `json:"topics"`
	MaxConcurrent *int      `json:"max_concurrent"`
	Locale        *string   `json:"locale"`
	Disabled      *bool     `json:"disabled"`
}

// Languages and topics an agent can be skilled in.
var (
	KnownLanguages = []string{"en", "zh"}
	KnownTopics    = []string{"deposit", "withdrawal", "kyc", "account_security", "2fa", "trading", "p2p", "futures", "fees", "other"}
)

func (in *Input) validate(creating bool) error {
	if creating {
		if in.Email == nil || in.Name == nil || in.Role == nil {
			return apperr.Invalidf("agent.required", "email, name and role are required")
		}
	}
	if in.Email != nil {
		e := strings.ToLower(strings.TrimSpace(*in.Email))
		if a, err := mail.ParseAddress(e); err != nil || a.Address != e || len(e) > 254 {
			return apperr.Field("email", "agent.email_invalid", "is not a valid email address")
		}
		*in.Email = e
	}
	if in.Name != nil {
		n := strings.TrimSpace(*in.Name)
		if n == "" || len(n) > 100 {
			return apperr.Field("name", "agent.name_invalid", "must be 1 to 100 characters")
		}
		*in.Name = n
	}
	if in.Role != nil && !slices.Contains([]Role{RoleAdmin, RoleSupervisor, RoleAgent}, *in.Role) {
		return apperr.Field("role", "agent.role_invalid", "must be admin, supervisor or agent")
	}
	if in.MaxConcurrent != nil && (*in.MaxConcurrent < 0 || *in.MaxConcurrent > 100) {
		return apperr.Field("max_concurrent", "agent.capacity_invalid", "must be between 0 and 100")
	}
	if in.Locale != nil && !slices.Contains(KnownLanguages, *in.Locale) {
		return apperr.Field("locale", "agent.locale_invalid", "must be one of %v", KnownLanguages)
	}
	if in.Languages != nil {
		for _, l := range *in.Languages {
			if !slices.Contains(KnownLanguages, l) {
				return apperr.Field("languages", "agent.language_invalid", "unknown language %q", l)
			}
		}
	}
	if in.Topics != nil {
		for _, t := range *in.Topics {
			if !slices.Contains(KnownTopics, t) {
				return apperr.Field("topics", "agent.topic_invalid", "unknown topic %q", t)
			}
		}
	}
	return nil
}

// Create adds an agent.
func (s *Service) Create(ctx context.Context, in Input) (Agent, error) {
	if err := in.validate(true); err != nil {
		return Agent{}, err
	}
	var id int64
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		now := db.Millis(s.now())
		max, locale := 5, "en"
		if in.MaxConcurrent != nil {
			max = *in.MaxConcurrent
		}
		if in.Locale != nil {
			locale = *in.Locale
		}
		err := s.db.Q(ctx).QueryRowContext(ctx, `INSERT INTO agents (email, name, role, max_concurrent, locale, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id`, *in.Email, *in.Name, string(*in.Role), max, locale, now).Scan(&id)
		if db.IsUniqueViolation(err) {
			return apperr.Conflictf("agent.email_taken", "an agent with this email already exists")
		}
		if err != nil {
			return fmt.Errorf("agent: create: %w", err)
		}
		if err := s.writeRelations(ctx, id, in); err != nil {
			return err
		}
		return s.audit.Record(ctx, "agent.create", "agent", id, map[string]any{"email": *in.Email, "role": *in.Role})
	})
	if err != nil {
		return Agent{}, err
	}
	return s.ByID(ctx, id)
}

// Update changes the given fields of an agent.
func (s *Service) Update(ctx context.Context, id int64, in Input) (Agent, error) {
	if err := in.validate(false); err != nil {
		return Agent{}, err
	}
	now := s.now()
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		before, err := s.ByID(ctx, id)
		if err != nil {
			return err
		}
		set := []string{"updated_at = $1"}
		args := []any{db.Millis(now)}
		detail := map[string]any{}
		add := func(col string, v any) {
			args = append(args, v)
			set = append(set, fmt.Sprintf("%s = $%d", col, len(args)))
			detail[col] = v
		}
		if in.Email != nil {
			add("email", *in.Email)
		}
		if in.Name != nil {
			add("name", *in.Name)
		}
		if in.Role != nil {
			add("role", string(*in.Role))
			detail["previous_role"] = before.Role
		}
		if in.MaxConcurrent != nil {
			add("max_concurrent", *in.MaxConcurrent)
		}
		if in.Locale != nil {
			add("locale", *in.Locale)
		}
		if in.Disabled != nil {
			add("disabled", *in.Disabled)
		}
		args = append(args, id)
		_, err = s.db.Q(ctx).ExecContext(ctx, fmt.Sprintf(`UPDATE agents SET %s WHERE id = $%d`, strings.Join(set, ", "), len(args)), args...)
		if db.IsUniqueViolation(err) {
			return apperr.Conflictf("agent.email_taken", "an agent with this email already exists")
		}
		if err != nil {
			return fmt.Errorf("agent: update: %w", err)
		}
		if err := s.writeRelations(ctx, id, in); err != nil {
			return err
		}
		if in.Teams != nil {
			detail["teams"] = *in.Teams
		}
		action := "agent.update"
		if in.Role != nil && *in.Role != before.Role || in.Teams != nil {
			action = "agent.permissions_change"
		}
		// Subscribers re-check what the agent may see (teams, role, disabled).
		access := in.Teams != nil || in.Role != nil && *in.Role != before.Role ||
			in.Disabled != nil && *in.Disabled != before.Disabled
		db.AfterCommit(ctx, func() {
			s.bus.Publish(ctx, event.AgentChanged{AgentID: id, Status: string(before.Status), Access: access, At: now})
		})
		return s.audit.Record(ctx, action, "agent", id, detail)
	})
	if err != nil {
		return Agent{}, err
	}
	return s.ByID(ctx, id)
}

func (s *Service) writeRelations(ctx context.Context, id int64, in Input) error {
	q := s.db.Q(ctx)
	if in.Teams != nil {
		if _, err := q.ExecContext(ctx, `DELETE FROM agent_teams WHERE agent_id = $1`, id); err != nil {
			return fmt.Errorf("agent: teams: %w", err)
		}
		for _, t := range dedupe(*in.Teams) {
			_, err := q.ExecContext(ctx, `INSERT INTO agent_teams (agent_id, team_id) VALUES ($1, $2)`, id, t)
			if db.IsForeignKeyViolation(err) {
				return apperr.Field("teams", "agent.team_unknown", "team %d does not exist", t)
			}
			if err != nil {
				return fmt.Errorf("agent: teams: %w", err)
			}
		}
	}
	for kind, values := range map[string]*[]string{"language": in.Languages, "topic": in.Topics} {
		if values == nil {
			continue
		}
		if _, err := q.ExecContext(ctx, `DELETE FROM agent_skills WHERE agent_id = $1 AND kind = $2`, id, kind); err != nil {
			return fmt.Errorf("agent: skills: %w", err)
		}
		for _, v := range dedupe(*values) {
			if _, err := q.ExecContext(ctx, `INSERT INTO agent_skills (agent_id, kind, value) VALUES ($1, $2, $3)`, id, kind, v); err != nil {
				return fmt.Errorf("agent: skills: %w", err)
			}
		}
	}
	return nil
}

// SetStatus records an agent's presence.
func (s *Service) SetStatus(ctx context.Context, id int64, st Status) error {
	if !slices.Contains([]Status{Online, Away, Offline}, st) {
		return apperr.Field("status", "agent.status_invalid", "must be online, away or offline")
	}
	now := s.now()
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		res, err := s.db.Q(ctx).ExecContext(ctx, `UPDATE agents SET status = $1, updated_at = $2 WHERE id = $3`, string(st), db.Millis(now), id)
		if err != nil {
			return fmt.Errorf("agent: set status: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return apperr.NotFoundf("agent.not_found", "agent %d not found", id)
		}
		db.AfterCommit(ctx, func() { s.bus.Publish(ctx, event.AgentChanged{AgentID: id, Status: string(st), At: now}) })
		return nil
	})
	return err
}

func dedupe[T comparable](in []T) []T {
	seen := make(map[T]bool, len(in))
	out := in[:0:0]
	for _, v := range in {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}
