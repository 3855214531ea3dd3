package agent

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"vigil/internal/apperr"
	"vigil/internal/db"
)

// ShiftInput is a recurring shift as a supervisor enters it.
type ShiftInput struct {
	AgentID  int64    `json:"agent_id"`
	Weekdays []string `json:"weekdays"`
	Start    string   `json:"start"`
	End      string   `json:"end"`
	TimeZone string   `json:"time_zone"`
}

// ExceptionInput is a day off or an extra shift as a supervisor enters it.
type ExceptionInput struct {
	AgentID  int64         `json:"agent_id"`
	Kind     ExceptionKind `json:"kind"`
	FirstDay string        `json:"first_day"`
	LastDay  string        `json:"last_day"`
	Start    string        `json:"start"`
	End      string        `json:"end"`
	TimeZone string        `json:"time_zone"`
	Note     string        `json:"note"`
}

// maxShiftsPerTeam bounds how many recurring shifts and exceptions one
// team holds, so the coverage grid stays quick to compute.
const maxShiftsPerTeam = 5000

const shiftColumns = `id, team_id, agent_id, weekdays, start_minute, end_minute, time_zone, created_at, updated_at`

func scanShift(row interface{ Scan(...any) error }) (Shift, error) {
	var s Shift
	var days, start, end, created, updated int64
	err := row.Scan(&s.ID, &s.TeamID, &s.AgentID, &days, &start, &end, &s.TimeZone, &created, &updated)
	s.Weekdays, s.Start, s.End = weekdayList(uint8(days)), formatClock(int(start)), formatClock(int(end))
	s.CreatedAt, s.UpdatedAt = db.Time(created), db.Time(updated)
	return s, err
}

// checkMember requires the agent to belong to the team: a shift for
// someone outside the team would staff it with a person routing never
// sends its conversations to.
func (s *Service) checkMember(ctx context.Context, teamID, agentID int64) error {
	if _, err := s.Team(ctx, teamID); err != nil {
		return err
	}
	var n int
	err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT COUNT(*) FROM agent_teams WHERE team_id = $1 AND agent_id = $2`, teamID, agentID).Scan(&n)
	if err != nil {
		return fmt.Errorf("agent: shift member: %w", err)
	}
	if n == 0 {
		return apperr.Field("agent_id", "shift.agent_not_in_team", "agent %d is not a member of team %d", agentID, teamID)
	}
	return nil
}

func (s *Service) checkRoom(ctx context.Context, table string, teamID int64) error {
	var n int
	if err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT COUNT(*) FROM `+table+` WHERE team_id = $1`, teamID).Scan(&n); err != nil {
		return fmt.Errorf("agent: count %s: %w", table, err)
	}
	if n >= maxShiftsPerTeam {
		return apperr.Invalidf("shift.too_many", "a team holds at most %d shifts and %d exceptions", maxShiftsPerTeam, maxShiftsPerTeam)
	}
	return nil
}

// CreateShift adds a recurring shift to a team.
func (s *Service) CreateShift(ctx context.Context, teamID int64, in ShiftInput) (Shift, error) {
	r, err := Shift{AgentID: in.AgentID, TeamID: teamID, Weekdays: in.Weekdays, Start: in.Start, End: in.End, TimeZone: in.TimeZone}.rule()
	if err != nil {
		return Shift{}, err
	}
	var id int64
	err = s.db.WithTx(ctx, func(ctx context.Context) error {
		if err := s.checkMember(ctx, teamID, in.AgentID); err != nil {
			return err
		}
		if err := s.checkRoom(ctx, "shifts", teamID); err != nil {
			return err
		}
		now := db.Millis(s.now())
		err := s.db.Q(ctx).QueryRowContext(ctx, `INSERT INTO shifts (team_id, agent_id, weekdays, start_minute, end_minute, time_zone, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id`, teamID, in.AgentID, int64(r.days), r.start, r.end, in.TimeZone, now).Scan(&id)
		if err != nil {
			return fmt.Errorf("agent: create shift: %w", err)
		}
		return s.audit.Record(ctx, "shift.create", "shift", id, map[string]any{"team_id": teamID, "agent_id": in.AgentID,
			"weekdays": weekdayList(r.days), "start": in.Start, "end": in.End, "time_zone": in.TimeZone})
	})
	if err != nil {
		return Shift{}, err
	}
	return s.Shift(ctx, id)
}

