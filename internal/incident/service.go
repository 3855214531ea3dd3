package incident

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"vigil/internal/apperr"
	"vigil/internal/audit"
	"vigil/internal/customer"
	"vigil/internal/db"
	"vigil/internal/exchange"
	"vigil/internal/job"
	"vigil/internal/ticket"
)

// Service keeps incidents and status components. It owns the tables
// incidents, incident_updates, incident_conversations and status_components.
type Service struct {
	db        *db.DB
	audit     *audit.Log
	tickets   *ticket.Service
	customers *customer.Service
	jobs      *job.Queue
	verifyURL string
	exchange  exchange.Outreach
	rates     map[string]int
	accounts  Accounts
	callbacks CallbackOffers
	now       func() time.Time
}

// Options wire a Service.
type Options struct {
	DB    *db.DB
	Audit *audit.Log
	// Tickets posts the closing message to linked conversations.
	Tickets *ticket.Service
	// Customers and Jobs serve outreach: recipients by UID, one durable
	// job per recipient.
	Customers *customer.Service
	Jobs      *job.Queue
	// VerifyURL is the official-channel verifier named in every outreach
	// message.
	VerifyURL string
	// Exchange finds affected customers and shows in-app notices; nil
	// when no exchange is connected (no "inapp" channel, no queries).
	Exchange exchange.Outreach
	// ChannelRates caps each channel, in messages a minute across every
	// campaign ("sms": 600); a campaign's own rate applies below the cap.
	ChannelRates map[string]int
	// Accounts describes identified customers, so a banner is shown only
	// to those an incident touches; nil: every customer is anonymous.
	Accounts Accounts
	// Callbacks offers phone calls during an incident (the "callback"
	// channel); nil: no such channel.
	Callbacks CallbackOffers
	Now       func() time.Time
}

// CallbackOffers opens callbacks the desk offers about an incident.
type CallbackOffers interface {
	// CanOffer reports whether the customer may be offered a call.
	CanOffer(ctx context.Context, customerID int64) (bool, error)
	// OfferCall opens the callback and returns its conversation.
	OfferCall(ctx context.Context, customerID, incidentID int64, language, message string) (conversationID int64, err error)
}

// New returns the service.
func New(o Options) *Service {
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Service{db: o.DB, audit: o.Audit, tickets: o.Tickets, customers: o.Customers, jobs: o.Jobs, verifyURL: o.VerifyURL,
		exchange: o.Exchange, rates: o.ChannelRates, accounts: o.Accounts, callbacks: o.Callbacks, now: o.Now}
}

const incidentColumns = `id, severity, status, features, assets, networks, regions, components,
	title_en, title_zh, message_en, message_zh, started_at, resolved_at, created_by, created_at, updated_at`

func scanIncident(row interface{ Scan(...any) error }) (Incident, error) {
	var i Incident
	var f, as, nw, rg, cp, ten, tzh, men, mzh string
	var started, created, updated int64
	var resolved, by sql.NullInt64
	if err := row.Scan(&i.ID, &i.Severity, &i.Status, &f, &as, &nw, &rg, &cp, &ten, &tzh, &men, &mzh,
		&started, &resolved, &by, &created, &updated); err != nil {
		return i, err
	}
	i.Scope = Scope{Features: split(f), Assets: split(as), Networks: split(nw), Regions: split(rg), Components: split(cp)}
	i.Titles, i.Messages = langs(ten, tzh), langs(men, mzh)
	i.StartedAt, i.ResolvedAt, i.CreatedBy = db.Time(started), db.NullTime(resolved), by.Int64
	i.CreatedAt, i.UpdatedAt = db.Time(created), db.Time(updated)
	i.Updates = []Update{}
	return i, nil
}

func split(s string) []string {
	if s == "" {
		return []string{}
	}
	return strings.Split(s, ",")
}

func langs(en, zh string) map[string]string {
	m := map[string]string{"en": en}
	if zh != "" {
		m["zh"] = zh
	}
	return m
}

// Declare opens an incident; its message is the first update.
func (s *Service) Declare(ctx context.Context, agentID int64, in Input) (Incident, error) {
	if err := in.validate(); err != nil {
		return Incident{}, err
	}
	now := s.now()
	if in.StartedAt.IsZero() || in.StartedAt.After(now) {
		in.StartedAt = now
	}
	var out Incident
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		sc := in.Scope
		i, err := scanIncident(s.db.Q(ctx).QueryRowContext(ctx, `INSERT INTO incidents (severity, status, features, assets, networks,
			regions, components, title_en, title_zh, message_en, message_zh, started_at, created_by, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14) RETURNING `+incidentColumns,
			in.Severity, in.Status, strings.Join(sc.Features, ","), strings.Join(sc.Assets, ","), strings.Join(sc.Networks, ","),
			strings.Join(sc.Regions, ","), strings.Join(sc.Components, ","), in.Titles["en"], in.Titles["zh"],
			in.Messages["en"], in.Messages["zh"], db.Millis(in.StartedAt), db.NullID(agentID), db.Millis(now)))
		if err != nil {
			return fmt.Errorf("incident: declare: %w", err)
		}
		u, err := s.insertUpdate(ctx, i.ID, agentID, in.Status, in.Messages)
		if err != nil {
			return err
		}
		i.Updates = []Update{u}
		out = i
		return s.audit.Record(ctx, "incident.declare", "incident", i.ID, map[string]any{"severity": i.Severity, "scope": i.Scope})
	})
	return out, err
}

