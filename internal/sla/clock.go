package sla

import (
	"slices"
	"time"
)

// Phase is how a conversation's status bears on its clocks.
type Phase string

const (
	Running Phase = "running" // new, open, on hold: the desk owes the next step
	Paused  Phase = "paused"  // pending: waiting on the customer
	Stopped Phase = "stopped" // solved or closed
)

// Clock is one running SLA clock: when it started and how much working
// time it spent paused. Its deadline is derived, so a policy change
// re-targets it without losing the pauses.
type Clock struct {
	Start  time.Time     `json:"start"`
	Paused time.Duration `json:"paused"`
}

// Clocks is a conversation's SLA state, stored with the conversation.
type Clocks struct {
	Phase       Phase            `json:"phase"`
	Running     map[Metric]Clock `json:"running,omitempty"`
	PausedSince *time.Time       `json:"paused_since,omitempty"`
	// Fired records each alert that has fired, by alert key, with the
	// deadline it fired for, so a restart or a second watcher never fires
	// the same alert twice, while a new deadline for the same metric can.
	Fired map[string]int64 `json:"fired,omitempty"`
}

// Step is what happened to a conversation, as the clocks see it.
type Step struct {
	At time.Time
	// Phase is the conversation's phase after the step.
	Phase Phase
	// Opened marks the conversation's creation.
	Opened bool
	// CustomerWrote and AgentReplied mark a public message.
	CustomerWrote, AgentReplied bool
	// Answered says the conversation has had a first response (after
	// this step).
	Answered bool
}

// Advance applies one step to the clocks. It is pure: the same clocks and
// steps give the same result, whatever the time of day.
func Advance(c Clocks, cal Calendar, s Step) Clocks {
	c = c.clone()
	if c.Phase == "" {
		c.Phase = Stopped
	}
	// Close a pause first: the paused working time extends every clock.
	if c.PausedSince != nil && s.Phase != Paused {
		d := cal.Elapsed(*c.PausedSince, s.At)
		for m, cl := range c.Running {
			cl.Paused += d
			c.Running[m] = cl
		}
		c.PausedSince = nil
	}
	prev := c.Phase
	c.Phase = s.Phase
	switch {
	case s.Phase == Stopped:
		c.Running, c.PausedSince = nil, nil
		return c
	case s.Opened:
		c.start(FirstResponse, s.At)
		c.start(Resolution, s.At)
	case prev == Stopped:
		// Reopened: a fresh resolution target, and a first response if
		// nobody has answered yet.
		c.start(Resolution, s.At)
		if !s.Answered {
			c.start(FirstResponse, s.At)
		}
	}
	if s.AgentReplied {
		delete(c.Running, FirstResponse)
		delete(c.Running, NextResponse)
	}
	if s.CustomerWrote && s.Answered && !s.AgentReplied {
		if _, ok := c.Running[NextResponse]; !ok {
			c.start(NextResponse, s.At)
		}
	}
	if s.Phase == Paused && c.PausedSince == nil {
		at := s.At
		c.PausedSince = &at
	}
	return c
}

func (c *Clocks) start(m Metric, at time.Time) {
	if c.Running == nil {
		c.Running = map[Metric]Clock{}
	}
	c.Running[m] = Clock{Start: at}
}

func (c Clocks) clone() Clocks {
	out := c
	if c.Running != nil {
		out.Running = make(map[Metric]Clock, len(c.Running))
		for k, v := range c.Running {
			out.Running[k] = v
		}
	}
	if c.Fired != nil {
		out.Fired = make(map[string]int64, len(c.Fired))
		for k, v := range c.Fired {
			out.Fired[k] = v
		}
	}
	return out
}

// Deadline is a running clock's breach instant.
type Deadline struct {
	Metric Metric    `json:"metric"`
	Due    time.Time `json:"due"`
}

// Deadlines returns the running clocks' breach instants, earliest first.
// A paused conversation has none: nothing can breach while the customer
// has the ball.
func Deadlines(c Clocks, p Policy) []Deadline {
	if c.PausedSince != nil || c.Phase != Running {
		return nil
	}
	var out []Deadline
	for _, m := range Metrics {
		cl, ok := c.Running[m]
		target := p.Targets.Of(m)
		if !ok || target <= 0 {
			continue
		}
		due, err := p.Calendar.Add(cl.Start, target+cl.Paused)
		if err != nil {
			continue // a calendar with no working time never breaches
		}
		out = append(out, Deadline{Metric: m, Due: due})
	}
	slices.SortFunc(out, func(a, b Deadline) int { return a.Due.Compare(b.Due) })
	return out
}

// Stage is an alert's kind.
type Stage string

const (
	Warning Stage = "warning"
	Breach  Stage = "breach"
)

// Alert is a warning or breach that is due at an instant.
type Alert struct {
	Metric Metric    `json:"metric"`
	Stage  Stage     `json:"stage"`
	At     time.Time `json:"at"`
	Due    time.Time `json:"due"` // the deadline the alert is about
}

// Key identifies the alert for the fired record.
func (a Alert) Key() string { return string(a.Metric) + ":" + string(a.Stage) }

// Alerts lists the warnings and breaches that have not fired yet, in
// time order.
func Alerts(c Clocks, p Policy) []Alert {
	var out []Alert
	warn := time.Duration(p.WarnBefore) * time.Minute
	for _, d := range Deadlines(c, p) {
		if warn > 0 {
			w := Alert{Metric: d.Metric, Stage: Warning, At: d.Due.Add(-warn), Due: d.Due}
			if !c.fired(w) && w.At.After(c.Running[d.Metric].Start) {
				out = append(out, w)
			}
		}
		if b := (Alert{Metric: d.Metric, Stage: Breach, At: d.Due, Due: d.Due}); !c.fired(b) {
			out = append(out, b)
		}
	}
	slices.SortStableFunc(out, func(a, b Alert) int { return a.At.Compare(b.At) })
	return out
}

func (c Clocks) fired(a Alert) bool {
	v, ok := c.Fired[a.Key()]
	return ok && v == a.Due.UnixMilli()
}

// Due splits the unfired alerts into those due at now and the instant the
// next one falls due (nil when none is pending). The watcher marks all
// due ones fired but announces only what Moot leaves: a warning whose
// breach is due too is moot.
func Due(c Clocks, p Policy, now time.Time) (due []Alert, next *time.Time) {
	for _, a := range Alerts(c, p) {
		if !a.At.After(now) {
			due = append(due, a)
			continue
		}
		at := a.At
		return due, &at
	}
	return due, nil
}

// MarkFired records alerts as fired.
func MarkFired(c Clocks, as []Alert) Clocks {
	c = c.clone()
	if c.Fired == nil {
		c.Fired = map[string]int64{}
	}
	for _, a := range as {
		c.Fired[a.Key()] = a.Due.UnixMilli()
	}
	return c
}

// Moot drops a warning that is due together with its own breach: the
// customer-visible fact is the breach.
func Moot(as []Alert) []Alert {
	out := make([]Alert, 0, len(as))
	for _, a := range as {
		if a.Stage == Warning && slices.ContainsFunc(as, func(b Alert) bool { return b.Stage == Breach && b.Metric == a.Metric }) {
			continue
		}
		out = append(out, a)
	}
	return out
}
