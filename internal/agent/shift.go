package agent

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	// Shift math needs the IANA database even on hosts (containers) that
	// ship without /usr/share/zoneinfo.
	_ "time/tzdata"

	"vigil/internal/apperr"
)

// Shift is a recurring weekly shift of an agent in a team. Start and End
// are local wall-clock times in TimeZone, so a 09:00 shift in London
// starts at 09:00 on both sides of a clock change; an End at or before
// Start means the shift runs past midnight into the next day (08:00 to
// 08:00 is a day-long shift). Weekdays
// are the days the shift starts on, in its own time zone.
type Shift struct {
	ID        int64     `json:"id"`
	TeamID    int64     `json:"team_id"`
	AgentID   int64     `json:"agent_id"`
	Weekdays  []string  `json:"weekdays"`
	Start     string    `json:"start"`
	End       string    `json:"end"`
	TimeZone  string    `json:"time_zone"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// ExceptionKind says whether an exception removes or adds work.
type ExceptionKind string

const (
	// Off cancels the agent's shifts in the team that start on the days
	// FirstDay to LastDay (in each shift's time zone). A night shift that
	// started the evening before still runs to its end.
	Off ExceptionKind = "off"
	// Extra adds a one-off shift from Start to End on each day FirstDay to
	// LastDay in TimeZone.
	Extra ExceptionKind = "extra"
)

// Exception is a change to an agent's regular shifts in a team.
type Exception struct {
	ID        int64         `json:"id"`
	TeamID    int64         `json:"team_id"`
	AgentID   int64         `json:"agent_id"`
	Kind      ExceptionKind `json:"kind"`
	FirstDay  string        `json:"first_day"`
	LastDay   string        `json:"last_day"`
	Start     string        `json:"start,omitempty"`
	End       string        `json:"end,omitempty"`
	TimeZone  string        `json:"time_zone,omitempty"`
	Note      string        `json:"note"`
	CreatedAt time.Time     `json:"created_at"`
}

// Interval is a span of real time, start included, end excluded.
type Interval struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// weekdayNames are the JSON names of the days, indexed by time.Weekday.
var weekdayNames = []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// Shift times are quarter hours: every time zone in use today is a whole
// number of quarter hours from UTC, so all shift edges fall on a UTC
// quarter-hour grid and the coverage grid can count in 15-minute slots.
const slot = 15 * time.Minute

const dayLayout = "2006-01-02"

// rule is a shift or exception in the form the math works on.
type rule struct {
	agent, team int64
	days        uint8 // bit per time.Weekday; all bits for exceptions
	start, end  int   // minutes after local midnight
	loc         *time.Location
	first, last civil // the days an extra shift or a day off covers
}

// civil is a calendar date without a time zone, as days since 1970-01-01,
// so stepping through days is integer arithmetic.
type civil int64

func civilOf(t time.Time) civil {
	y, m, d := t.Date()
	return civil(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

func (c civil) time() time.Time { return time.Unix(int64(c)*86400, 0).UTC() }

func (c civil) add(days int) civil { return c + civil(days) }

func (c civil) before(o civil) bool { return c < o }

// weekday: 1970-01-01 was a Thursday.
func (c civil) weekday() time.Weekday { return time.Weekday((int64(c)%7 + 7 + 4) % 7) }

func (c civil) String() string { return c.time().Format(dayLayout) }

func parseDay(field, s string) (civil, error) {
	t, err := time.Parse(dayLayout, s)
	if err != nil {
		return 0, apperr.Field(field, "shift.day_invalid", "must be a date like 2026-12-24")
	}
	return civilOf(t), nil
}

// parseClock reads "HH:MM" on the quarter hour; "24:00" is allowed as an
// end (midnight at the end of the day).
func parseClock(field, s string, end bool) (int, error) {
	digit := func(i int) int {
		if c := s[i]; c >= '0' && c <= '9' {
			return int(c - '0')
		}
		return -100
	}
	bad := func() error {
		return apperr.Field(field, "shift.time_invalid", "must be a time like 09:00 on the quarter hour")
	}
	if len(s) != 5 || s[2] != ':' {
		return 0, bad()
	}
	h, m := digit(0)*10+digit(1), digit(3)*10+digit(4)
	if h < 0 || m < 0 || m > 59 || m%15 != 0 || h > 24 || h == 24 && (m != 0 || !end) {
		return 0, bad()
	}
	return h*60 + m, nil
}

func formatClock(min int) string { return fmt.Sprintf("%02d:%02d", min/60, min%60) }

var locations sync.Map // name → *time.Location; loading reads the tz database

// Location loads an IANA time zone by name. "UTC" is accepted; "Local" and
// the empty name are not, because they would mean the server's zone.
func Location(field, name string) (*time.Location, error) {
	if l, ok := locations.Load(name); ok {
		return l.(*time.Location), nil
	}
	if name == "" || name == "Local" || len(name) > 64 {
		return nil, apperr.Field(field, "shift.time_zone_invalid", "must be an IANA time zone such as Europe/London")
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, apperr.Field(field, "shift.time_zone_invalid", "must be an IANA time zone such as Europe/London")
	}
	locations.Store(name, loc)
	return loc, nil
}

// parseWeekdays turns ["mon", "fri"] into a bit set.
func parseWeekdays(days []string) (uint8, error) {
	var bits uint8
	for _, d := range days {
		i := slices.Index(weekdayNames, strings.ToLower(d))
		if i < 0 {
			return 0, apperr.Field("weekdays", "shift.weekday_invalid", "unknown weekday %q; use mon, tue, wed, thu, fri, sat, sun", d)
		}
		bits |= 1 << i
	}
	if bits == 0 {
		return 0, apperr.Field("weekdays", "shift.weekdays_required", "name at least one weekday")
	}
	return bits, nil
}

// weekdayList is the canonical, Monday-first form of a bit set.
func weekdayList(bits uint8) []string {
	out := []string{}
	for _, i := range []int{1, 2, 3, 4, 5, 6, 0} {
		if bits&(1<<i) != 0 {
			out = append(out, weekdayNames[i])
		}
	}
	return out
}

func (s Shift) rule() (rule, error) {
	days, err := parseWeekdays(s.Weekdays)
	if err != nil {
		return rule{}, err
	}
	r := rule{agent: s.AgentID, team: s.TeamID, days: days}
	if r.start, r.end, err = clockPair(s.Start, s.End); err != nil {
		return rule{}, err
	}
	if r.loc, err = Location("time_zone", s.TimeZone); err != nil {
		return rule{}, err
	}
	return r, nil
}

func clockPair(start, end string) (int, int, error) {
	a, err := parseClock("start", start, false)
	if err != nil {
		return 0, 0, err
	}
	b, err := parseClock("end", end, true)
	if err != nil {
		return 0, 0, err
	}
	return a, b, nil
}

// maxExceptionDays bounds one exception, so a typo cannot schedule years.
const maxExceptionDays = 366

func (e Exception) rule() (rule, error) {
	r := rule{agent: e.AgentID, team: e.TeamID, days: 0x7f}
	var err error
	if r.first, err = parseDay("first_day", e.FirstDay); err != nil {
		return rule{}, err
	}
	if r.last, err = parseDay("last_day", e.LastDay); err != nil {
		return rule{}, err
	}
	if r.last.before(r.first) || int(r.last-r.first) >= maxExceptionDays {
		return rule{}, apperr.Field("last_day", "shift.range_invalid", "must be on or after first_day and within %d days of it", maxExceptionDays)
	}
	switch e.Kind {
	case Off:
		for field, v := range map[string]string{"start": e.Start, "end": e.End, "time_zone": e.TimeZone} {
			if v != "" {
				return rule{}, apperr.Field(field, "shift.off_has_times", "a day off has no start, end or time zone; it cancels the shifts that start on those days")
			}
		}
	case Extra:
		if r.start, r.end, err = clockPair(e.Start, e.End); err != nil {
			return rule{}, err
		}
		if r.loc, err = Location("time_zone", e.TimeZone); err != nil {
			return rule{}, err
		}
	default:
		return rule{}, apperr.Field("kind", "shift.kind_invalid", "must be off or extra")
	}
	return r, nil
}

// localTime is the instant a wall-clock time names on a local date, the way
// people read a schedule across clock changes: a time the clocks skip
// (02:30 on a spring-forward night) moves forward by the gap (to 03:30); a
// time that happens twice (01:30 on a fall-back night) is its first
// occurrence. time.Date leaves both cases unspecified.
func localTime(day civil, min int, loc *time.Location) time.Time {
	wall := day.time().Add(time.Duration(min) * time.Minute) // the wall clock, read as UTC
	_, before := wall.Add(-24 * time.Hour).In(loc).Zone()
	if _, after := wall.Add(24 * time.Hour).In(loc).Zone(); before == after {
		return wall.Add(-time.Duration(before) * time.Second) // no clock change near: the common case
	}
	var best time.Time
	for _, probe := range []time.Duration{-24 * time.Hour, 0, 24 * time.Hour} {
		_, off := wall.Add(probe).In(loc).Zone()
		t := wall.Add(-time.Duration(off) * time.Second)
		if sameWall(t.In(loc), wall) && (best.IsZero() || t.Before(best)) {
			best = t
		}
	}
	if !best.IsZero() {
		return best
	}
	// Skipped: keep the offset in force before the change.
	return wall.Add(-time.Duration(before) * time.Second)
}

func sameWall(local, wall time.Time) bool {
	y, m, d := local.Date()
	wy, wm, wd := wall.Date()
	return y == wy && m == wm && d == wd && local.Hour() == wall.Hour() && local.Minute() == wall.Minute()
}

// occurrence is the real-time span of a rule started on a local day.
func (r rule) occurrence(day civil) Interval {
	endDay := day
	if r.end <= r.start {
		endDay = day.add(1)
	}
	return Interval{Start: localTime(day, r.start, r.loc), End: localTime(endDay, r.end, r.loc)}
}

// Plan is a team's shifts and exceptions prepared for repeated questions
// about who works when.
type Plan struct {
	shifts []rule
	extras []rule
	off    map[[2]int64][]rule // (agent, team) → days off
}

// NewPlan checks and prepares shifts and exceptions.
func NewPlan(shifts []Shift, exceptions []Exception) (*Plan, error) {
	p := &Plan{off: map[[2]int64][]rule{}}
	for _, s := range shifts {
		r, err := s.rule()
		if err != nil {
			return nil, fmt.Errorf("shift %d: %w", s.ID, err)
		}
		p.shifts = append(p.shifts, r)
	}
	for _, e := range exceptions {
		r, err := e.rule()
		if err != nil {
			return nil, fmt.Errorf("exception %d: %w", e.ID, err)
		}
		if e.Kind == Off {
			k := [2]int64{r.agent, r.team}
			p.off[k] = append(p.off[k], r)
		} else {
			p.extras = append(p.extras, r)
		}
	}
	return p, nil
}

func (p *Plan) isOff(r rule, day civil) bool {
	for _, o := range p.off[[2]int64{r.agent, r.team}] {
		if !day.before(o.first) && !o.last.before(day) {
			return true
		}
	}
	return false
}

// Work returns each agent's working time overlapping [from, to), merged so
// that overlapping shifts in several teams count once, sorted by start.
func (p *Plan) Work(from, to time.Time) map[int64][]Interval {
	out := map[int64][]Interval{}
	add := func(agent int64, iv Interval) {
		if iv.End.After(from) && iv.Start.Before(to) && iv.Start.Before(iv.End) {
			out[agent] = append(out[agent], Interval{Start: maxTime(iv.Start, from), End: minTime(iv.End, to)})
		}
	}
	for _, r := range p.shifts {
		// A shift starts at most a day and a few hours before it ends, so
		// starting a day early catches night shifts running into from.
		for day, last := civilOf(from.In(r.loc)).add(-1), civilOf(to.In(r.loc)); !last.before(day); day = day.add(1) {
			if r.days&(1<<day.weekday()) == 0 || p.isOff(r, day) {
				continue
			}
			add(r.agent, r.occurrence(day))
		}
	}
	for _, r := range p.extras {
		first, last := maxCivil(r.first, civilOf(from.In(r.loc)).add(-1)), minCivil(r.last, civilOf(to.In(r.loc)))
		for day := first; !last.before(day); day = day.add(1) {
			add(r.agent, r.occurrence(day))
		}
	}
	for a, ivs := range out {
		out[a] = merge(ivs)
	}
	return out
}

// ScheduledAt lists the agents (by id, ascending) working at instant at.
func (p *Plan) ScheduledAt(at time.Time) []int64 {
	work := p.Work(at, at.Add(time.Nanosecond))
	ids := make([]int64, 0, len(work))
	for id := range work {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

func merge(ivs []Interval) []Interval {
	sort.Slice(ivs, func(i, j int) bool { return ivs[i].Start.Before(ivs[j].Start) })
	out := ivs[:1]
	for _, iv := range ivs[1:] {
		last := &out[len(out)-1]
		if !iv.Start.After(last.End) {
			last.End = maxTime(last.End, iv.End)
			continue
		}
		out = append(out, iv)
	}
	return out
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func maxCivil(a, b civil) civil {
	if a.before(b) {
		return b
	}
	return a
}

func minCivil(a, b civil) civil {
	if a.before(b) {
		return a
	}
	return b
}