// Change replaces an open incident's severity, scope and public text.
func (s *Service) Change(ctx context.Context, id int64, in Input) (Incident, error) {
	if err := in.validate(); err != nil {
		return Incident{}, err
	}
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		if _, err := s.open(ctx, id); err != nil {
			return err
		}
		sc := in.Scope
		_, err := s.db.Q(ctx).ExecContext(ctx, `UPDATE incidents SET severity = $1, status = $2, features = $3, assets = $4,
			networks = $5, regions = $6, components = $7, title_en = $8, title_zh = $9, message_en = $10, message_zh = $11,
			updated_at = $12 WHERE id = $13`,
			in.Severity, in.Status, strings.Join(sc.Features, ","), strings.Join(sc.Assets, ","), strings.Join(sc.Networks, ","),
			strings.Join(sc.Regions, ","), strings.Join(sc.Components, ","), in.Titles["en"], in.Titles["zh"],
			in.Messages["en"], in.Messages["zh"], db.Millis(s.now()), id)
		if err != nil {
			return fmt.Errorf("incident: change: %w", err)
		}
		return s.audit.Record(ctx, "incident.change", "incident", id, map[string]any{"severity": in.Severity, "scope": sc})
	})
	if err != nil {
		return Incident{}, err
	}
	return s.ByID(ctx, id)
}

// open loads an incident that is not resolved.
func (s *Service) open(ctx context.Context, id int64) (Incident, error) {
	i, err := s.ByID(ctx, id)
	if err != nil {
		return i, err
	}
	if !i.Active() {
		return i, apperr.Conflictf("incident.resolved", "incident %d is already resolved", id)
	}
	return i, nil
}

// PostUpdate adds a progress note and moves the incident's status.
func (s *Service) PostUpdate(ctx context.Context, id, agentID int64, in UpdateInput) (Update, error) {
	if err := in.validate(); err != nil {
		return Update{}, err
	}
	var out Update
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		if _, err := s.open(ctx, id); err != nil {
			return err
		}
		u, err := s.insertUpdate(ctx, id, agentID, in.Status, in.Bodies)
		if err != nil {
			return err
		}
		if _, err := s.db.Q(ctx).ExecContext(ctx, `UPDATE incidents SET status = $1, updated_at = $2 WHERE id = $3`,
			in.Status, db.Millis(s.now()), id); err != nil {
			return fmt.Errorf("incident: update status: %w", err)
		}
		out = u
		return s.audit.Record(ctx, "incident.update", "incident", id, map[string]any{"status": in.Status})
	})
	return out, err
}

