package report

import (
	"context"
	"math"
	"slices"
	"strconv"
	"time"

	"vigil/internal/apperr"
	"vigil/internal/ticket"
)

// Deflection is what reports read from the bot's turn log: how many
// conversations it took part in and how many it resolved alone.
type Deflection interface {
	Deflection(ctx context.Context, from, to time.Time) (conversations, resolved int, err error)
}

// MaxDays is the longest range one report covers.
const MaxDays = 366

// Query selects a report: local dates From..To inclusive in TZ, broken
// down By a dimension, with Night as the window the night-shift view
// compares against the rest of the day.
type Query struct {
	From, To time.Time // dates; only year, month and day are read
	TZ       *time.Location
	By       Dimension
	Night    Window
}

// Window is a span of local hours [Start, End); Start > End wraps past
// midnight (22-06).
type Window struct {
	Start int `json:"start"`
	End   int `json:"end"`
}

// Contains reports whether a local hour falls in the window.
func (w Window) Contains(h int) bool {
	if w.Start <= w.End {
		return h >= w.Start && h < w.End
	}
	return h >= w.Start || h < w.End
}

// Span is the instant range a query covers.
func (q Query) Span() (from, to time.Time) {
	from = time.Date(q.From.Year(), q.From.Month(), q.From.Day(), 0, 0, 0, 0, q.TZ)
	to = time.Date(q.To.Year(), q.To.Month(), q.To.Day()+1, 0, 0, 0, 0, q.TZ)
	return from, to
}

func (q Query) validate() error {
	if q.TZ == nil {
		return apperr.Field("tz", "report.tz_invalid", "unknown time zone")
	}
	from, to := q.Span()
	if !from.Before(to) {
		return apperr.Field("to", "report.range_invalid", "the end date must not be before the start date")
	}
	if to.Sub(from) > MaxDays*24*time.Hour+time.Hour {
		return apperr.Field("to", "report.range_too_long", "a report covers at most %d days", MaxDays)
	}
	if q.By != ByAll && !slices.Contains(Dimensions, q.By) {
		return apperr.Field("by", "report.by_invalid", "must be one of %v", Dimensions)
	}
	if q.Night.Start < 0 || q.Night.Start > 23 || q.Night.End < 0 || q.Night.End > 24 || q.Night.Start == q.Night.End {
		return apperr.Field("night", "report.night_invalid", "the night window is two different hours from 0 to 24")
	}
	return nil
}

// Duration is a median and 90th percentile over Count durations, in
// seconds for JSON and CSV.
type Duration struct {
	Count  int     `json:"count"`
	Median float64 `json:"median_seconds"`
	P90    float64 `json:"p90_seconds"`
}

func durationOf(h Hist) Duration {
	return Duration{Count: h.Count(), Median: h.Quantile(0.5).Seconds(), P90: h.Quantile(0.9).Seconds()}
}

// Figures are the measures of one group of conversations. Rates are
// fractions from 0 to 1, nil when nothing was measured.
type Figures struct {
	In            int      `json:"conversations_in"`
	Solved        int      `json:"solved"`
	FirstResponse Duration `json:"first_response"`
	Resolution    Duration `json:"resolution"`
	SLAMet        int      `json:"sla_met"`
	SLABreached   int      `json:"sla_breached"`
	SLACompliance *float64 `json:"sla_compliance"`
	Reopened      int      `json:"reopened"`
	ReopenRate    *float64 `json:"reopen_rate"`
	CSATCount     int      `json:"csat_count"`
	CSATAverage   *float64 `json:"csat_average"`
	CSATSatisfied *float64 `json:"csat_satisfied"` // share of 4 and 5
	// Backlog is how many are waiting now (new, open, pending, on hold).
	Backlog int `json:"backlog"`
}

func ratio(a, b int) *float64 {
	if b == 0 {
		return nil
	}
	v := math.Round(float64(a)/float64(b)*10000) / 10000
	return &v
}

func figuresOf(c *cell) Figures {
	f := Figures{In: c.In, Solved: c.Solved, FirstResponse: durationOf(c.FRT), Resolution: durationOf(c.Res),
		SLAMet: c.SLAMet, SLABreached: c.SLABreached, SLACompliance: ratio(c.SLAMet, c.SLAMet+c.SLABreached),
		Reopened: c.Reopened, ReopenRate: ratio(c.Reopened, c.In), CSATCount: c.CSATN, CSATSatisfied: ratio(c.Good, c.CSATN)}
	if c.CSATN > 0 {
		v := math.Round(float64(c.CSATSum)/float64(c.CSATN)*100) / 100
		f.CSATAverage = &v
	}
	return f
}

// Row is one group of a breakdown.
type Row struct {
	Key string `json:"key"`
	Figures
}

// HeatCell is one local hour of one weekday (0 = Sunday).
type HeatCell struct {
	Weekday int `json:"weekday"`
	Hour    int `json:"hour"`
	Figures
}

// Night compares the night window with the rest of the day.
type Night struct {
	Window Window  `json:"window"`
	Inside Figures `json:"inside"`
	Rest   Figures `json:"rest"`
}

