package agent

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"vigil/internal/apperr"
	"vigil/internal/db"
)

const agentColumns = `id, email, name, role, max_concurrent, status, locale, disabled, created_at, updated_at`

func scanAgent(row interface{ Scan(...any) error }) (Agent, error) {
	var a Agent
	var created, updated int64
	err := row.Scan(&a.ID, &a.Email, &a.Name, &a.Role, &a.MaxConcurrent, &a.Status, &a.Locale, &a.Disabled, &created, &updated)
	a.CreatedAt, a.UpdatedAt = db.Time(created), db.Time(updated)
	return a, err
}

// ByID returns one agent with teams and skills.
func (s *Service) ByID(ctx context.Context, id int64) (Agent, error) {
	return s.one(ctx, `SELECT `+agentColumns+` FROM agents WHERE id = $1`, id)
}

// Ref returns the agent row alone, without teams and skills: what sign-in
// needs on every request.
func (s *Service) Ref(ctx context.Context, id int64) (Agent, error) {
	a, err := scanAgent(s.db.Q(ctx).QueryRowContext(ctx, `SELECT `+agentColumns+` FROM agents WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Agent{}, apperr.NotFoundf("agent.not_found", "agent not found")
	}
	if err != nil {
		return Agent{}, fmt.Errorf("agent: load: %w", err)
	}
	return a, nil
}

// ByEmail returns the agent with this email (case-insensitive).
func (s *Service) ByEmail(ctx context.Context, email string) (Agent, error) {
	return s.one(ctx, `SELECT `+agentColumns+` FROM agents WHERE email = $1`, strings.ToLower(strings.TrimSpace(email)))
}

func (s *Service) one(ctx context.Context, query string, arg any) (Agent, error) {
	a, err := scanAgent(s.db.Q(ctx).QueryRowContext(ctx, query, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return Agent{}, apperr.NotFoundf("agent.not_found", "agent not found")
	}
	if err != nil {
		return Agent{}, fmt.Errorf("agent: load: %w", err)
	}
	list := []Agent{a}
	if err := s.loadRelations(ctx, list); err != nil {
		return Agent{}, err
	}
	return list[0], nil
}

// List returns all agents ordered by name.
func (s *Service) List(ctx context.Context) ([]Agent, error) {
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT `+agentColumns+` FROM agents ORDER BY name, id`)
	if err != nil {
		return nil, fmt.Errorf("agent: list: %w", err)
	}
	defer rows.Close()
	var out []Agent
	for rows.Next() {
		a, err := scanAgent(rows)
		if err != nil {
			return nil, fmt.Errorf("agent: list: %w", err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("agent: list: %w", err)
	}
	return out, s.loadRelations(ctx, out)
}

// TeamIDs returns the teams an agent belongs to; permission checks use it.
func (s *Service) TeamIDs(ctx context.Context, agentID int64) ([]int64, error) {
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT team_id FROM agent_teams WHERE agent_id = $1 ORDER BY team_id`, agentID)
	if err != nil {
		return nil, fmt.Errorf("agent: teams: %w", err)
	}
	defer rows.Close()
	ids := []int64{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

func (s *Service) loadRelations(ctx context.Context, agents []Agent) error {
	idx := make(map[int64]int, len(agents))
	for i := range agents {
		idx[agents[i].ID] = i
		agents[i].Teams, agents[i].Languages, agents[i].Topics = []int64{}, []string{}, []string{}
	}
	if len(agents) == 0 {
		return nil
	}
	// One agent (the common case: every authenticated request) reads only
	// its own rows; a listing reads all of them once.
	filter, args := "", []any{}
	if len(agents) == 1 {
		filter, args = " WHERE agent_id = $1", []any{agents[0].ID}
	}
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT agent_id, team_id FROM agent_teams`+filter+` ORDER BY team_id`, args...)
	if err != nil {
		return fmt.Errorf("agent: teams: %w", err)
	}
	for rows.Next() {
		var a, t int64
		if err := rows.Scan(&a, &t); err != nil {
			rows.Close()
			return err
		}
		if i, ok := idx[a]; ok {
			agents[i].Teams = append(agents[i].Teams, t)
		}
	}
	rows.Close()
	rows, err = s.db.Q(ctx).QueryContext(ctx, `SELECT agent_id, kind, value FROM agent_skills`+filter+` ORDER BY value`, args...)
	if err != nil {
		return fmt.Errorf("agent: skills: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var a int64
		var kind, v string
		if err := rows.Scan(&a, &kind, &v); err != nil {
			return err
		}
		i, ok := idx[a]
		if !ok {
			continue
		}
		if kind == "language" {
			agents[i].Languages = append(agents[i].Languages, v)
		} else {
			agents[i].Topics = append(agents[i].Topics, v)
		}
	}
	return rows.Err()
}

// CreateTeam adds a team.
func (s *Service) CreateTeam(ctx context.Context, name, description string) (Team, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 100 {
		return Team{}, apperr.Field("name", "team.name_invalid", "must be 1 to 100 characters")
	}
	if len(description) > 1000 {
		return Team{}, apperr.Field("description", "team.description_invalid", "must be at most 1000 characters")
	}
	t := Team{Name: name, Description: description, CreatedAt: s.now().UTC().Truncate(1e6)}
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		err := s.db.Q(ctx).QueryRowContext(ctx, `INSERT INTO teams (name, description, created_at) VALUES ($1, $2, $3) RETURNING id`,
			name, description, db.Millis(t.CreatedAt)).Scan(&t.ID)
		if db.IsUniqueViolation(err) {
			return apperr.Conflictf("team.name_taken", "a team with this name already exists")
		}
		if err != nil {
			return fmt.Errorf("agent: create team: %w", err)
		}
		return s.audit.Record(ctx, "team.create", "team", t.ID, map[string]any{"name": name})
	})
	return t, err
}

// Team returns one team.
func (s *Service) Team(ctx context.Context, id int64) (Team, error) {
	var t Team
	var created int64
	err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT id, name, description, created_at FROM teams WHERE id = $1`, id).
		Scan(&t.ID, &t.Name, &t.Description, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return Team{}, apperr.NotFoundf("team.not_found", "team %d not found", id)
	}
	if err != nil {
		return Team{}, fmt.Errorf("agent: team: %w", err)
	}
	t.CreatedAt = db.Time(created)
	return t, nil
}

// Teams lists all teams by name.
func (s *Service) Teams(ctx context.Context) ([]Team, error) {
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT id, name, description, created_at FROM teams ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("agent: teams: %w", err)
	}
	defer rows.Close()
	out := []Team{}
	for rows.Next() {
		var t Team
		var created int64
		if err := rows.Scan(&t.ID, &t.Name, &t.Description, &created); err != nil {
			return nil, err
		}
		t.CreatedAt = db.Time(created)
		out = append(out, t)
	}
	return out, rows.Err()
}

// OnlineCount is the number of enabled agents who are online now.
func (s *Service) OnlineCount(ctx context.Context) (int, error) {
	var n int
	err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT COUNT(*) FROM agents WHERE status = 'online' AND disabled = $1`, false).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("agent: online count: %w", err)
	}
	return n, nil
}
