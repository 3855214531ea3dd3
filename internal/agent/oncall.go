package agent

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"vigil/internal/apperr"
	"vigil/internal/db"
)

// Rota is a team's on-call supervisors, taking turns: the first member is
// on call for PeriodDays from StartsOn at Handover (local time in
// TimeZone), then the next, round and round. The on-call supervisor is
// the person to wake for an urgent security conversation when nobody is
// scheduled.
type Rota struct {
	TeamID     int64     `json:"team_id"`
	TimeZone   string    `json:"time_zone"`
	StartsOn   string    `json:"starts_on"`
	Handover   string    `json:"handover"`
	PeriodDays int       `json:"period_days"`
	Members    []int64   `json:"members"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// Turns returns the rota's members in the order to try at instant at: the
// one on call first, then whoever is next. Handovers follow the local
// clock, so a 09:00 handover stays at 09:00 across clock changes.
func (r Rota) Turns(at time.Time) ([]int64, error) {
	loc, err := Location("time_zone", r.TimeZone)
	if err != nil {
		return nil, err
	}
	start, err := parseDay("starts_on", r.StartsOn)
	if err != nil {
		return nil, err
	}
	handover, err := parseClock("handover", r.Handover, false)
	if err != nil {
		return nil, err
	}
	if r.PeriodDays < 1 || r.PeriodDays > 28 {
		return nil, apperr.Field("period_days", "oncall.period_invalid", "must be between 1 and 28 days")
	}
	if len(r.Members) == 0 {
		return nil, apperr.Field("members", "oncall.members_required", "name at least one supervisor")
	}
	today := civilOf(at.In(loc))
	if at.Before(localTime(today, handover, loc)) {
		today = today.add(-1) // still yesterday's turn
	}
	days := int(today - start)
	turn := floorDiv(days, r.PeriodDays) % len(r.Members)
	if turn < 0 {
		turn += len(r.Members)
	}
	return append(append([]int64{}, r.Members[turn:]...), r.Members[:turn]...), nil
}

func floorDiv(a, b int) int {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

// SetRota replaces a team's on-call rota. Members must be enabled
// supervisors or administrators in the team: they are woken at night.
func (s *Service) SetRota(ctx context.Context, teamID int64, r Rota) (Rota, error) {
	r.TeamID = teamID
	r.Members = dedupe(r.Members)
	if _, err := r.Turns(time.Unix(0, 0)); err != nil {
		return Rota{}, err
	}
	if len(r.Members) > 50 {
		return Rota{}, apperr.Field("members", "oncall.members_invalid", "at most 50 people take turns")
	}
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		if _, err := s.Team(ctx, teamID); err != nil {
			return err
		}
		for _, id := range r.Members {
			a, err := s.Ref(ctx, id)
			if apperr.KindOf(err) == apperr.NotFound {
				return apperr.Field("members", "oncall.member_unknown", "agent %d does not exist", id)
			}
			if err != nil {
				return err
			}
			if a.Role == RoleAgent || a.Disabled {
				return apperr.Field("members", "oncall.member_role", "%s is not an enabled supervisor or administrator", a.Name)
			}
			if err := s.checkMember(ctx, teamID, id); err != nil {
				return apperr.Field("members", "oncall.member_not_in_team", "%s is not a member of this team", a.Name)
			}
		}
		q := s.db.Q(ctx)
		if _, err := q.ExecContext(ctx, `DELETE FROM oncall_rotas WHERE team_id = $1`, teamID); err != nil {
			return fmt.Errorf("agent: set rota: %w", err)
		}
		handover, _ := parseClock("handover", r.Handover, false)
		start, _ := parseDay("starts_on", r.StartsOn)
		_, err := q.ExecContext(ctx, `INSERT INTO oncall_rotas (team_id, time_zone, starts_on, handover_minute, period_days, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6)`, teamID, r.TimeZone, start.String(), handover, r.PeriodDays, db.Millis(s.now()))
		if err != nil {
			return fmt.Errorf("agent: set rota: %w", err)
		}
		for i, id := range r.Members {
			if _, err := q.ExecContext(ctx, `INSERT INTO oncall_members (team_id, position, agent_id) VALUES ($1, $2, $3)`, teamID, i, id); err != nil {
				return fmt.Errorf("agent: set rota: %w", err)
			}
		}
		return s.audit.Record(ctx, "oncall.set", "team", teamID, map[string]any{"members": r.Members, "starts_on": start.String(),
			"handover": r.Handover, "period_days": r.PeriodDays, "time_zone": r.TimeZone})
	})
	if err != nil {
		return Rota{}, err
	}
	return s.Rota(ctx, teamID)
}

// Rota returns a team's on-call rota.
func (s *Service) Rota(ctx context.Context, teamID int64) (Rota, error) {
	r := Rota{TeamID: teamID, Members: []int64{}}
	var handover, updated int64
	err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT time_zone, starts_on, handover_minute, period_days, updated_at
		FROM oncall_rotas WHERE team_id = $1`, teamID).Scan(&r.TimeZone, &r.StartsOn, &handover, &r.PeriodDays, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return Rota{}, apperr.NotFoundf("oncall.not_found", "team %d has no on-call rota", teamID)
	}
	if err != nil {
		return Rota{}, fmt.Errorf("agent: rota: %w", err)
	}
	r.Handover, r.UpdatedAt = formatClock(int(handover)), db.Time(updated)
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT agent_id FROM oncall_members WHERE team_id = $1 ORDER BY position`, teamID)
	if err != nil {
		return Rota{}, fmt.Errorf("agent: rota: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return Rota{}, fmt.Errorf("agent: rota: %w", err)
		}
		r.Members = append(r.Members, id)
	}
	return r, rows.Err()
}

// OnCall returns the supervisor on call for a team at instant at: the
// rota's current turn, or the next member when that one has since been
// disabled or lost the supervisor role. Not found when the team has no
// rota or nobody in it can be called.
func (s *Service) OnCall(ctx context.Context, teamID int64, at time.Time) (Agent, error) {
	r, err := s.Rota(ctx, teamID)
	if err != nil {
		return Agent{}, err
	}
	turns, err := r.Turns(at)
	if err != nil {
		return Agent{}, fmt.Errorf("agent: team %d rota: %w", teamID, err)
	}
	for _, id := range turns {
		a, err := s.ByID(ctx, id)
		if apperr.KindOf(err) == apperr.NotFound {
			continue
		}
		if err != nil {
			return Agent{}, err
		}
		if !a.Disabled && a.Role != RoleAgent {
			return a, nil
		}
	}
	return Agent{}, apperr.NotFoundf("oncall.nobody", "nobody in team %d's rota can be called", teamID)
}
