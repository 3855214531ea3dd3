package incident

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"vigil/internal/apperr"
	"vigil/internal/customer"
	"vigil/internal/db"
	"vigil/internal/exchange"
	"vigil/internal/job"
)

// OutreachJob is the job kind that reaches one recipient of a campaign.
const OutreachJob = "outreach.send"

// OutreachChannels a campaign can use, in the order customers are usually
// best reached; a campaign lists its own order.
var OutreachChannels = []string{"inapp", "telegram", "sms", "email", "callback"}

// Recipient states. A queued recipient becomes "opened" when its message
// is written as an outbound conversation (the channel then delivers it,
// and the message's delivery state says how far it got) or "skipped" with
// a reason.
const (
	RecipientQueued  = "queued"
	RecipientOpened  = "opened"
	RecipientSkipped = "skipped"
	// RecipientNotified: shown in the exchange's app through the connector.
	RecipientNotified = "notified"
)

// Campaign is one outreach: a message per language to a list of customers.
type Campaign struct {
	ID            int64             `json:"id"`
	Name          string            `json:"name"`
	IncidentID    int64             `json:"incident_id,omitempty"`
	Channels      []string          `json:"channels"`
	RatePerMinute int               `json:"rate_per_minute"`
	Subjects      map[string]string `json:"subjects"`
	Bodies        map[string]string `json:"bodies"`
	CreatedBy     int64             `json:"created_by,omitempty"`
	CreatedAt     time.Time         `json:"created_at"`
}

// CampaignInput creates a campaign.
type CampaignInput struct {
	Name       string `json:"name"`
	IncidentID int64  `json:"incident_id"`
	// Channels in order of preference; each recipient gets the first
	// they can be reached on.
	Channels []string `json:"channels"`
	// RatePerMinute paces each channel (at most this many messages a
	// minute on it). Campaigns running at once share each channel's pace,
	// so together they never send faster than this either.
	RatePerMinute int               `json:"rate_per_minute"`
	Subjects      map[string]string `json:"subjects"`
	Bodies        map[string]string `json:"bodies"`
}

// MaxRecipientsPerCall bounds one AddRecipients call; larger lists are
// sent in several calls.
const MaxRecipientsPerCall = 10000

func (in *CampaignInput) validate() error {
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" || utf8.RuneCountInString(in.Name) > 200 {
		return apperr.Field("name", "outreach.name_invalid", "a name of 1-200 characters is required")
	}
	if len(in.Channels) == 0 {
		return apperr.Field("channels", "outreach.channels_invalid", "channels must list some of %s", strings.Join(OutreachChannels, ", "))
	}
	seen := []string{}
	for _, c := range in.Channels {
		if !slices.Contains(OutreachChannels, c) || slices.Contains(seen, c) {
			return apperr.Field("channels", "outreach.channels_invalid", "channels must list some of %s", strings.Join(OutreachChannels, ", "))
		}
		seen = append(seen, c)
	}
	// The desk calls customers who did not ask only about a declared incident.
	if slices.Contains(in.Channels, "callback") && in.IncidentID == 0 {
		return apperr.Field("channels", "outreach.callback_needs_incident", "the callback channel is for campaigns of a declared incident")
	}
	if in.RatePerMinute < 1 || in.RatePerMinute > 60000 {
		return apperr.Field("rate_per_minute", "outreach.rate_invalid", "rate_per_minute must be 1-60000")
	}
	if err := texts("subjects", in.Subjects, 200); err != nil {
		return err
	}
	return texts("bodies", in.Bodies, 4000)
}

const campaignColumns = `id, name, incident_id, channels, rate_per_minute, subject_en, subject_zh, body_en, body_zh, created_by, created_at`

func scanCampaign(row interface{ Scan(...any) error }) (Campaign, error) {
	var c Campaign
	var inc, by sql.NullInt64
	var chans, sen, szh, ben, bzh string
	var at int64
	err := row.Scan(&c.ID, &c.Name, &inc, &chans, &c.RatePerMinute, &sen, &szh, &ben, &bzh, &by, &at)
	c.IncidentID, c.Channels, c.CreatedBy, c.CreatedAt = inc.Int64, split(chans), by.Int64, db.Time(at)
	c.Subjects, c.Bodies = langs(sen, szh), langs(ben, bzh)
	return c, err
}

// CreateCampaign stores a campaign; recipients are added after.
func (s *Service) CreateCampaign(ctx context.Context, agentID int64, in CampaignInput) (Campaign, error) {
	if err := in.validate(); err != nil {
		return Campaign{}, err
	}
	var out Campaign
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		if in.IncidentID != 0 {
			if _, err := s.ByID(ctx, in.IncidentID); err != nil {
				return err
			}
		}
		c, err := scanCampaign(s.db.Q(ctx).QueryRowContext(ctx, `INSERT INTO outreach_campaigns (name, incident_id, channels,
			rate_per_minute, subject_en, subject_zh, body_en, body_zh, created_by, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING `+campaignColumns,
			in.Name, db.NullID(in.IncidentID), strings.Join(in.Channels, ","), in.RatePerMinute, in.Subjects["en"], in.Subjects["zh"],
			in.Bodies["en"], in.Bodies["zh"], db.NullID(agentID), db.Millis(s.now())))
		if err != nil {
			return fmt.Errorf("outreach: create campaign: %w", err)
		}
		out = c
		return s.audit.Record(ctx, "outreach.campaign_create", "outreach_campaign", c.ID, map[string]any{"name": c.Name,
			"channels": c.Channels, "rate_per_minute": c.RatePerMinute})
	})
	return out, err
}

