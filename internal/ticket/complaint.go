package ticket

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
	"vigil/internal/i18n"

	"vigil/internal/apperr"
	"vigil/internal/db"
	"vigil/internal/event"
	"vigil/internal/sla"
)

// ComplaintRules set the complaint clocks: acknowledge within Ack, send
// the final response within Final, both counted from the moment the
// conversation was marked, business days in Calendar (its zone and
// holidays).
// Reminders go to the assignee and supervisors when RemindAt of a period
// has passed.
type ComplaintRules struct {
	Ack      sla.Period
	Final    sla.Period
	Calendar sla.Calendar
	RemindAt float64
}

// DefaultComplaintRules follow UK FCA DISP and MiCA practice: a prompt
// acknowledgement (two business days) and a final response within eight
// weeks.
var DefaultComplaintRules = ComplaintRules{Ack: sla.Period{BusinessDays: 2}, Final: sla.Period{Duration: 8 * 7 * 24 * time.Hour},
	RemindAt: 0.75}

// Complaint states.
const (
	ComplaintAwaitingAck  = "awaiting_acknowledgement"
	ComplaintAcknowledged = "acknowledged"
	ComplaintAnswered     = "final_response_sent"
)

// Complaint is a conversation marked as a complaint and its clocks.
type Complaint struct {
	ConversationID int64      `json:"conversation_id"`
	RaisedBy       string     `json:"raised_by"` // agent or customer
	RaisedByID     int64      `json:"raised_by_id,omitempty"`
	Summary        string     `json:"summary"`
	RaisedAt       time.Time  `json:"raised_at"`
	AckDue         time.Time  `json:"acknowledge_due_at"`
	FinalDue       time.Time  `json:"final_response_due_at"`
	AcknowledgedAt *time.Time `json:"acknowledged_at,omitempty"`
	FinalAt        *time.Time `json:"final_response_at,omitempty"`
	FinalMessageID int64      `json:"final_message_id,omitempty"`
	State          string     `json:"state"`
	// Overdue names the deadline that passed without its step, if any.
	Overdue string `json:"overdue,omitempty"`

	fired []string
}

// ComplaintInput marks a conversation as a complaint.
type ComplaintInput struct {
	ByKind  AuthorKind // ByAgent or ByCustomer
	ByID    int64
	Summary string
}

// MaxComplaintSummary bounds a complaint's summary, in characters.
const MaxComplaintSummary = 2000

// complaint alerts, each fired once per complaint.
const (
	alertAckReminder   = "ack_reminder"
	alertAckBreach     = "ack_breach"
	alertFinalReminder = "final_reminder"
	alertFinalBreach   = "final_breach"
)

type complaintAlert struct {
	key string
	at  time.Time
	due time.Time
}

// alerts lists the complaint's alerts still to fire, earliest first.
func (c Complaint) alerts(remindAt float64) []complaintAlert {
	part := func(due time.Time) time.Time {
		return c.RaisedAt.Add(time.Duration(float64(due.Sub(c.RaisedAt)) * remindAt))
	}
	var out []complaintAlert
	if c.FinalAt != nil {
		return nil
	}
	if c.AcknowledgedAt == nil {
		out = append(out, complaintAlert{alertAckReminder, part(c.AckDue), c.AckDue}, complaintAlert{alertAckBreach, c.AckDue, c.AckDue})
	}
	out = append(out, complaintAlert{alertFinalReminder, part(c.FinalDue), c.FinalDue}, complaintAlert{alertFinalBreach, c.FinalDue, c.FinalDue})
	out = slices.DeleteFunc(out, func(a complaintAlert) bool { return slices.Contains(c.fired, a.key) })
	slices.SortStableFunc(out, func(a, b complaintAlert) int { return a.at.Compare(b.at) })
	return out
}

func (c *Complaint) derive(now time.Time) {
	switch {
	case c.FinalAt != nil:
		c.State = ComplaintAnswered
	case c.AcknowledgedAt != nil:
		c.State = ComplaintAcknowledged
	default:
		c.State = ComplaintAwaitingAck
	}
	c.Overdue = ""
	switch {
	case c.FinalAt == nil && !now.Before(c.FinalDue):
		c.Overdue = "final_response"
	case c.AcknowledgedAt == nil && c.FinalAt == nil && !now.Before(c.AckDue):
		c.Overdue = "acknowledgement"
	}
}