// Bot is the bot's share over the range.
type Bot struct {
	Conversations  int      `json:"conversations"`
	Resolved       int      `json:"resolved"`
	DeflectionRate *float64 `json:"deflection_rate"`
}

// Report is every figure of one query.
type Report struct {
	From    time.Time  `json:"from"`
	To      time.Time  `json:"to"`
	TZ      string     `json:"tz"`
	By      Dimension  `json:"by"`
	Total   Figures    `json:"total"`
	Rows    []Row      `json:"rows"`
	Heatmap []HeatCell `json:"heatmap"`
	Night   Night      `json:"night"`
	Bot     Bot        `json:"bot"`
}

// Run computes a report from the rollup. Hours are UTC hours, so in a
// zone with a half-hour offset a local hour's figures are those of the
// UTC hour it starts in.
func (s *Service) Run(ctx context.Context, q Query) (Report, error) {
	if q.By == "" {
		q.By = ByChannel
	}
	if err := q.validate(); err != nil {
		return Report{}, err
	}
	from, to := q.Span()
	fromHour := from.UnixMilli() / hourMs
	toHour := (to.UnixMilli() + hourMs - 1) / hourMs
	rep := Report{From: from, To: to, TZ: q.TZ.String(), By: q.By, Night: Night{Window: q.Night}}
	total, inside, rest := newCell(), newCell(), newCell()
	var heat [7][24]*cell
	for d := range heat {
		for h := range heat[d] {
			heat[d][h] = newCell()
		}
	}
	err := s.read(ctx, ByAll, fromHour, toHour, func(r hourRow) {
		local := time.UnixMilli(r.hour * hourMs).In(q.TZ)
		total.add(r.cell)
		heat[local.Weekday()][local.Hour()].add(r.cell)
		if q.Night.Contains(local.Hour()) {
			inside.add(r.cell)
		} else {
			rest.add(r.cell)
		}
	})
	if err != nil {
		return Report{}, err
	}
	groups := map[string]*cell{}
	err = s.read(ctx, q.By, fromHour, toHour, func(r hourRow) {
		g := groups[r.value]
		if g == nil {
			g = newCell()
			groups[r.value] = g
		}
		g.add(r.cell)
	})
	if err != nil {
		return Report{}, err
	}
	backlog, err := s.backlog(ctx, q.By)
	if err != nil {
		return Report{}, err
	}
	for k := range backlog {
		if groups[k] == nil && k != "" {
			groups[k] = newCell()
		}
	}
	rep.Total = figuresOf(total)
	for _, n := range backlog {
		rep.Total.Backlog += n
	}
	for k, c := range groups {
		f := figuresOf(c)
		f.Backlog = backlog[k]
		rep.Rows = append(rep.Rows, Row{Key: k, Figures: f})
	}
	slices.SortFunc(rep.Rows, func(a, b Row) int {
		if a.In != b.In {
			return b.In - a.In
		}
		return compareKeys(a.Key, b.Key)
	})
	for d := range heat {
		for h := range heat[d] {
			rep.Heatmap = append(rep.Heatmap, HeatCell{Weekday: d, Hour: h, Figures: figuresOf(heat[d][h])})
		}
	}
	rep.Night.Inside, rep.Night.Rest = figuresOf(inside), figuresOf(rest)
	if s.o.Bot != nil {
		n, resolved, err := s.o.Bot.Deflection(ctx, from, to)
		if err != nil {
			return Report{}, err
		}
		rep.Bot = Bot{Conversations: n, Resolved: resolved, DeflectionRate: ratio(resolved, n)}
	}
	return rep, nil
}

// compareKeys orders numeric keys (team, agent, VIP tier) by number.
func compareKeys(a, b string) int {
	x, err1 := strconv.ParseInt(a, 10, 64)
	y, err2 := strconv.ParseInt(b, 10, 64)
	if err1 == nil && err2 == nil {
		return int(x - y)
	}
	if a < b {
		return -1
	}
	if a > b {
		return 1
	}
	return 0
}

// backlogFields is the conversation field each dimension's backlog is
// counted by; VIP tiers are counted by customer, then added up by tier.
var backlogFields = map[Dimension]string{
	ByChannel: ticket.BacklogChannel, ByLanguage: ticket.BacklogLanguage, ByCategory: ticket.BacklogCategory,
	ByTeam: ticket.BacklogTeam, ByAgent: ticket.BacklogAssignee, ByVIP: ticket.BacklogCustomer, ByAll: ticket.BacklogTotal,
}

// backlog counts the conversations waiting now, by the dimension's value.
func (s *Service) backlog(ctx context.Context, by Dimension) (map[string]int, error) {
	counts, err := s.o.Facts.Backlog(ctx, backlogFields[by])
	if err != nil || by != ByVIP {
		return counts, err
	}
	tiers, err := s.o.Customers.VIPTiers(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string]int{}
	for cust, n := range counts {
		id, _ := strconv.ParseInt(cust, 10, 64)
		out[strconv.Itoa(tiers[id])] += n
	}
	return out, nil
}
