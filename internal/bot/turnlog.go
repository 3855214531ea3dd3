package bot

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"vigil/internal/apperr"
	"vigil/internal/db"
)

// Outcomes are the outcomes a turn can be filtered by, in the order a
// supervisor reads them.
var Outcomes = []Outcome{Resolved, HandedOver, Abandoned, Pending}

// TurnFilter narrows the turn log: turns created in [From, To) (a zero
// bound is open), of one outcome and in one language when those are set,
// older than the Before cursor, at most Limit of them.
type TurnFilter struct {
	From, To time.Time
	Outcome  Outcome
	Language string
	Before   int64
	Limit    int
}

// MaxLogLimit is the most turns one page of the log returns.
const MaxLogLimit = 200

func (f TurnFilter) validate() error {
	if f.Outcome != "" && !slices.Contains(Outcomes, f.Outcome) {
		return apperr.Field("outcome", "bot.outcome_invalid", "must be one of resolved, handed_over, abandoned, pending")
	}
	if len(f.Language) > 8 {
		return apperr.Field("language", "bot.language_invalid", "must be a language code such as en or zh")
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.To.After(f.From) {
		return apperr.Field("to", "bot.range_invalid", "the end of the range must follow its start")
	}
	return nil
}

// period is the SQL condition (with its arguments) for the filter's time
// range and language.
func (f TurnFilter) period() (string, []any) {
	conds, args := []string{"1 = 1"}, []any{}
	add := func(cond string, v any) {
		args = append(args, v)
		conds = append(conds, strings.ReplaceAll(cond, "?", "$"+strconv.Itoa(len(args))))
	}
	if !f.From.IsZero() {
		add("created_at >= ?", db.Millis(f.From))
	}
	if !f.To.IsZero() {
		add("created_at < ?", db.Millis(f.To))
	}
	if f.Language != "" {
		add("language = ?", f.Language)
	}
	return strings.Join(conds, " AND "), args
}

// Log lists the bot's turns that match the filter, newest first. An
// answer left waiting longer than AbandonAfter shows, and filters, as
// abandoned, as it does in the report.
func (b *Bot) Log(ctx context.Context, f TurnFilter) ([]Turn, error) {
	if err := f.validate(); err != nil {
		return nil, err
	}
	if f.Limit <= 0 || f.Limit > MaxLogLimit {
		f.Limit = MaxLogLimit
	}
	where, args := f.period()
	cutoff := db.Millis(b.o.Now().Add(-AbandonAfter))
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	switch f.Outcome {
	case "":
	case Abandoned:
		where += " AND (outcome = " + arg(string(Abandoned)) + " OR (outcome = " + arg(string(Pending)) + " AND created_at < " + arg(cutoff) + "))"
	case Pending:
		where += " AND outcome = " + arg(string(Pending)) + " AND created_at >= " + arg(cutoff)
	default:
		where += " AND outcome = " + arg(string(f.Outcome))
	}
	if f.Before > 0 {
		where += " AND id < " + arg(f.Before)
	}
	list, err := b.query(ctx, `WHERE `+where+` ORDER BY id DESC LIMIT `+arg(f.Limit), args...)
	if err != nil {
		return nil, err
	}
	for i := range list {
		if list[i].Outcome == Pending && db.Millis(list[i].CreatedAt) < cutoff {
			list[i].Outcome = Abandoned
		}
	}
	return list, nil
}