// RaiseComplaint marks a conversation the scope may see as a complaint
// and starts its clocks; marking it again returns the complaint as it is,
// with created false.
func (s *Service) RaiseComplaint(ctx context.Context, scope Scope, convID int64, in ComplaintInput) (Complaint, bool, error) {
	in.Summary = strings.TrimSpace(in.Summary)
	if utf8.RuneCountInString(in.Summary) > MaxComplaintSummary {
		return Complaint{}, false, apperr.Field("summary", "complaint.summary_too_long", "must be at most %d characters", MaxComplaintSummary)
	}
	if in.ByKind != ByAgent && in.ByKind != ByCustomer {
		return Complaint{}, false, apperr.Invalidf("complaint.by_invalid", "a complaint is raised by an agent or the customer")
	}
	var out Complaint
	created := false
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		c, err := s.loadForUpdate(ctx, convID)
		if err != nil {
			return err
		}
		if !scope.Allows(c) {
			return errNotVisible(convID)
		}
		if c.MergedInto != 0 {
			return apperr.Conflictf("conversation.merged", "conversation %d was merged into %d", c.ID, c.MergedInto)
		}
		if existing, err := s.complaint(ctx, convID); err == nil {
			out = existing
			return nil
		} else if !apperr.Is(err, apperr.NotFound) {
			return err
		}
		now := s.now().UTC().Truncate(time.Millisecond)
		k := Complaint{ConversationID: convID, RaisedBy: string(in.ByKind), RaisedByID: in.ByID, Summary: in.Summary, RaisedAt: now,
			AckDue:   s.complaints.Ack.End(now, s.complaints.Calendar),
			FinalDue: s.complaints.Final.End(now, s.complaints.Calendar)}
		if _, err := s.db.Q(ctx).ExecContext(ctx, `INSERT INTO complaints (conversation_id, raised_by_kind, raised_by_id, summary,
			raised_at, ack_due_at, final_due_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			convID, k.RaisedBy, k.RaisedByID, k.Summary, db.Millis(now), db.Millis(k.AckDue), db.Millis(k.FinalDue)); err != nil {
			return wrap("raise complaint", err)
		}
		if err := s.saveComplaintAlerts(ctx, k); err != nil {
			return err
		}
		note := bothLanguages(func(lang string) string {
			return i18n.T(lang, "complaint.note.raised", i18n.T(lang, "console.complaint.by."+string(in.ByKind)), stamp(k.AckDue), stamp(k.FinalDue))
		})
		if _, _, err := s.addMessage(ctx, c, MessageInput{ConversationID: convID, AuthorKind: BySystem, Internal: true, Body: note}); err != nil {
			return err
		}
		// The summary stays out of the audit entry: it may carry personal data.
		if err := s.audit.Record(ctx, "conversation.complaint", "conversation", convID,
			map[string]any{"by": k.RaisedBy, "acknowledge_due": k.AckDue, "final_due": k.FinalDue}); err != nil {
			return err
		}
		s.publishComplaint(ctx, c, string(in.ByKind), in.ByID, "raised", now)
		k.derive(now)
		out, created = k, true
		return nil
	})
	return out, created, err
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

func (s *Service) publishComplaint(ctx context.Context, c Conversation, actorKind string, actorID int64, what string, now time.Time) {
	ev := event.ConversationChanged{Scope: scopeOf(c), ActorKind: actorKind, ActorID: actorID,
		Changes: map[string]string{"complaint": what}, PrevTeamID: c.TeamID, PrevAssigneeID: c.AssigneeID, At: now}
	db.AfterCommit(ctx, func() { s.bus.Publish(ctx, ev) })
}

// ComplaintOf returns the complaint of a conversation the scope may see.
func (s *Service) ComplaintOf(ctx context.Context, scope Scope, convID int64) (Complaint, error) {
	if _, err := s.ByID(ctx, scope, convID); err != nil {
		return Complaint{}, err
	}
	k, err := s.complaint(ctx, convID)
	if err != nil {
		return Complaint{}, err
	}
	k.derive(s.now())
	return k, nil
}

// ComplaintFilter narrows a complaint listing.
type ComplaintFilter struct {
	Open   bool // only those without a final response
	Before int64
	Limit  int
}

// Complaints lists the complaints of conversations the scope may see,
// newest first, and the cursor of the next page.
func (s *Service) Complaints(ctx context.Context, scope Scope, f ComplaintFilter) ([]Complaint, int64, error) {
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	cond, ok := scopeWhere(scope, arg)
	if !ok {
		return []Complaint{}, 0, nil
	}
	where := []string{"1 = 1"}
	if cond != "" {
		where = append(where, "conversation_id IN (SELECT id FROM conversations WHERE "+cond+")")
	}
	if f.Open {
		where = append(where, "final_at IS NULL")
	}
	if f.Before > 0 {
		where = append(where, "conversation_id < "+arg(f.Before))
	}
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT `+complaintColumns+` FROM complaints WHERE `+strings.Join(where, " AND ")+
		` ORDER BY conversation_id DESC LIMIT `+arg(f.Limit+1), args...)
	if err != nil {
		return nil, 0, wrap("complaints", err)
	}
	defer rows.Close()
	out := []Complaint{}
	now := s.now()
	for rows.Next() {
		k, err := scanComplaint(rows)
		if err != nil {
			return nil, 0, wrap("complaints", err)
		}
		k.derive(now)
		out = append(out, k)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, wrap("complaints", err)
	}
	var next int64
	if len(out) > f.Limit {
		out = out[:f.Limit]
		next = out[len(out)-1].ConversationID
	}
	return out, next, nil
}