// UpdateShift replaces a shift's agent, days, times and time zone.
func (s *Service) UpdateShift(ctx context.Context, id int64, in ShiftInput) (Shift, error) {
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		before, err := s.Shift(ctx, id)
		if err != nil {
			return err
		}
		r, err := Shift{AgentID: in.AgentID, TeamID: before.TeamID, Weekdays: in.Weekdays, Start: in.Start, End: in.End, TimeZone: in.TimeZone}.rule()
		if err != nil {
			return err
		}
		if err := s.checkMember(ctx, before.TeamID, in.AgentID); err != nil {
			return err
		}
		_, err = s.db.Q(ctx).ExecContext(ctx, `UPDATE shifts SET agent_id = $1, weekdays = $2, start_minute = $3, end_minute = $4,
			time_zone = $5, updated_at = $6 WHERE id = $7`, in.AgentID, int64(r.days), r.start, r.end, in.TimeZone, db.Millis(s.now()), id)
		if err != nil {
			return fmt.Errorf("agent: update shift: %w", err)
		}
		return s.audit.Record(ctx, "shift.update", "shift", id, map[string]any{"team_id": before.TeamID, "agent_id": in.AgentID,
			"weekdays": weekdayList(r.days), "start": in.Start, "end": in.End, "time_zone": in.TimeZone,
			"previous": fmt.Sprintf("%d %s %s-%s %s", before.AgentID, strings.Join(before.Weekdays, ","), before.Start, before.End, before.TimeZone)})
	})
	if err != nil {
		return Shift{}, err
	}
	return s.Shift(ctx, id)
}

// DeleteShift removes a recurring shift.
func (s *Service) DeleteShift(ctx context.Context, id int64) error {
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		before, err := s.Shift(ctx, id)
		if err != nil {
			return err
		}
		if _, err := s.db.Q(ctx).ExecContext(ctx, `DELETE FROM shifts WHERE id = $1`, id); err != nil {
			return fmt.Errorf("agent: delete shift: %w", err)
		}
		return s.audit.Record(ctx, "shift.delete", "shift", id, map[string]any{"team_id": before.TeamID, "agent_id": before.AgentID})
	})
}

