package incident

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"vigil/internal/apperr"
	"vigil/internal/db"
)

// Link ties a conversation to an open incident; agentID 0 means it was
// linked automatically. Linking twice is a no-op and reports false.
func (s *Service) Link(ctx context.Context, id, convID, agentID int64) (bool, error) {
	var linked bool
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		if _, err := s.open(ctx, id); err != nil {
			return err
		}
		res, err := s.db.Q(ctx).ExecContext(ctx, `INSERT INTO incident_conversations (incident_id, conversation_id, automatic, linked_by, created_at)
			VALUES ($1, $2, $3, $4, $5) ON CONFLICT (incident_id, conversation_id) DO NOTHING`,
			id, convID, agentID == 0, db.NullID(agentID), db.Millis(s.now()))
		if db.IsForeignKeyViolation(err) {
			return apperr.NotFoundf("conversation.not_found", "conversation %d not found", convID)
		}
		if err != nil {
			return fmt.Errorf("incident: link: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil // linked before, perhaps by another instance just now
		}
		linked = true
		return s.audit.Record(ctx, "incident.link", "conversation", convID, map[string]any{"incident_id": id, "automatic": agentID == 0})
	})
	return linked, err
}

// Unlink removes a conversation from an incident.
func (s *Service) Unlink(ctx context.Context, id, convID int64) error {
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		res, err := s.db.Q(ctx).ExecContext(ctx, `DELETE FROM incident_conversations WHERE incident_id = $1 AND conversation_id = $2`, id, convID)
		if err != nil {
			return fmt.Errorf("incident: unlink: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return apperr.NotFoundf("incident.link_not_found", "conversation %d is not linked to incident %d", convID, id)
		}
		return s.audit.Record(ctx, "incident.unlink", "conversation", convID, map[string]any{"incident_id": id})
	})
}

// Linked lists the conversations linked to an incident, oldest link first.
func (s *Service) Linked(ctx context.Context, id int64) ([]int64, error) {
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT conversation_id FROM incident_conversations WHERE incident_id = $1
		ORDER BY created_at, conversation_id`, id)
	if err != nil {
		return nil, fmt.Errorf("incident: linked: %w", err)
	}
	defer rows.Close()
	out := []int64{}
	for rows.Next() {
		var c int64
		if err := rows.Scan(&c); err != nil {
			return nil, fmt.Errorf("incident: linked: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// AutoLink links a new conversation whose first message matches an open
// incident, and returns the incident it linked to (0 for none).
func (s *Service) AutoLink(ctx context.Context, convID int64, text string) (int64, error) {
	i, ok, err := s.Match(ctx, text)
	if err != nil || !ok {
		return 0, err
	}
	if _, err := s.Link(ctx, i.ID, convID, 0); err != nil {
		return 0, err
	}
	return i.ID, nil
}

const componentColumns = `id, slug, name_en, name_zh, state, position, updated_at`

func scanComponent(row interface{ Scan(...any) error }) (Component, error) {
	var c Component
	var en, zh string
	var at int64
	err := row.Scan(&c.ID, &c.Slug, &en, &zh, &c.State, &c.Position, &at)
	c.Names, c.UpdatedAt = langs(en, zh), db.Time(at)
	return c, err
}

// Components lists the status page's components in display order.
func (s *Service) Components(ctx context.Context) ([]Component, error) {
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT `+componentColumns+` FROM status_components ORDER BY position, id LIMIT 200`)
	if err != nil {
		return nil, fmt.Errorf("incident: components: %w", err)
	}
	defer rows.Close()
	out := []Component{}
	for rows.Next() {
		c, err := scanComponent(rows)
		if err != nil {
			return nil, fmt.Errorf("incident: components: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// SaveComponent creates the component with in.Slug or replaces it.
func (s *Service) SaveComponent(ctx context.Context, in ComponentInput) (Component, error) {
	if err := in.validate(); err != nil {
		return Component{}, err
	}
	var out Component
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		now := db.Millis(s.now())
		c, err := scanComponent(s.db.Q(ctx).QueryRowContext(ctx, `UPDATE status_components SET name_en = $1, name_zh = $2, state = $3,
			position = $4, updated_at = $5 WHERE slug = $6 RETURNING `+componentColumns,
			in.Names["en"], in.Names["zh"], in.State, in.Position, now, in.Slug))
		if errors.Is(err, sql.ErrNoRows) {
			c, err = scanComponent(s.db.Q(ctx).QueryRowContext(ctx, `INSERT INTO status_components (slug, name_en, name_zh, state,
				position, updated_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING `+componentColumns,
				in.Slug, in.Names["en"], in.Names["zh"], in.State, in.Position, now))
		}
		if err != nil {
			return fmt.Errorf("incident: save component: %w", err)
		}
		out = c
		return s.audit.Record(ctx, "incident.component_save", "status_component", c.ID, map[string]any{"slug": c.Slug, "state": c.State})
	})
	return out, err
}

// Overall is the worst state among the components, "operational" when all
// are fine or none are listed.
func Overall(cs []Component) string {
	worst := 0
	for _, c := range cs {
		for k, st := range ComponentStates[:4] {
			if c.State == st && k > worst {
				worst = k
			}
		}
	}
	return ComponentStates[worst]
}

// Touches reports whether the incident touches a component, by slug.
func (i Incident) Touches(slug string) bool {
	for _, c := range i.Scope.Components {
		if strings.EqualFold(c, slug) {
			return true
		}
	}
	return false
}

// Of lists the incidents a conversation is linked to, newest first.
func (s *Service) Of(ctx context.Context, convID int64) ([]Incident, error) {
	return s.list(ctx, `WHERE id IN (SELECT incident_id FROM incident_conversations WHERE conversation_id = $1)
		ORDER BY started_at DESC, id DESC LIMIT 50`, convID)
}