// SendFinalResponse posts the final response to a complaint as a public
// agent reply and stops its clocks, in one transaction. A complaint has
// one final response.
func (s *Service) SendFinalResponse(ctx context.Context, scope Scope, in MessageInput) (Message, Complaint, error) {
	in.AuthorKind, in.Internal = ByAgent, false
	if err := in.validate(); err != nil {
		return Message{}, Complaint{}, err
	}
	var msg Message
	var out Complaint
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		c, err := s.loadForUpdate(ctx, in.ConversationID)
		if err != nil {
			return err
		}
		if !scope.Allows(c) {
			return errNotVisible(in.ConversationID)
		}
		k, err := s.complaint(ctx, c.ID)
		if err != nil {
			return err
		}
		if k.FinalAt != nil {
			return apperr.Conflictf("complaint.answered", "the final response to this complaint was sent on %s", stamp(*k.FinalAt))
		}
		if msg, _, err = s.addMessage(ctx, c, in); err != nil {
			return err
		}
		now := msg.CreatedAt
		if _, err := s.db.Q(ctx).ExecContext(ctx, `UPDATE complaints SET final_at = $1, final_message_id = $2,
			acknowledged_at = COALESCE(acknowledged_at, $1), next_alert_at = NULL WHERE conversation_id = $3`,
			db.Millis(now), msg.ID, c.ID); err != nil {
			return wrap("final response", err)
		}
		if err := s.audit.Record(ctx, "conversation.complaint_final", "conversation", c.ID,
			map[string]any{"message": msg.ID, "late": now.After(k.FinalDue)}); err != nil {
			return err
		}
		s.publishComplaint(ctx, c, string(ByAgent), in.AuthorID, "final_response", now)
		out, err = s.complaint(ctx, c.ID)
		out.derive(now)
		return err
	})
	return msg, out, err
}

// acknowledgeComplaint stamps the acknowledgement when an agent first
// replies in public to a complaint; it runs inside addMessage.
func (s *Service) acknowledgeComplaint(ctx context.Context, convID int64, now time.Time) error {
	var id int64
	err := s.db.Q(ctx).QueryRowContext(ctx, `UPDATE complaints SET acknowledged_at = $1
		WHERE conversation_id = $2 AND acknowledged_at IS NULL RETURNING conversation_id`, db.Millis(now), convID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return wrap("acknowledge complaint", err)
	}
	k, err := s.complaint(ctx, convID)
	if err != nil {
		return err
	}
	if err := s.saveComplaintAlerts(ctx, k); err != nil {
		return err
	}
	return s.audit.Record(ctx, "conversation.complaint_acknowledged", "conversation", convID,
		map[string]any{"late": now.After(k.AckDue)})
}

func (s *Service) saveComplaintAlerts(ctx context.Context, k Complaint) error {
	var next *time.Time
	if as := k.alerts(s.complaints.RemindAt); len(as) > 0 {
		next = &as[0].at
	}
	_, err := s.db.Q(ctx).ExecContext(ctx, `UPDATE complaints SET fired = $1, next_alert_at = $2 WHERE conversation_id = $3`,
		strings.Join(k.fired, ","), db.NullMillis(next), k.ConversationID)
	return wrap("complaint alerts", err)
}