// Shift returns one shift.
func (s *Service) Shift(ctx context.Context, id int64) (Shift, error) {
	sh, err := scanShift(s.db.Q(ctx).QueryRowContext(ctx, `SELECT `+shiftColumns+` FROM shifts WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Shift{}, apperr.NotFoundf("shift.not_found", "shift %d not found", id)
	}
	if err != nil {
		return Shift{}, fmt.Errorf("agent: shift: %w", err)
	}
	return sh, nil
}

// Shifts lists a team's recurring shifts by agent and start time.
func (s *Service) Shifts(ctx context.Context, teamID int64) ([]Shift, error) {
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT `+shiftColumns+` FROM shifts WHERE team_id = $1 ORDER BY agent_id, start_minute, id`, teamID)
	if err != nil {
		return nil, fmt.Errorf("agent: shifts: %w", err)
	}
	defer rows.Close()
	out := []Shift{}
	for rows.Next() {
		sh, err := scanShift(rows)
		if err != nil {
			return nil, fmt.Errorf("agent: shifts: %w", err)
		}
		out = append(out, sh)
	}
	return out, rows.Err()
}

const exceptionColumns = `id, team_id, agent_id, kind, first_day, last_day, start_minute, end_minute, time_zone, note, created_at`

func scanException(row interface{ Scan(...any) error }) (Exception, error) {
	var e Exception
	var start, end, created int64
	err := row.Scan(&e.ID, &e.TeamID, &e.AgentID, &e.Kind, &e.FirstDay, &e.LastDay, &start, &end, &e.TimeZone, &e.Note, &created)
	if e.Kind == Extra {
		e.Start, e.End = formatClock(int(start)), formatClock(int(end))
	}
	e.CreatedAt = db.Time(created)
	return e, err
}

func (in *ExceptionInput) check(teamID int64) (rule, error) {
	in.Note = strings.TrimSpace(in.Note)
	if len(in.Note) > 200 {
		return rule{}, apperr.Field("note", "shift.note_invalid", "must be at most 200 characters")
	}
	if in.LastDay == "" {
		in.LastDay = in.FirstDay
	}
	return Exception{TeamID: teamID, AgentID: in.AgentID, Kind: in.Kind, FirstDay: in.FirstDay, LastDay: in.LastDay,
		Start: in.Start, End: in.End, TimeZone: in.TimeZone}.rule()
}

// CreateException records a day off or an extra shift.
func (s *Service) CreateException(ctx context.Context, teamID int64, in ExceptionInput) (Exception, error) {
	r, err := in.check(teamID)
	if err != nil {
		return Exception{}, err
	}
	var id int64
	err = s.db.WithTx(ctx, func(ctx context.Context) error {
		if err := s.checkMember(ctx, teamID, in.AgentID); err != nil {
			return err
		}
		if err := s.checkRoom(ctx, "shift_exceptions", teamID); err != nil {
			return err
		}
		err := s.db.Q(ctx).QueryRowContext(ctx, `INSERT INTO shift_exceptions (team_id, agent_id, kind, first_day, last_day, start_minute,
			end_minute, time_zone, note, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
			teamID, in.AgentID, string(in.Kind), r.first.String(), r.last.String(), r.start, r.end, in.TimeZone, in.Note, db.Millis(s.now())).Scan(&id)
		if err != nil {
			return fmt.Errorf("agent: create exception: %w", err)
		}
		return s.audit.Record(ctx, "shift_exception.create", "shift_exception", id, map[string]any{"team_id": teamID,
			"agent_id": in.AgentID, "kind": in.Kind, "first_day": r.first.String(), "last_day": r.last.String()})
	})
	if err != nil {
		return Exception{}, err
	}
	return s.Exception(ctx, id)
}

// UpdateException replaces an exception's fields.
func (s *Service) UpdateException(ctx context.Context, id int64, in ExceptionInput) (Exception, error) {
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		before, err := s.Exception(ctx, id)
		if err != nil {
			return err
		}
		r, err := in.check(before.TeamID)
		if err != nil {
			return err
		}
		if err := s.checkMember(ctx, before.TeamID, in.AgentID); err != nil {
			return err
		}
		_, err = s.db.Q(ctx).ExecContext(ctx, `UPDATE shift_exceptions SET agent_id = $1, kind = $2, first_day = $3, last_day = $4,
			start_minute = $5, end_minute = $6, time_zone = $7, note = $8 WHERE id = $9`,
			in.AgentID, string(in.Kind), r.first.String(), r.last.String(), r.start, r.end, in.TimeZone, in.Note, id)
		if err != nil {
			return fmt.Errorf("agent: update exception: %w", err)
		}
		return s.audit.Record(ctx, "shift_exception.update", "shift_exception", id, map[string]any{"team_id": before.TeamID,
			"agent_id": in.AgentID, "kind": in.Kind, "first_day": r.first.String(), "last_day": r.last.String()})
	})
	if err != nil {
		return Exception{}, err
	}
	return s.Exception(ctx, id)
}

// DeleteException removes an exception.
func (s *Service) DeleteException(ctx context.Context, id int64) error {
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		before, err := s.Exception(ctx, id)
		if err != nil {
			return err
		}
		if _, err := s.db.Q(ctx).ExecContext(ctx, `DELETE FROM shift_exceptions WHERE id = $1`, id); err != nil {
			return fmt.Errorf("agent: delete exception: %w", err)
		}
		return s.audit.Record(ctx, "shift_exception.delete", "shift_exception", id, map[string]any{"team_id": before.TeamID, "agent_id": before.AgentID})
	})
}

// Exception returns one exception.
func (s *Service) Exception(ctx context.Context, id int64) (Exception, error) {
	e, err := scanException(s.db.Q(ctx).QueryRowContext(ctx, `SELECT `+exceptionColumns+` FROM shift_exceptions WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Exception{}, apperr.NotFoundf("shift_exception.not_found", "exception %d not found", id)
	}
	if err != nil {
		return Exception{}, fmt.Errorf("agent: exception: %w", err)
	}
	return e, nil
}

// Exceptions lists a team's exceptions that end on or after since
// (YYYY-MM-DD; empty for all), earliest first.
func (s *Service) Exceptions(ctx context.Context, teamID int64, since string) ([]Exception, error) {
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT `+exceptionColumns+` FROM shift_exceptions WHERE team_id = $1 AND last_day >= $2
		ORDER BY first_day, agent_id, id`, teamID, since)
	if err != nil {
		return nil, fmt.Errorf("agent: exceptions: %w", err)
	}
	defer rows.Close()
	out := []Exception{}
	for rows.Next() {
		e, err := scanException(rows)
		if err != nil {
			return nil, fmt.Errorf("agent: exceptions: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// plan loads a team's shifts and the exceptions still relevant on or after
// from, and the team's enabled members.
func (s *Service) plan(ctx context.Context, teamID int64, from time.Time) (*Plan, []Member, error) {
	if _, err := s.Team(ctx, teamID); err != nil {
		return nil, nil, err
	}
	shifts, err := s.Shifts(ctx, teamID)
	if err != nil {
		return nil, nil, err
	}
	// Two days' margin: a day off in any time zone that touches from.
	exc, err := s.Exceptions(ctx, teamID, from.UTC().AddDate(0, 0, -2).Format(dayLayout))
	if err != nil {
		return nil, nil, err
	}
	p, err := NewPlan(shifts, exc)
	if err != nil {
		return nil, nil, fmt.Errorf("agent: team %d plan: %w", teamID, err)
	}
	members, err := s.members(ctx, teamID)
	return p, members, err
}

// members are a team's enabled agents with their languages.
func (s *Service) members(ctx context.Context, teamID int64) ([]Member, error) {
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT a.id, COALESCE(k.value, '') FROM agent_teams t
		JOIN agents a ON a.id = t.agent_id
		LEFT JOIN agent_skills k ON k.agent_id = a.id AND k.kind = 'language'
		WHERE t.team_id = $1 AND a.disabled = $2 ORDER BY a.id, k.value`, teamID, false)
	if err != nil {
		return nil, fmt.Errorf("agent: members: %w", err)
	}
	defer rows.Close()
	var out []Member
	for rows.Next() {
		var id int64
		var lang string
		if err := rows.Scan(&id, &lang); err != nil {
			return nil, fmt.Errorf("agent: members: %w", err)
		}
		if len(out) == 0 || out[len(out)-1].ID != id {
			out = append(out, Member{ID: id})
		}
		if lang != "" {
			out[len(out)-1].Languages = append(out[len(out)-1].Languages, lang)
		}
	}
	return out, rows.Err()
}

// Coverage computes a team's 7×24 grid for the week holding week, read in
// loc, with a grid per known language.
func (s *Service) Coverage(ctx context.Context, teamID int64, loc *time.Location, week time.Time) (Coverage, error) {
	p, members, err := s.plan(ctx, teamID, week.AddDate(0, 0, -7))
	if err != nil {
		return Coverage{}, err
	}
	return BuildCoverage(CoverageInput{TeamID: teamID, Week: week, Location: loc, Members: members, Plan: p, Languages: KnownLanguages}), nil
}

// ScheduledAt lists the team's enabled agents scheduled at instant at.
func (s *Service) ScheduledAt(ctx context.Context, teamID int64, at time.Time) ([]int64, error) {
	p, members, err := s.plan(ctx, teamID, at)
	if err != nil {
		return nil, err
	}
	ids := []int64{}
	for _, id := range p.ScheduledAt(at) {
		if slices.ContainsFunc(members, func(m Member) bool { return m.ID == id }) {
			ids = append(ids, id)
		}
	}
	return ids, nil
}
