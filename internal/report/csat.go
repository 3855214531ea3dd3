// Package report measures service quality: satisfaction surveys (CSAT)
// and reports over any date range and time zone, added up from an hourly
// rollup so a million conversations answer in well under two seconds.
package report

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"vigil/internal/apperr"
	"vigil/internal/db"
	"vigil/internal/i18n"
	"vigil/internal/job"
	"vigil/internal/ticket"
)

// SurveyTTL is how long a rating link stays valid.
const SurveyTTL = 7 * 24 * time.Hour

// MaxComment is the longest survey comment kept, in characters.
const MaxComment = 2000

// Tickets is what the surveys need from the conversation domain.
type Tickets interface {
	ByID(ctx context.Context, scope ticket.Scope, id int64) (ticket.Conversation, error)
	AddMessage(ctx context.Context, in ticket.MessageInput) (ticket.Message, error)
}

// Facts is what reports read from the conversation domain: conversation
// facts, the hours they changed in, the live backlog and first waits.
type Facts interface {
	Facts(ctx context.Context, r ticket.FactRange, fn func(ticket.Fact)) error
	ChangedHours(ctx context.Context, since time.Time) ([]int64, error)
	CreatedHours(ctx context.Context, ids []int64) ([]int64, error)
	Backlog(ctx context.Context, field string) (map[string]int, error)
	FirstWaits(ctx context.Context, channel string, from, to time.Time) ([]time.Duration, error)
}

// Customers gives each customer's VIP tier.
type Customers interface {
	VIPTiers(ctx context.Context) (map[int64]int, error)
}

// Options wire a Service.
type Options struct {
	DB        *db.DB
	Tickets   Tickets
	Facts     Facts
	Customers Customers
	// Secret signs rating links; PublicURL is where customers open them.
	Secret    []byte
	PublicURL string
	Bot       Deflection // nil: no bot figures
	// Online counts agents online now, for the transparency widget.
	Online func(ctx context.Context) (int, error)
	Now    func() time.Time
}

// Service runs surveys and reports.
type Service struct {
	o Options
}

// New returns a Service.
func New(o Options) *Service {
	o.PublicURL = strings.TrimRight(o.PublicURL, "/")
	if len(o.Secret) == 0 {
		// Without a configured key links are signed with one that lives as
		// long as the process: they stop working after a restart, but
		// nobody can forge them.
		o.Secret = make([]byte, 32)
		_, _ = rand.Read(o.Secret)
	}
	return &Service{o: o}
}

// Survey is one conversation's satisfaction survey.
type Survey struct {
	ConversationID int64      `json:"conversation_id"`
	Language       string     `json:"language"`
	Channel        string     `json:"channel"`
	AskedAt        time.Time  `json:"asked_at"`
	ExpiresAt      time.Time  `json:"expires_at"`
	Rating         int        `json:"rating,omitempty"`
	Comment        string     `json:"comment,omitempty"`
	AnsweredAt     *time.Time `json:"answered_at,omitempty"`
}

// Ask is the ticket.SurveyJob handler: it records the survey and asks the
// customer in the conversation itself, so the question leaves on the
// conversation's own channel (live in the widget, by job on email and
// Telegram) in the conversation's language. Both steps are idempotent,
// so a repeated job asks once.
func (s *Service) Ask(ctx context.Context, j job.Job) error {
	var p ticket.SurveyPayload
	if err := json.Unmarshal(j.Payload, &p); err != nil {
		return job.Permanent(fmt.Errorf("report: survey payload: %w", err))
	}
	c, err := s.o.Tickets.ByID(ctx, ticket.Scope{All: true}, p.ConversationID)
	if err != nil {
		if apperr.Is(err, apperr.NotFound) {
			return job.Permanent(err)
		}
		return err
	}
	if c.Status == ticket.StatusClosed || c.MergedInto != 0 {
		return nil // nobody to ask any more
	}
	now := s.o.Now().UTC().Truncate(time.Millisecond)
	expires := now.Add(SurveyTTL)
	if _, err := s.o.DB.Q(ctx).ExecContext(ctx, `INSERT INTO csat_surveys (conversation_id, language, channel, asked_at, expires_at)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT (conversation_id) DO NOTHING`,
		c.ID, c.Language, c.Channel, db.Millis(now), db.Millis(expires)); err != nil {
		return fmt.Errorf("report: record survey: %w", err)
	}
	sv, err := s.Survey(ctx, c.ID)
	if err != nil {
		return err
	}
	// <…> makes the address a link in the widget and stays a plain
	// address in email and Telegram.
	body := i18n.T(c.Language, "csat.ask", "<"+s.Link(c.ID, sv.ExpiresAt)+">")
	_, err = s.o.Tickets.AddMessage(ctx, ticket.MessageInput{ConversationID: c.ID, AuthorKind: ticket.BySystem,
		AuthorName: i18n.T(c.Language, "csat.author"), Body: body, ExternalID: fmt.Sprintf("csat:%d", c.ID)})
	if apperr.Is(err, apperr.Conflict) {
		return nil // closed or merged meanwhile
	}
	return err
}