// FireComplaints sends the complaint reminders and breach notices due at
// now, each once: an internal note to the assignee and supervisors, an
// audit entry and an event, recorded with the complaint's fired marks in
// one transaction. It returns how many fired.
func (s *Service) FireComplaints(ctx context.Context, now time.Time, batch int) (int, error) {
	fired := 0
	for {
		ids, err := s.ids(ctx, `SELECT conversation_id FROM complaints WHERE next_alert_at <= $1
			ORDER BY next_alert_at LIMIT $2`, db.Millis(now), batch)
		if err != nil {
			return fired, err
		}
		for _, id := range ids {
			n, err := s.fireComplaint(ctx, id, now)
			if err != nil {
				return fired, fmt.Errorf("ticket: complaint of conversation %d: %w", id, err)
			}
			fired += n
		}
		if len(ids) < batch || ctx.Err() != nil {
			return fired, ctx.Err()
		}
	}
}

func (s *Service) fireComplaint(ctx context.Context, id int64, now time.Time) (int, error) {
	n := 0
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		c, err := s.loadForUpdate(ctx, id)
		if err != nil {
			return err
		}
		k, err := s.complaint(ctx, id)
		if err != nil {
			return err
		}
		var due []complaintAlert
		for _, a := range k.alerts(s.complaints.RemindAt) {
			if !a.at.After(now) {
				due = append(due, a)
			}
		}
		// A reminder overtaken by its own breach is not sent as well.
		for _, a := range due {
			k.fired = append(k.fired, a.key)
			if (a.key == alertAckReminder && slices.ContainsFunc(due, func(b complaintAlert) bool { return b.key == alertAckBreach })) ||
				(a.key == alertFinalReminder && slices.ContainsFunc(due, func(b complaintAlert) bool { return b.key == alertFinalBreach })) {
				continue
			}
			if err := s.complaintNotice(ctx, c, a); err != nil {
				return err
			}
			n++
		}
		return s.saveComplaintAlerts(ctx, k)
	})
	return n, err
}

func (s *Service) complaintNotice(ctx context.Context, c Conversation, a complaintAlert) error {
	key := "complaint.note." + a.key
	body := bothLanguages(func(lang string) string {
		line := i18n.T(lang, key, stamp(a.due))
		if c.AssigneeID == 0 {
			line += " " + i18n.T(lang, "complaint.note.unassigned")
		}
		return line
	})
	if _, _, err := s.addMessage(ctx, c, MessageInput{ConversationID: c.ID, AuthorKind: BySystem, Internal: true, Body: body}); err != nil {
		return err
	}
	if err := s.audit.Record(ctx, "conversation.complaint_"+a.key, "conversation", c.ID, map[string]any{"due": a.due}); err != nil {
		return err
	}
	ev := event.ComplaintAlerted{Scope: scopeOf(c), Alert: a.key, Due: a.due, At: s.now()}
	db.AfterCommit(ctx, func() { s.bus.Publish(ctx, ev) })
	return nil
}

const complaintColumns = `conversation_id, raised_by_kind, raised_by_id, summary, raised_at, ack_due_at, final_due_at,
	acknowledged_at, final_at, final_message_id, fired`

func scanComplaint(row interface{ Scan(...any) error }) (Complaint, error) {
	var k Complaint
	var raised, ack, final int64
	var acked, answered, msg sql.NullInt64
	var fired string
	if err := row.Scan(&k.ConversationID, &k.RaisedBy, &k.RaisedByID, &k.Summary, &raised, &ack, &final, &acked, &answered, &msg, &fired); err != nil {
		return Complaint{}, err
	}
	k.RaisedAt, k.AckDue, k.FinalDue, k.FinalMessageID = db.Time(raised), db.Time(ack), db.Time(final), msg.Int64
	k.AcknowledgedAt, k.FinalAt = db.NullTime(acked), db.NullTime(answered)
	if fired != "" {
		k.fired = strings.Split(fired, ",")
	}
	return k, nil
}

func (s *Service) complaint(ctx context.Context, convID int64) (Complaint, error) {
	k, err := scanComplaint(s.db.Q(ctx).QueryRowContext(ctx, `SELECT `+complaintColumns+` FROM complaints WHERE conversation_id = $1`, convID))
	if errors.Is(err, sql.ErrNoRows) {
		return Complaint{}, apperr.NotFoundf("complaint.not_found", "conversation %d is not a complaint", convID)
	}
	return k, wrap("complaint", err)
}

// bothLanguages writes a system note in English and in Chinese, one line
// each: an internal note is read by every agent on the conversation,
// whatever their console language.
func bothLanguages(line func(lang string) string) string {
	return line("en") + "\n" + line("zh")
}
