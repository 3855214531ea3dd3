package trust

import (
	"context"
	"time"

	"vigil/internal/apperr"
	"vigil/internal/db"
)

// AccessAlert is an agent opening unusually many customer profiles.
type AccessAlert struct {
	AgentID  int64 `json:"agent_id"`
	Profiles int   `json:"profiles"` // distinct customers in the last hour
	Limit    int   `json:"limit"`
	Blocked  bool  `json:"blocked"` // at the limit: further profiles are refused
}

// alertShare is the part of the hourly limit at which supervisors are
// alerted, before anything is refused.
const alertShare = 0.8

// ViewProfile records that agentID opened customerID's profile, and
// refuses once the agent has opened more distinct customers in the last
// hour than the policy allows. One bribed account cannot walk the
// customer base; reopening the same customer costs nothing.
func (s *Service) ViewProfile(ctx context.Context, agentID, customerID int64) error {
	return s.ViewProfiles(ctx, agentID, []int64{customerID})
}

// ViewProfiles counts every customer of a list page at once: a page that
// would take the agent past the limit is refused whole.
func (s *Service) ViewProfiles(ctx context.Context, agentID int64, customerIDs []int64) error {
	limit := s.policy.ProfilesPerHour
	if limit <= 0 || agentID == 0 || len(customerIDs) == 0 {
		return nil
	}
	now := s.now()
	since := db.Millis(now.Add(-time.Hour))
	blocked := false
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		q := s.db.Q(ctx)
		n, err := s.distinctViews(ctx, agentID, since)
		if err != nil {
			return err
		}
		var fresh []int64
		for _, id := range customerIDs {
			var seen int
			if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM profile_views WHERE agent_id = $1 AND customer_id = $2 AND viewed_at >= $3`,
				agentID, id, since).Scan(&seen); err != nil {
				return wrap("profile views", err)
			}
			if seen == 0 && !containsID(fresh, id) {
				fresh = append(fresh, id)
			}
		}
		if len(fresh) > 0 && n+len(fresh) > limit {
			blocked = true
			return s.audit.Record(ctx, "trust.bulk_access_blocked", "agent", agentID, map[string]any{"customers": len(fresh), "profiles": n, "limit": limit})
		}
		for _, id := range customerIDs {
			if _, err := q.ExecContext(ctx, `INSERT INTO profile_views (agent_id, customer_id, viewed_at) VALUES ($1, $2, $3)`,
				agentID, id, db.Millis(now)); err != nil {
				return wrap("record view", err)
			}
		}
		alertAt := int(float64(limit) * alertShare)
		if n < alertAt && n+len(fresh) >= alertAt {
			return s.audit.Record(ctx, "trust.bulk_access_alert", "agent", agentID, map[string]any{"profiles": n + len(fresh), "limit": limit})
		}
		return nil
	})
	if err == nil && blocked {
		return apperr.New(apperr.TooMany, "trust.bulk_access", "you opened %d customer profiles in the last hour; a supervisor has been alerted", limit)
	}
	return err
}

func containsID(ids []int64, id int64) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

func (s *Service) distinctViews(ctx context.Context, agentID, since int64) (int, error) {
	var n int
	err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT COUNT(DISTINCT customer_id) FROM profile_views WHERE agent_id = $1 AND viewed_at >= $2`,
		agentID, since).Scan(&n)
	return n, wrap("profile views", err)
}

// AccessAlerts lists agents at or above the alert share of the hourly
// limit right now, most profiles first, for supervisors.
func (s *Service) AccessAlerts(ctx context.Context) ([]AccessAlert, error) {
	limit := s.policy.ProfilesPerHour
	out := []AccessAlert{}
	if limit <= 0 {
		return out, nil
	}
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT agent_id, COUNT(DISTINCT customer_id) AS n FROM profile_views
		WHERE viewed_at >= $1 GROUP BY agent_id HAVING COUNT(DISTINCT customer_id) >= $2 ORDER BY n DESC, agent_id`,
		db.Millis(s.now().Add(-time.Hour)), int(float64(limit)*alertShare))
	if err != nil {
		return nil, wrap("access alerts", err)
	}
	defer rows.Close()
	for rows.Next() {
		var a AccessAlert
		if err := rows.Scan(&a.AgentID, &a.Profiles); err != nil {
			return nil, wrap("access alerts", err)
		}
		a.Limit, a.Blocked = limit, a.Profiles >= limit
		out = append(out, a)
	}
	return out, wrap("access alerts", rows.Err())
}
