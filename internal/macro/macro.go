// Package macro stores macros: a reply template in each language with
// placeholders, plus field changes (status, priority, tags, team), that
// an agent applies to a conversation in one step. A macro belongs to one
// agent (personal), one team, or everyone (global).
package macro

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"vigil/internal/apperr"
	"vigil/internal/audit"
	"vigil/internal/customer"
	"vigil/internal/db"
	"vigil/internal/ticket"
)

// Scopes a macro may have.
const (
	Personal = "personal"
	Team     = "team"
	Global   = "global"
)

// Actions are the field changes a macro makes; empty means unchanged.
type Actions struct {
	Status   string   `json:"status,omitempty"`
	Priority string   `json:"priority,omitempty"`
	AddTags  []string `json:"add_tags,omitempty"`
	TeamID   int64    `json:"team_id,omitempty"`
}

// Macro is one stored macro.
type Macro struct {
	ID        int64             `json:"id"`
	Name      string            `json:"name"`
	Scope     string            `json:"scope"`
	OwnerID   int64             `json:"owner_id,omitempty"`
	TeamID    int64             `json:"team_id,omitempty"`
	Bodies    map[string]string `json:"bodies"`
	Actions   Actions           `json:"actions"`
	CreatedBy int64             `json:"created_by"`
	CreatedAt time.Time         `json:"created_at"`
	UpdatedAt time.Time         `json:"updated_at"`
}

// Caller is who is reading, writing or applying macros. Manage is set for
// those who may keep team and global macros (supervisors, admins).
type Caller struct {
	AgentID int64
	Name    string
	TeamIDs []int64
	Manage  bool
}

// Tickets is what applying a macro needs from the conversation domain.
type Tickets interface {
	ByID(ctx context.Context, scope ticket.Scope, id int64) (ticket.Conversation, error)
	AddMessage(ctx context.Context, in ticket.MessageInput) (ticket.Message, error)
	Update(ctx context.Context, id int64, p ticket.Patch) (ticket.Conversation, error)
}

// Customers names the customer in a reply.
type Customers interface {
	ByID(ctx context.Context, id int64) (customer.Customer, error)
}

// Options wire a Service.
type Options struct {
	DB        *db.DB
	Audit     *audit.Log
	Tickets   Tickets
	Customers Customers
	Now       func() time.Time
}

// Service keeps and applies macros.
type Service struct{ o Options }

// New returns a Service.
func New(o Options) *Service { return &Service{o: o} }

// placeholderRE finds {{ name }} in a template.
var placeholderRE = regexp.MustCompile(`\{\{\s*([a-z_.]+)\s*\}\}`)

// Placeholders are the names a template may use.
var Placeholders = []string{"customer.name", "customer.first_name", "conversation.id", "conversation.subject", "agent.name"}

func (m *Macro) validate(c Caller) error {
	m.Name = strings.TrimSpace(m.Name)
	if m.Name == "" || utf8.RuneCountInString(m.Name) > 100 {
		return apperr.Field("name", "macro.name_invalid", "the name must be 1-100 characters")
	}
	switch m.Scope {
	case Personal:
		m.OwnerID, m.TeamID = c.AgentID, 0
	case Team:
		m.OwnerID = 0
		if m.TeamID == 0 {
			return apperr.Field("team_id", "macro.team_required", "a team macro needs a team")
		}
	case Global:
		m.OwnerID, m.TeamID = 0, 0
	default:
		return apperr.Field("scope", "macro.scope_invalid", "scope must be personal, team or global")
	}
	if m.Scope != Personal && !c.Manage {
		return apperr.Forbiddenf("macro.forbidden", "only supervisors keep team and global macros")
	}
	if m.Bodies == nil {
		m.Bodies = map[string]string{}
	}
	for lang, body := range m.Bodies {
		if !slices.Contains(ticket.Languages, lang) {
			return apperr.Field("bodies", "macro.language_invalid", "languages are %v", ticket.Languages)
		}
		if len(body) > ticket.MaxBody {
			return apperr.Field("bodies", "macro.body_too_long", "a reply is at most 64 KiB")
		}
		for _, ph := range placeholderRE.FindAllStringSubmatch(body, -1) {
			if !slices.Contains(Placeholders, ph[1]) {
				return apperr.Field("bodies", "macro.placeholder_unknown", "unknown placeholder {{%s}}; use one of %v", ph[1], Placeholders)
			}
		}
		if strings.TrimSpace(body) == "" {
			delete(m.Bodies, lang)
		}
	}
	a := m.Actions
	if a.Status != "" && !slices.Contains([]string{"open", "pending", "on_hold", "solved"}, a.Status) {
		return apperr.Field("actions", "macro.status_invalid", "status must be open, pending, on_hold or solved")
	}
	if _, ok := ticket.ParsePriority(a.Priority); a.Priority != "" && !ok {
		return apperr.Field("actions", "macro.priority_invalid", "priority must be low, normal, high or urgent")
	}
	if len(m.Bodies) == 0 && a.Status == "" && a.Priority == "" && a.TeamID == 0 && len(a.AddTags) == 0 {
		return apperr.Field("bodies", "macro.empty", "a macro needs a reply or an action")
	}
	return nil
}

