package report

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"vigil/internal/db"
	"vigil/internal/ticket"
)

// Dimension is what a report breaks its figures down by.
type Dimension string

const (
	ByAll      Dimension = "all"
	ByChannel  Dimension = "channel"
	ByLanguage Dimension = "language"
	ByTeam     Dimension = "team"
	ByAgent    Dimension = "agent"
	ByCategory Dimension = "category"
	ByVIP      Dimension = "vip"
)

// Dimensions lists the breakdowns a report offers.
var Dimensions = []Dimension{ByChannel, ByLanguage, ByTeam, ByAgent, ByCategory, ByVIP}

// lockRollup is the cluster-wide lock one refreshing instance holds.
const lockRollup int64 = 0x76_69_67_0b

const hourMs = int64(time.Hour / time.Millisecond)

// settle is how far behind the clock the watermark stays, so a
// transaction that stamped its rows just before a refresh and committed
// just after is still picked up by the next one.
const settle = time.Minute

// cell is one rollup row being built or read.
type cell struct {
	In, Solved           int
	FRT, Res             Hist
	SLAMet, SLABreached  int
	Reopened             int
	CSATN, CSATSum, Good int
}

func newCell() *cell { return &cell{FRT: Hist{}, Res: Hist{}} }

func (c *cell) add(o *cell) {
	c.In += o.In
	c.Solved += o.Solved
	c.FRT.Merge(o.FRT)
	c.Res.Merge(o.Res)
	c.SLAMet += o.SLAMet
	c.SLABreached += o.SLABreached
	c.Reopened += o.Reopened
	c.CSATN += o.CSATN
	c.CSATSum += o.CSATSum
	c.Good += o.Good
}

type rollKey struct {
	hour  int64
	dim   Dimension
	value string
}

// fact is what one conversation contributes: its facts from the
// conversation domain, its customer's VIP tier and its rating.
type fact struct {
	ticket.Fact
	vip    int
	rating int
}

func (f fact) values() [7]struct {
	dim   Dimension
	value string
} {
	return [7]struct {
		dim   Dimension
		value string
	}{
		{ByAll, ""}, {ByChannel, f.Channel}, {ByLanguage, f.Language}, {ByTeam, strconv.FormatInt(f.TeamID, 10)},
		{ByAgent, strconv.FormatInt(f.AssigneeID, 10)}, {ByCategory, f.Category}, {ByVIP, strconv.Itoa(f.vip)},
	}
}

// Refresh folds every change since the last refresh into the rollup: the
// hours touched by changed conversations, new ratings and new SLA events
// are recomputed from the conversations themselves, so running it twice
// or after a crash gives the same rows. It returns the hours rebuilt.
func (s *Service) Refresh(ctx context.Context) (int, error) {
	release, ok, err := s.o.DB.TryLock(ctx, lockRollup)
	if err != nil || !ok {
		return 0, err // another instance is refreshing
	}
	defer release()
	now := s.o.Now()
	var hours []int64
	err = s.o.DB.WithTx(ctx, func(ctx context.Context) error {
		var wm int64
		if err := s.o.DB.Q(ctx).QueryRowContext(ctx, `SELECT watermark FROM report_state WHERE id = 1`).Scan(&wm); err != nil {
			return fmt.Errorf("report: watermark: %w", err)
		}
		var err error
		if hours, err = s.touchedHours(ctx, wm); err != nil {
			return err
		}
		for _, run := range runs(hours) {
			if err := s.rebuild(ctx, run[0], run[1]); err != nil {
				return err
			}
		}
		next := db.Millis(now.Add(-settle))
		_, err = s.o.DB.Q(ctx).ExecContext(ctx, `UPDATE report_state SET watermark = $1 WHERE id = 1 AND watermark < $1`, next)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("report: refresh: %w", err)
	}
	return len(hours), nil
}

// touchedHours is the hours the conversation domain reports changed,
// plus the creation hours of conversations rated since the watermark.
func (s *Service) touchedHours(ctx context.Context, wm int64) ([]int64, error) {
	hours, err := s.o.Facts.ChangedHours(ctx, db.Time(wm))
	if err != nil {
		return nil, err
	}
	rows, err := s.o.DB.Q(ctx).QueryContext(ctx, `SELECT conversation_id FROM csat_surveys WHERE answered_at >= $1`, wm)
	if err != nil {
		return nil, fmt.Errorf("report: rated since: %w", err)
	}
	defer rows.Close()
	var rated []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("report: rated since: %w", err)
		}
		rated = append(rated, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("report: rated since: %w", err)
	}
	ratedHours, err := s.o.Facts.CreatedHours(ctx, rated)
	if err != nil {
		return nil, err
	}
	out := append(hours, ratedHours...)
	slices.Sort(out)
	return slices.Compact(out), nil
}

// runs groups sorted hours into [first, last] runs, so a first build over
// years of data is a few range scans rather than one query per hour.
func runs(hours []int64) [][2]int64 {
	var out [][2]int64
	for _, h := range hours {
		if n := len(out); n > 0 && h <= out[n-1][1]+24 {
			out[n-1][1] = h
			continue
		}
		out = append(out, [2]int64{h, h})
	}
	return out
}