// Campaign returns one campaign.
func (s *Service) Campaign(ctx context.Context, id int64) (Campaign, error) {
	c, err := scanCampaign(s.db.Q(ctx).QueryRowContext(ctx, `SELECT `+campaignColumns+` FROM outreach_campaigns WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return c, apperr.NotFoundf("outreach.not_found", "campaign %d not found", id)
	}
	if err != nil {
		return c, fmt.Errorf("outreach: campaign: %w", err)
	}
	return c, nil
}

// Campaigns lists campaigns, newest first.
func (s *Service) Campaigns(ctx context.Context) ([]Campaign, error) {
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT `+campaignColumns+` FROM outreach_campaigns ORDER BY id DESC LIMIT 100`)
	if err != nil {
		return nil, fmt.Errorf("outreach: campaigns: %w", err)
	}
	defer rows.Close()
	out := []Campaign{}
	for rows.Next() {
		c, err := scanCampaign(rows)
		if err != nil {
			return nil, fmt.Errorf("outreach: campaigns: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// Added says what AddRecipients did with a list of UIDs.
type Added struct {
	Queued    int      `json:"queued"`
	Duplicate int      `json:"duplicate"` // already in the campaign
	Unknown   []string `json:"unknown"`   // UIDs no customer has
}

// AddRecipients adds customers by exchange UID. Each gets a job, keyed on
// the campaign and the customer, scheduled at the channel's pace: adding
// the same UID twice, or retrying a call that failed half-way, never
// reaches anyone twice. The channel is chosen here, from what the
// customer has, so the pace of each channel is known in advance.
func (s *Service) AddRecipients(ctx context.Context, campaignID int64, uids []string) (Added, error) {
	out := Added{Unknown: []string{}}
	if len(uids) == 0 || len(uids) > MaxRecipientsPerCall {
		return out, apperr.Field("uids", "outreach.uids_invalid", "send 1-%d UIDs per call", MaxRecipientsPerCall)
	}
	c, err := s.Campaign(ctx, campaignID)
	if err != nil {
		return out, err
	}
	interval := time.Minute / time.Duration(c.RatePerMinute)
	for chunk := range slices.Chunk(uids, 500) {
		err := s.db.WithTx(ctx, func(ctx context.Context) error {
			now := s.now()
			pace := map[string]time.Time{}
			for _, uid := range chunk {
				cust, err := s.customers.ByUID(ctx, strings.TrimSpace(uid))
				if apperr.KindOf(err) == apperr.NotFound {
					out.Unknown = append(out.Unknown, uid)
					continue
				}
				if err != nil {
					return err
				}
				ch, reason, err := s.channelFor(ctx, c, cust)
				if err != nil {
					return err
				}
				state := RecipientQueued
				if reason != "" {
					state = RecipientSkipped
				}
				res, err := s.db.Q(ctx).ExecContext(ctx, `INSERT INTO outreach_recipients (campaign_id, customer_id, channel, state, reason, updated_at)
					VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (campaign_id, customer_id) DO NOTHING`,
					c.ID, cust.ID, ch, state, reason, db.Millis(now))
				if err != nil {
					return fmt.Errorf("outreach: add recipient: %w", err)
				}
				if n, _ := res.RowsAffected(); n == 0 {
					out.Duplicate++
					continue
				}
				if state == RecipientSkipped {
					continue
				}
				at, err := s.nextSlot(ctx, c.ID, ch, now, interval, pace)
				if err != nil {
					return err
				}
				if _, err := s.jobs.Enqueue(ctx, job.Spec{Kind: OutreachJob, Key: fmt.Sprintf("outreach:%d:%d", c.ID, cust.ID),
					Payload: outreachPayload{CampaignID: c.ID, CustomerID: cust.ID}, Delay: at.Sub(now)}); err != nil {
					return err
				}
				out.Queued++
			}
			return s.savePace(ctx, c.ID, pace)
		})
		if err != nil {
			return out, err
		}
	}
	return out, nil
}

type outreachPayload struct {
	CampaignID int64 `json:"campaign_id"`
	CustomerID int64 `json:"customer_id"`
}

// channelFor picks the first of the campaign's channels the customer can
// be reached on; reason says why nobody can be.
func (s *Service) channelFor(ctx context.Context, c Campaign, cust customer.Customer) (ch, reason string, err error) {
	var one int
	err = s.db.Q(ctx).QueryRowContext(ctx, `SELECT 1 FROM outreach_optouts WHERE customer_id = $1`, cust.ID).Scan(&one)
	switch {
	case err == nil:
		return "", "opted_out", nil
	case !errors.Is(err, sql.ErrNoRows):
		return "", "", fmt.Errorf("outreach: opt-out: %w", err)
	}
	for _, ch := range c.Channels {
		switch ch {
		case "email":
			if cust.Email != "" {
				return ch, "", nil
			}
		case "inapp":
			if cust.UID != "" && s.exchange != nil {
				return ch, "", nil
			}
		case "sms":
			if smsNumber(cust) != "" {
				return ch, "", nil
			}
		case "callback":
			if s.callbacks == nil {
				continue
			}
			ok, err := s.callbacks.CanOffer(ctx, cust.ID)
			if err != nil {
				return "", "", err
			}
			if ok {
				return ch, "", nil
			}
		default:
			for _, id := range cust.Identities {
				if id.Channel == ch {
					return ch, "", nil
				}
			}
		}
	}
	return "", "no_channel", nil
}

// nextSlot returns when the next message on ch may leave and moves the
// channel's pace on by one interval. pace caches the chunk's changes.
func (s *Service) nextSlot(ctx context.Context, campaignID int64, ch string, now time.Time, interval time.Duration, pace map[string]time.Time) (time.Time, error) {
	next, ok := pace[ch]
	if !ok {
		var ms int64
		err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT next_at FROM outreach_pacing WHERE campaign_id = $1 AND channel = $2`,
			campaignID, ch).Scan(&ms)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			next = now
		case err != nil:
			return now, fmt.Errorf("outreach: pacing: %w", err)
		default:
			next = db.Time(ms)
		}
	}
	if next.Before(now) {
		next = now
	}
	pace[ch] = next.Add(interval)
	return next, nil
}

func (s *Service) savePace(ctx context.Context, campaignID int64, pace map[string]time.Time) error {
	for ch, at := range pace {
		res, err := s.db.Q(ctx).ExecContext(ctx, `UPDATE outreach_pacing SET next_at = $1 WHERE campaign_id = $2 AND channel = $3`,
			db.Millis(at), campaignID, ch)
		if err != nil {
			return fmt.Errorf("outreach: pacing: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			if _, err := s.db.Q(ctx).ExecContext(ctx, `INSERT INTO outreach_pacing (campaign_id, channel, next_at) VALUES ($1, $2, $3)`,
				campaignID, ch, db.Millis(at)); err != nil {
				return fmt.Errorf("outreach: pacing: %w", err)
			}
		}
	}
	return nil
}

// OptOut stops outreach to a customer; campaigns skip them from then on.
func (s *Service) OptOut(ctx context.Context, customerID int64) error {
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		_, err := s.db.Q(ctx).ExecContext(ctx, `INSERT INTO outreach_optouts (customer_id, created_at) VALUES ($1, $2)
			ON CONFLICT (customer_id) DO NOTHING`, customerID, db.Millis(s.now()))
		if db.IsForeignKeyViolation(err) {
			return apperr.NotFoundf("customer.not_found", "customer %d not found", customerID)
		}
		if err != nil {
			return fmt.Errorf("outreach: opt out: %w", err)
		}
		return s.audit.Record(ctx, "outreach.opt_out", "customer", customerID, nil)
	})
}

// OptIn lets outreach reach a customer who opted out again; the next
// campaign includes them. A customer who never opted out is left as is.
func (s *Service) OptIn(ctx context.Context, customerID int64) error {
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		res, err := s.db.Q(ctx).ExecContext(ctx, `DELETE FROM outreach_optouts WHERE customer_id = $1`, customerID)
		if err != nil {
			return fmt.Errorf("outreach: opt in: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		return s.audit.Record(ctx, "outreach.opt_in", "customer", customerID, nil)
	})
}

// AddAffected adds the customers the exchange says a query matches (those
// with a transfer the incident touches), as AddRecipients does.
func (s *Service) AddAffected(ctx context.Context, campaignID int64, q exchange.AffectedQuery) (Added, error) {
	if s.exchange == nil {
		return Added{}, apperr.New(apperr.Unavailable, "outreach.no_exchange", "no exchange is connected to query")
	}
	if _, err := s.Campaign(ctx, campaignID); err != nil {
		return Added{}, err
	}
	found, err := s.exchange.Affected(ctx, q)
	if err != nil {
		return Added{}, err
	}
	total := Added{Unknown: []string{}}
	for chunk := range slices.Chunk(found.UIDs, MaxRecipientsPerCall) {
		a, err := s.AddRecipients(ctx, campaignID, chunk)
		if err != nil {
			return total, err
		}
		total.Queued, total.Duplicate, total.Unknown = total.Queued+a.Queued, total.Duplicate+a.Duplicate, append(total.Unknown, a.Unknown...)
	}
	return total, nil
}