// Survey returns a conversation's survey.
func (s *Service) Survey(ctx context.Context, convID int64) (Survey, error) {
	var sv Survey
	var asked, expires int64
	var rating, answered sql.NullInt64
	err := s.o.DB.Q(ctx).QueryRowContext(ctx, `SELECT conversation_id, language, channel, asked_at, expires_at, rating, comment, answered_at
		FROM csat_surveys WHERE conversation_id = $1`, convID).Scan(&sv.ConversationID, &sv.Language, &sv.Channel, &asked, &expires,
		&rating, &sv.Comment, &answered)
	if errors.Is(err, sql.ErrNoRows) {
		return Survey{}, apperr.NotFoundf("csat.not_found", "no survey for conversation %d", convID)
	}
	if err != nil {
		return Survey{}, fmt.Errorf("report: survey: %w", err)
	}
	sv.AskedAt, sv.ExpiresAt, sv.Rating, sv.AnsweredAt = db.Time(asked), db.Time(expires), int(rating.Int64), db.NullTime(answered)
	return sv, nil
}

// Link is the public rating page of a conversation's survey.
func (s *Service) Link(convID int64, expires time.Time) string {
	return s.o.PublicURL + "/csat/" + s.token(convID, expires)
}

// token is the conversation id and expiry, signed, so a link names one
// survey and cannot be altered to rate another.
func (s *Service) token(convID int64, expires time.Time) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(convID))
	binary.BigEndian.PutUint64(b[8:], uint64(expires.Unix()))
	return base64.RawURLEncoding.EncodeToString(b[:]) + "." + base64.RawURLEncoding.EncodeToString(s.sign(b[:]))
}

func (s *Service) sign(b []byte) []byte {
	m := hmac.New(sha256.New, s.o.Secret)
	m.Write([]byte("csat\x00"))
	m.Write(b)
	return m.Sum(nil)[:16]
}

var errBadLink = apperr.NotFoundf("csat.link_invalid", "this rating link is not valid")

// Open checks a rating link and returns its survey. An expired link is
// Invalid (csat.expired); an answered one Conflict (csat.answered).
func (s *Service) Open(ctx context.Context, token string) (Survey, error) {
	payload, sig, ok := strings.Cut(token, ".")
	if !ok || len(token) > 100 {
		return Survey{}, errBadLink
	}
	b, err1 := base64.RawURLEncoding.DecodeString(payload)
	mac, err2 := base64.RawURLEncoding.DecodeString(sig)
	if err1 != nil || err2 != nil || len(b) != 16 || !hmac.Equal(mac, s.sign(b)) {
		return Survey{}, errBadLink
	}
	convID := int64(binary.BigEndian.Uint64(b[:8]))
	sv, err := s.Survey(ctx, convID)
	if apperr.Is(err, apperr.NotFound) {
		return Survey{}, errBadLink
	}
	if err != nil {
		return Survey{}, err
	}
	if sv.AnsweredAt != nil {
		return sv, apperr.Conflictf("csat.answered", "this conversation has already been rated")
	}
	if !s.o.Now().Before(sv.ExpiresAt) {
		return sv, apperr.Invalidf("csat.expired", "this rating link has expired")
	}
	return sv, nil
}

// Answer stores the customer's rating and comment, once. A rating outside
// 1-5 or an over-long comment is refused and the survey stays open.
func (s *Service) Answer(ctx context.Context, token string, rating int, comment string) (Survey, error) {
	comment = strings.TrimSpace(comment)
	if rating < 1 || rating > 5 {
		return Survey{}, apperr.Field("rating", "csat.rating_invalid", "choose a rating from 1 to 5")
	}
	if utf8.RuneCountInString(comment) > MaxComment {
		return Survey{}, apperr.Field("comment", "csat.comment_too_long", "the comment must be at most %d characters", MaxComment)
	}
	var out Survey
	err := s.o.DB.WithTx(ctx, func(ctx context.Context) error {
		sv, err := s.Open(ctx, token)
		if err != nil {
			return err
		}
		now := s.o.Now().UTC().Truncate(time.Millisecond)
		res, err := s.o.DB.Q(ctx).ExecContext(ctx, `UPDATE csat_surveys SET rating = $1, comment = $2, answered_at = $3
			WHERE conversation_id = $4 AND answered_at IS NULL`, rating, comment, db.Millis(now), sv.ConversationID)
		if err != nil {
			return fmt.Errorf("report: answer survey: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return apperr.Conflictf("csat.answered", "this conversation has already been rated")
		}
		sv.Rating, sv.Comment, sv.AnsweredAt = rating, comment, &now
		out = sv
		return nil
	})
	return out, err
}

// ForgetComment blanks the customer's comment on a conversation's survey
// when retention or erasure removes the conversation's content; the
// rating stays for the figures.
func (s *Service) ForgetComment(ctx context.Context, convID int64) error {
	if _, err := s.o.DB.Q(ctx).ExecContext(ctx, `UPDATE csat_surveys SET comment = '' WHERE conversation_id = $1`, convID); err != nil {
		return fmt.Errorf("report: forget comment: %w", err)
	}
	return nil
}