func (s *Service) insertUpdate(ctx context.Context, id, agentID int64, status string, bodies map[string]string) (Update, error) {
	u := Update{Status: status, Bodies: langs(bodies["en"], bodies["zh"]), CreatedBy: agentID, CreatedAt: db.Time(db.Millis(s.now()))}
	err := s.db.Q(ctx).QueryRowContext(ctx, `INSERT INTO incident_updates (incident_id, status, body_en, body_zh, created_by, created_at)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, id, status, bodies["en"], bodies["zh"], db.NullID(agentID),
		db.Millis(u.CreatedAt)).Scan(&u.ID)
	if err != nil {
		return u, fmt.Errorf("incident: insert update: %w", err)
	}
	return u, nil
}

// Resolve closes the incident with a closing message, then posts it to the
// linked conversations that are still open and solves them when asked.
// Each conversation gets the message at most once (keyed on the incident),
// so a retried resolve after a failure finishes the rest without repeats.
func (s *Service) Resolve(ctx context.Context, id, agentID int64, agentName string, in ResolveInput) (ResolveResult, error) {
	if err := texts("bodies", in.Bodies, 4000); err != nil {
		return ResolveResult{}, err
	}
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		i, err := s.ByID(ctx, id)
		if err != nil {
			return err
		}
		if !i.Active() {
			return nil // resolved before: only the linked conversations are left to finish
		}
		if _, err := s.insertUpdate(ctx, id, agentID, "resolved", in.Bodies); err != nil {
			return err
		}
		now := db.Millis(s.now())
		if _, err := s.db.Q(ctx).ExecContext(ctx, `UPDATE incidents SET status = 'resolved', resolved_at = $1, updated_at = $1
			WHERE id = $2`, now, id); err != nil {
			return fmt.Errorf("incident: resolve: %w", err)
		}
		return s.audit.Record(ctx, "incident.resolve", "incident", id, map[string]any{"notify_linked": in.NotifyLinked,
			"solve_linked": in.SolveLinked})
	})
	if err != nil {
		return ResolveResult{}, err
	}
	var res ResolveResult
	if in.NotifyLinked || in.SolveLinked {
		ids, err := s.Linked(ctx, id)
		if err != nil {
			return res, err
		}
		for _, cid := range ids {
			n, solved, err := s.closeLinked(ctx, id, cid, agentID, agentName, in)
			if err != nil {
				return res, fmt.Errorf("incident: conversation %d: %w", cid, err)
			}
			res.Notified += n
			res.Solved += solved
		}
	}
	res.Incident, err = s.ByID(ctx, id)
	return res, err
}

func (s *Service) closeLinked(ctx context.Context, id, cid, agentID int64, agentName string, in ResolveInput) (notified, solved int, err error) {
	c, err := s.tickets.ByID(ctx, ticket.Scope{All: true}, cid)
	if err != nil {
		return 0, 0, err
	}
	if c.Status == ticket.StatusSolved || c.Status == ticket.StatusClosed || c.MergedInto != 0 {
		return 0, 0, nil
	}
	var status *ticket.Status
	if in.SolveLinked {
		st := ticket.StatusSolved
		status = &st
	}
	if !in.NotifyLinked {
		_, err := s.tickets.Update(ctx, cid, ticket.Patch{Status: status})
		return 0, 1, err
	}
	_, fresh, err := s.tickets.AddMessageOnce(ctx, ticket.MessageInput{ConversationID: cid, AuthorKind: ticket.ByAgent,
		AuthorID: agentID, AuthorName: agentName, Body: pick(in.Bodies, c.Language), Status: status,
		ExternalID: fmt.Sprintf("incident-%d-resolved", id)})
	if err != nil || !fresh {
		return 0, 0, err
	}
	if in.SolveLinked {
		solved = 1
	}
	return 1, solved, nil
}

// ByID returns one incident with its updates, oldest first.
func (s *Service) ByID(ctx context.Context, id int64) (Incident, error) {
	i, err := scanIncident(s.db.Q(ctx).QueryRowContext(ctx, `SELECT `+incidentColumns+` FROM incidents WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return i, apperr.NotFoundf("incident.not_found", "incident %d not found", id)
	}
	if err != nil {
		return i, fmt.Errorf("incident: load: %w", err)
	}
	list := []Incident{i}
	if err := s.loadUpdates(ctx, list); err != nil {
		return i, err
	}
	return list[0], nil
}

// Active lists the open incidents, most severe and newest first.
func (s *Service) Active(ctx context.Context) ([]Incident, error) {
	return s.list(ctx, `WHERE resolved_at IS NULL ORDER BY started_at DESC, id DESC LIMIT 100`)
}

// History lists incidents resolved after since, newest first.
func (s *Service) History(ctx context.Context, since time.Time) ([]Incident, error) {
	return s.list(ctx, `WHERE resolved_at IS NOT NULL AND resolved_at >= $1 ORDER BY resolved_at DESC, id DESC LIMIT 200`, db.Millis(since))
}

func (s *Service) list(ctx context.Context, where string, args ...any) ([]Incident, error) {
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT `+incidentColumns+` FROM incidents `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("incident: list: %w", err)
	}
	defer rows.Close()
	out := []Incident{}
	for rows.Next() {
		i, err := scanIncident(rows)
		if err != nil {
			return nil, fmt.Errorf("incident: list: %w", err)
		}
		out = append(out, i)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("incident: list: %w", err)
	}
	return out, s.loadUpdates(ctx, out)
}

func (s *Service) loadUpdates(ctx context.Context, list []Incident) error {
	for k := range list {
		rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT id, status, body_en, body_zh, created_by, created_at
			FROM incident_updates WHERE incident_id = $1 ORDER BY created_at, id`, list[k].ID)
		if err != nil {
			return fmt.Errorf("incident: updates: %w", err)
		}
		for rows.Next() {
			var u Update
			var en, zh string
			var by sql.NullInt64
			var at int64
			if err := rows.Scan(&u.ID, &u.Status, &en, &zh, &by, &at); err != nil {
				rows.Close()
				return fmt.Errorf("incident: updates: %w", err)
			}
			u.Bodies, u.CreatedBy, u.CreatedAt = langs(en, zh), by.Int64, db.Time(at)
			list[k].Updates = append(list[k].Updates, u)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return fmt.Errorf("incident: updates: %w", err)
		}
	}
	return nil
}

// Match returns the open incident a customer's text is about.
func (s *Service) Match(ctx context.Context, text string) (Incident, bool, error) {
	list, err := s.Active(ctx)
	if err != nil {
		return Incident{}, false, err
	}
	for _, i := range list {
		if i.Matches(text) {
			return i, true, nil
		}
	}
	return Incident{}, false, nil
}