const columns = `id, name, scope, COALESCE(owner_id, 0), COALESCE(team_id, 0), bodies, actions, created_by, created_at, updated_at`

func scan(row interface{ Scan(...any) error }) (Macro, error) {
	var m Macro
	var bodies, actions string
	var created, updated int64
	if err := row.Scan(&m.ID, &m.Name, &m.Scope, &m.OwnerID, &m.TeamID, &bodies, &actions, &m.CreatedBy, &created, &updated); err != nil {
		return Macro{}, err
	}
	_ = json.Unmarshal([]byte(bodies), &m.Bodies)
	_ = json.Unmarshal([]byte(actions), &m.Actions)
	m.CreatedAt, m.UpdatedAt = db.Time(created), db.Time(updated)
	return m, nil
}

// Save creates (ID 0) or replaces a macro the caller may keep.
func (s *Service) Save(ctx context.Context, c Caller, m Macro) (Macro, error) {
	if err := m.validate(c); err != nil {
		return Macro{}, err
	}
	bodies, _ := json.Marshal(m.Bodies)
	actions, _ := json.Marshal(m.Actions)
	now := s.o.Now().UTC().Truncate(time.Millisecond)
	err := s.o.DB.WithTx(ctx, func(ctx context.Context) error {
		if m.ID != 0 {
			old, err := s.visible(ctx, c, m.ID)
			if err != nil {
				return err
			}
			if err := mayEdit(c, old); err != nil {
				return err
			}
			m.CreatedBy, m.CreatedAt = old.CreatedBy, old.CreatedAt
			if _, err := s.o.DB.Q(ctx).ExecContext(ctx, `UPDATE macros SET name = $1, scope = $2, owner_id = $3, team_id = $4, bodies = $5,
				actions = $6, updated_at = $7 WHERE id = $8`, m.Name, m.Scope, db.NullID(m.OwnerID), db.NullID(m.TeamID), string(bodies),
				string(actions), db.Millis(now), m.ID); err != nil {
				return fmt.Errorf("macro: update: %w", err)
			}
		} else {
			m.CreatedBy, m.CreatedAt = c.AgentID, now
			err := s.o.DB.Q(ctx).QueryRowContext(ctx, `INSERT INTO macros (name, scope, owner_id, team_id, bodies, actions, created_by,
				created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id`, m.Name, m.Scope, db.NullID(m.OwnerID),
				db.NullID(m.TeamID), string(bodies), string(actions), c.AgentID, db.Millis(now)).Scan(&m.ID)
			if db.IsForeignKeyViolation(err) && m.Scope == Team {
				return apperr.Field("team_id", "macro.team_invalid", "no such team")
			}
			if err != nil {
				return fmt.Errorf("macro: create: %w", err)
			}
		}
		m.UpdatedAt = now
		return s.o.Audit.Record(ctx, "macro.save", "macro", m.ID, map[string]any{"name": m.Name, "scope": m.Scope})
	})
	return m, err
}

func mayEdit(c Caller, m Macro) error {
	if m.Scope == Personal && m.OwnerID == c.AgentID || c.Manage {
		return nil
	}
	return apperr.Forbiddenf("macro.forbidden", "only supervisors change team and global macros")
}

// Delete removes a macro the caller may keep.
func (s *Service) Delete(ctx context.Context, c Caller, id int64) error {
	return s.o.DB.WithTx(ctx, func(ctx context.Context) error {
		m, err := s.visible(ctx, c, id)
		if err != nil {
			return err
		}
		if err := mayEdit(c, m); err != nil {
			return err
		}
		if _, err := s.o.DB.Q(ctx).ExecContext(ctx, `DELETE FROM macros WHERE id = $1`, id); err != nil {
			return fmt.Errorf("macro: delete: %w", err)
		}
		return s.o.Audit.Record(ctx, "macro.delete", "macro", id, map[string]any{"name": m.Name})
	})
}

// List returns the macros a caller may apply: their own, their teams'
// and the global ones, by name. Managers see every team's too.
func (s *Service) List(ctx context.Context, c Caller) ([]Macro, error) {
	rows, err := s.o.DB.Q(ctx).QueryContext(ctx, `SELECT `+columns+` FROM macros ORDER BY name, id`)
	if err != nil {
		return nil, fmt.Errorf("macro: list: %w", err)
	}
	defer rows.Close()
	out := []Macro{}
	for rows.Next() {
		m, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("macro: list: %w", err)
		}
		if sees(c, m) {
			out = append(out, m)
		}
	}
	return out, rows.Err()
}

func sees(c Caller, m Macro) bool {
	switch m.Scope {
	case Global:
		return true
	case Team:
		return c.Manage || slices.Contains(c.TeamIDs, m.TeamID)
	}
	return m.OwnerID == c.AgentID
}

// visible loads a macro, hiding those the caller may not see.
func (s *Service) visible(ctx context.Context, c Caller, id int64) (Macro, error) {
	m, err := scan(s.o.DB.Q(ctx).QueryRowContext(ctx, `SELECT `+columns+` FROM macros WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) || err == nil && !sees(c, m) {
		return Macro{}, apperr.NotFoundf("macro.not_found", "macro %d not found", id)
	}
	if err != nil {
		return Macro{}, fmt.Errorf("macro: load: %w", err)
	}
	return m, nil
}
