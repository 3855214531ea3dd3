package sla

import (
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"vigil/internal/apperr"
)

// Metric names one SLA clock.
type Metric string

const (
	FirstResponse Metric = "first_response" // from arrival to the first public agent reply
	NextResponse  Metric = "next_response"  // from a customer's message to the agent's next reply
	Resolution    Metric = "resolution"     // from arrival (or a reopening) to solved
)

// Metrics in display order.
var Metrics = []Metric{FirstResponse, NextResponse, Resolution}

// Action is an escalation step taken when a target is breached.
type Action string

const (
	NotifySupervisor Action = "notify_supervisor" // an internal note and a live alert for supervisors
	RaisePriority    Action = "raise_priority"    // one step up, at most urgent
	Reassign         Action = "reassign"          // back to the queue, so routing picks someone online
)

// Actions lists the escalation actions a policy may name.
var Actions = []Action{NotifySupervisor, RaisePriority, Reassign}

// Conditions select the conversations a policy applies to; an empty list
// matches anything.
type Conditions struct {
	Priorities []string `json:"priorities"`
	MinVIPTier int      `json:"min_vip_tier"`
	Channels   []string `json:"channels"`
	Categories []string `json:"categories"`
	TeamIDs    []int64  `json:"team_ids"`
}

// Targets are the allowed durations, in minutes; zero means no target.
type Targets struct {
	FirstResponse int `json:"first_response_minutes"`
	NextResponse  int `json:"next_response_minutes"`
	Resolution    int `json:"resolution_minutes"`
}

// Of returns the target for one metric.
func (t Targets) Of(m Metric) time.Duration {
	switch m {
	case FirstResponse:
		return time.Duration(t.FirstResponse) * time.Minute
	case NextResponse:
		return time.Duration(t.NextResponse) * time.Minute
	case Resolution:
		return time.Duration(t.Resolution) * time.Minute
	}
	return 0
}

// Policy is one row of the SLA table. Policies are tried in Position
// order; the first whose conditions match applies.
type Policy struct {
	ID         int64      `json:"id"`
	Name       string     `json:"name"`
	Position   int        `json:"position"`
	Enabled    bool       `json:"enabled"`
	Conditions Conditions `json:"conditions"`
	Targets    Targets    `json:"targets"`
	// BusinessHours runs the clocks on the calendar; otherwise in
	// calendar time around the clock.
	BusinessHours bool  `json:"business_hours"`
	CalendarID    int64 `json:"calendar_id,omitempty"`
	// WarnBefore is how many minutes before a breach the warning fires.
	WarnBefore int      `json:"warn_before_minutes"`
	OnBreach   []Action `json:"on_breach"`

	// Calendar is the resolved calendar (AlwaysOpen when BusinessHours is
	// off or no calendar is set).
	Calendar Calendar `json:"-"`
}

// Facts are what a policy's conditions look at.
type Facts struct {
	Priority string
	VIPTier  int
	Channel  string
	Category string
	TeamID   int64
}

// Matches reports whether the policy applies to a conversation.
func (p Policy) Matches(f Facts) bool {
	c := p.Conditions
	switch {
	case !p.Enabled:
		return false
	case len(c.Priorities) > 0 && !slices.Contains(c.Priorities, f.Priority):
		return false
	case f.VIPTier < c.MinVIPTier:
		return false
	case len(c.Channels) > 0 && !slices.Contains(c.Channels, f.Channel):
		return false
	case len(c.Categories) > 0 && !slices.Contains(c.Categories, f.Category):
		return false
	case len(c.TeamIDs) > 0 && !slices.Contains(c.TeamIDs, f.TeamID):
		return false
	}
	return true
}

// Match returns the first policy (in position order) that applies.
func Match(ps []Policy, f Facts) (Policy, bool) {
	for _, p := range ps {
		if p.Matches(f) {
			return p, true
		}
	}
	return Policy{}, false
}

// Vocabulary lists the values conditions may name; the ticket package
// owns them, and app passes them in.
type Vocabulary struct {
	Priorities, Channels, Categories []string
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// Validate checks a policy against the vocabulary.
func (p *Policy) Validate(v Vocabulary) error {
	p.Name = strings.TrimSpace(p.Name)
	if p.Name == "" || utf8.RuneCountInString(p.Name) > 100 {
		return apperr.Field("name", "sla.name_invalid", "must be 1-100 characters")
	}
	c := &p.Conditions
	for _, f := range []struct {
		field string
		got   []string
		allow []string
	}{{"conditions.priorities", c.Priorities, v.Priorities}, {"conditions.channels", c.Channels, v.Channels},
		{"conditions.categories", c.Categories, v.Categories}} {
		for _, g := range f.got {
			if !slices.Contains(f.allow, g) {
				return apperr.Field(f.field, "sla.condition_invalid", "%q is not one of %v", g, f.allow)
			}
		}
	}
	if c.MinVIPTier < 0 || c.MinVIPTier > 9 {
		return apperr.Field("conditions.min_vip_tier", "sla.vip_invalid", "must be 0-9")
	}
	const maxMinutes = 365 * 24 * 60
	for _, t := range []struct {
		field string
		v     int
	}{{"targets.first_response_minutes", p.Targets.FirstResponse}, {"targets.next_response_minutes", p.Targets.NextResponse},
		{"targets.resolution_minutes", p.Targets.Resolution}, {"warn_before_minutes", p.WarnBefore}} {
		if t.v < 0 || t.v > maxMinutes {
			return apperr.Field(t.field, "sla.minutes_invalid", "must be 0-%d minutes", maxMinutes)
		}
	}
	if p.Targets == (Targets{}) {
		return apperr.Field("targets", "sla.targets_required", "at least one target is required")
	}
	for _, a := range p.OnBreach {
		if !slices.Contains(Actions, a) {
			return apperr.Field("on_breach", "sla.action_invalid", "%q is not one of %v", a, Actions)
		}
	}
	var actions []Action
	for _, a := range p.OnBreach {
		if !slices.Contains(actions, a) {
			actions = append(actions, a)
		}
	}
	p.OnBreach = nonNil(actions)
	c.Priorities, c.Channels, c.Categories, c.TeamIDs = nonNil(c.Priorities), nonNil(c.Channels), nonNil(c.Categories), nonNil(c.TeamIDs)
	if p.BusinessHours && p.CalendarID == 0 {
		return apperr.Field("calendar_id", "sla.calendar_required", "business hours need a calendar")
	}
	if !p.BusinessHours {
		p.CalendarID = 0
	}
	return nil
}