// rebuild recomputes the rollup rows of hours first..last.
func (s *Service) rebuild(ctx context.Context, first, last int64) error {
	from, to := first*hourMs, (last+1)*hourMs
	cells := map[rollKey]*cell{}
	at := func(hour int64, dim Dimension, value string) *cell {
		k := rollKey{hour, dim, value}
		c := cells[k]
		if c == nil {
			c = newCell()
			cells[k] = c
		}
		return c
	}
	tiers, err := s.o.Customers.VIPTiers(ctx)
	if err != nil {
		return err
	}
	ratings, err := s.ratings(ctx, from)
	if err != nil {
		return err
	}
	scan := func(r ticket.FactRange, fn func(fact)) error {
		r.From, r.To = db.Time(from), db.Time(to)
		return s.o.Facts.Facts(ctx, r, func(tf ticket.Fact) {
			fn(fact{Fact: tf, vip: tiers[tf.CustomerID], rating: ratings[tf.ID]})
		})
	}
	// Figures of the hour a conversation was created in.
	err = scan(ticket.FactRange{}, func(f fact) {
		hour := db.Millis(f.Created) / hourMs
		for _, dv := range f.values() {
			c := at(hour, dv.dim, dv.value)
			c.In++
			if !f.FirstResponse.IsZero() {
				c.FRT.Add(f.FirstResponse.Sub(f.Created))
			}
			if f.UnderPolicy {
				if f.Breached {
					c.SLABreached++
				} else {
					c.SLAMet++
				}
			}
			if f.Reopens > 0 {
				c.Reopened++
			}
			if f.rating > 0 {
				c.CSATN++
				c.CSATSum += f.rating
				if f.rating >= 4 {
					c.Good++
				}
			}
		}
	})
	if err != nil {
		return err
	}
	// Figures of the hour a conversation was solved in.
	err = scan(ticket.FactRange{BySolved: true}, func(f fact) {
		hour := db.Millis(f.Solved) / hourMs
		for _, dv := range f.values() {
			c := at(hour, dv.dim, dv.value)
			c.Solved++
			c.Res.Add(f.Solved.Sub(f.Created))
		}
	})
	if err != nil {
		return err
	}
	if _, err := s.o.DB.Q(ctx).ExecContext(ctx, `DELETE FROM report_rollup WHERE hour >= $1 AND hour <= $2`, first, last); err != nil {
		return fmt.Errorf("report: clear rollup: %w", err)
	}
	return s.insertCells(ctx, cells)
}

// ratings returns the ratings of conversations asked since from: a
// survey is asked after its conversation was created, so these include
// every rated conversation created since then.
func (s *Service) ratings(ctx context.Context, from int64) (map[int64]int, error) {
	rows, err := s.o.DB.Q(ctx).QueryContext(ctx, `SELECT conversation_id, rating FROM csat_surveys
		WHERE answered_at IS NOT NULL AND rating IS NOT NULL AND asked_at >= $1`, from)
	if err != nil {
		return nil, fmt.Errorf("report: ratings: %w", err)
	}
	defer rows.Close()
	out := map[int64]int{}
	for rows.Next() {
		var id int64
		var rating int
		if err := rows.Scan(&id, &rating); err != nil {
			return nil, fmt.Errorf("report: ratings: %w", err)
		}
		out[id] = rating
	}
	return out, rows.Err()
}

// insertCells writes rows in multi-row INSERTs (the parameter limit of
// both databases allows 13 × 500).
func (s *Service) insertCells(ctx context.Context, cells map[rollKey]*cell) error {
	keys := make([]rollKey, 0, len(cells))
	for k := range cells {
		keys = append(keys, k)
	}
	const batch = 500
	for start := 0; start < len(keys); start += batch {
		part := keys[start:min(start+batch, len(keys))]
		var b strings.Builder
		args := make([]any, 0, len(part)*13)
		for i, k := range part {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteByte('(')
			for j := 1; j <= 13; j++ {
				if j > 1 {
					b.WriteString(", ")
				}
				fmt.Fprintf(&b, "$%d", len(args)+j)
			}
			b.WriteByte(')')
			c := cells[k]
			args = append(args, k.hour, string(k.dim), k.value, c.In, c.Solved, c.FRT.encode(), c.Res.encode(),
				c.SLAMet, c.SLABreached, c.Reopened, c.CSATN, c.CSATSum, c.Good)
		}
		if _, err := s.o.DB.Q(ctx).ExecContext(ctx, `INSERT INTO report_rollup (hour, dim, value, conv_in, solved, frt_hist, res_hist,
			sla_met, sla_breached, reopened, csat_n, csat_sum, csat_good) VALUES `+b.String(), args...); err != nil {
			return fmt.Errorf("report: write rollup: %w", err)
		}
	}
	return nil
}

// hourRow is one rollup row read back.
type hourRow struct {
	hour  int64
	value string
	cell  *cell
}

// read returns the rollup rows of one dimension in [fromHour, toHour).
func (s *Service) read(ctx context.Context, dim Dimension, fromHour, toHour int64, fn func(hourRow)) error {
	rows, err := s.o.DB.Q(ctx).QueryContext(ctx, `SELECT hour, value, conv_in, solved, frt_hist, res_hist, sla_met, sla_breached,
		reopened, csat_n, csat_sum, csat_good FROM report_rollup WHERE dim = $1 AND hour >= $2 AND hour < $3`, string(dim), fromHour, toHour)
	if err != nil {
		return fmt.Errorf("report: read rollup: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		r := hourRow{cell: newCell()}
		var frt, res string
		c := r.cell
		if err := rows.Scan(&r.hour, &r.value, &c.In, &c.Solved, &frt, &res, &c.SLAMet, &c.SLABreached, &c.Reopened,
			&c.CSATN, &c.CSATSum, &c.Good); err != nil {
			return fmt.Errorf("report: read rollup: %w", err)
		}
		c.FRT.mergeEncoded(frt)
		c.Res.mergeEncoded(res)
		fn(r)
	}
	return rows.Err()
}
