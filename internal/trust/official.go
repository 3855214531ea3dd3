package trust

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/idna"

	"vigil/internal/apperr"
	"vigil/internal/audit"
	"vigil/internal/customer"
	"vigil/internal/db"
	"vigil/internal/ticket"
)

// Official is one entry of the registry of official channels.
type Official struct {
	ID        int64      `json:"id"`
	Kind      string     `json:"kind"`
	Value     string     `json:"value"`   // canonical: punycode host, +digits, lower-case handle
	Display   string     `json:"display"` // as people read it: Unicode host, @handle
	Note      string     `json:"note"`
	RetiredAt *time.Time `json:"retired_at,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
}

// Verdicts of the verifier.
const (
	VerdictOfficial    = "official"
	VerdictNotOfficial = "not_official"
	VerdictFormer      = "formerly_official"
)

// Answer is what the public verifier says.
type Answer struct {
	Verdict string `json:"verdict"`
	Kind    string `json:"kind,omitempty"`
	Value   string `json:"value"` // what was checked, normalised
	Display string `json:"display,omitempty"`
	Note    string `json:"note,omitempty"`
	// LookalikeOf names the official channel the input imitates.
	LookalikeOf string     `json:"lookalike_of,omitempty"`
	RetiredAt   *time.Time `json:"retired_at,omitempty"`
}

// StaffPrefix starts every agent's public staff ID: VS-0042.
const StaffPrefix = "VS-"

// StaffID is the public ID shown on every agent message, which customers
// can check in the verifier.
func StaffID(agentID int64) string { return fmt.Sprintf("%s%04d", StaffPrefix, agentID) }

var staffRE = regexp.MustCompile(`^VS-?0*([1-9][0-9]{0,9})$`)

// Staff looks up an agent by id for the verifier: their display name and
// whether they are still active.
type Staff func(ctx context.Context, agentID int64) (name string, active bool, err error)

// AddOfficial registers an official channel.
func (s *Service) AddOfficial(ctx context.Context, kind, raw, note string) (Official, error) {
	if !slices.Contains(Kinds, kind) {
		return Official{}, apperr.Field("kind", "verify.kind_invalid", "must be one of %v", Kinds)
	}
	if len(note) > 500 {
		return Official{}, apperr.Field("note", "verify.note_too_long", "at most 500 characters")
	}
	c, err := Normalize(kind, raw)
	if err != nil {
		return Official{}, err
	}
	o := Official{Kind: kind, Value: c.Value, Display: display(c), Note: strings.TrimSpace(note), CreatedAt: s.now().UTC().Truncate(time.Millisecond)}
	err = s.db.WithTx(ctx, func(ctx context.Context) error {
		err := s.db.Q(ctx).QueryRowContext(ctx, `INSERT INTO official_channels (kind, value, display, note, created_by, created_at)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, o.Kind, o.Value, o.Display, o.Note, optID(audit.ActorFrom(ctx).ID), db.Millis(o.CreatedAt)).Scan(&o.ID)
		if db.IsUniqueViolation(err) {
			return apperr.Conflictf("verify.duplicate", "%s %s is already registered", kind, o.Display)
		}
		if err != nil {
			return wrap("add official", err)
		}
		return s.audit.Record(ctx, "official.add", "official_channel", o.ID, map[string]any{"kind": kind, "value": o.Value})
	})
	return o, err
}

// RetireOfficial marks a channel formerly official: the verifier then
// warns that it no longer speaks for the exchange.
func (s *Service) RetireOfficial(ctx context.Context, id int64) (Official, error) {
	var o Official
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		var err error
		if o, err = s.officialByID(ctx, id); err != nil {
			return err
		}
		if o.RetiredAt != nil {
			return nil
		}
		now := s.now().UTC().Truncate(time.Millisecond)
		o.RetiredAt = &now
		if _, err := s.db.Q(ctx).ExecContext(ctx, `UPDATE official_channels SET retired_at = $1 WHERE id = $2`, db.Millis(now), id); err != nil {
			return wrap("retire official", err)
		}
		return s.audit.Record(ctx, "official.retire", "official_channel", id, map[string]any{"kind": o.Kind, "value": o.Value})
	})
	return o, err
}

// Officials lists the registry.
func (s *Service) Officials(ctx context.Context) ([]Official, error) {
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT id, kind, value, display, note, retired_at, created_at FROM official_channels ORDER BY kind, value`)
	if err != nil {
		return nil, wrap("officials", err)
	}
	defer rows.Close()
	out := []Official{}
	for rows.Next() {
		o, err := scanOfficial(rows)
		if err != nil {
			return nil, wrap("officials", err)
		}
		out = append(out, o)
	}
	return out, wrap("officials", rows.Err())
}

// Verify answers "is this channel official?" for anything a person pastes:
// a link, an email address, a phone number, a handle or a staff ID.
func (s *Service) Verify(ctx context.Context, q string) (Answer, error) {
	cs, err := Readings(q)
	if err != nil {
		return Answer{}, err
	}
	all, err := s.Officials(ctx)
	if err != nil {
		return Answer{}, err
	}
	for _, c := range cs {
		if c.Kind == KindStaffID {
			if a, ok, err := s.verifyStaff(ctx, c); err != nil || ok {
				return a, err
			}
		}
		for _, o := range all {
			if o.Kind == c.Kind && covers(o, c) {
				a := Answer{Verdict: VerdictOfficial, Kind: o.Kind, Value: c.Value, Display: o.Display, Note: o.Note}
				if o.RetiredAt != nil {
					a.Verdict, a.RetiredAt = VerdictFormer, o.RetiredAt
				}
				return a, nil
			}
		}
	}
	// Not in the registry: say whether it imitates something that is.
	a := Answer{Verdict: VerdictNotOfficial, Kind: cs[0].Kind, Value: cs[0].Value, Display: display(cs[0])}
	for _, c := range cs {
		if c.Skeleton == "" {
			continue
		}
		for _, o := range all {
			if o.RetiredAt == nil && lookalike(o, c) {
				a.Kind, a.LookalikeOf = c.Kind, o.Display
				return a, nil
			}
		}
	}
	return a, nil
}

// covers reports whether the registry entry o is the candidate c; an
// official domain covers its subdomains.
func covers(o Official, c Candidate) bool {
	if o.Value == c.Value {
		return true
	}
	return o.Kind == KindDomain && strings.HasSuffix(c.Value, "."+o.Value)
}

func lookalike(o Official, c Candidate) bool {
	oc := Candidate{Kind: o.Kind, Value: o.Value}
	switch o.Kind {
	case KindDomain:
		oc.Skeleton = hostSkeleton(o.Value)
		// A look-alike of the domain or of any of its subdomains' base.
		return o.Kind == c.Kind && (oc.Skeleton == c.Skeleton || strings.HasSuffix(c.Skeleton, "."+oc.Skeleton))
	case KindEmail:
		local, domain, _ := strings.Cut(o.Value, "@")
		oc.Skeleton = skeleton(local) + "@" + hostSkeleton(domain)
	default:
		oc.Skeleton = skeleton(o.Value)
	}
	return o.Kind == c.Kind && oc.Skeleton == c.Skeleton
}

func (s *Service) verifyStaff(ctx context.Context, c Candidate) (Answer, bool, error) {
	m := staffRE.FindStringSubmatch(c.Value)
	if m == nil || s.staff == nil {
		return Answer{}, false, nil
	}
	id, _ := strconv.ParseInt(m[1], 10, 64)
	name, active, err := s.staff(ctx, id)
	if apperr.Is(err, apperr.NotFound) {
		return Answer{Verdict: VerdictNotOfficial, Kind: KindStaffID, Value: StaffID(id)}, true, nil
	}
	if err != nil {
		return Answer{}, false, err
	}
	a := Answer{Verdict: VerdictOfficial, Kind: KindStaffID, Value: StaffID(id), Display: name}
	if !active {
		a.Verdict = VerdictFormer
	}
	return a, true, nil
}

func display(c Candidate) string {
	switch c.Kind {
	case KindDomain:
		if u, err := idna.Display.ToUnicode(c.Value); err == nil {
			return u
		}
	case KindTelegram, KindX, KindWeChat:
		return "@" + c.Value
	}
	return c.Value
}

func scanOfficial(row interface{ Scan(...any) error }) (Official, error) {
	var o Official
	var retired sql.NullInt64
	var created int64
	err := row.Scan(&o.ID, &o.Kind, &o.Value, &o.Display, &o.Note, &retired, &created)
	o.RetiredAt, o.CreatedAt = optTime(retired), db.Time(created)
	return o, err
}

func (s *Service) officialByID(ctx context.Context, id int64) (Official, error) {
	o, err := scanOfficial(s.db.Q(ctx).QueryRowContext(ctx, `SELECT id, kind, value, display, note, retired_at, created_at FROM official_channels WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Official{}, apperr.NotFoundf("verify.not_found", "official channel %d not found", id)
	}
	return o, wrap("official", err)
}

// Report is someone telling the desk about an impersonator they met.
type Report struct {
	Query    string // what they checked
	Email    string // optional, to hear back
	Details  string
	Language string
}

// ReportImpersonation opens a high-priority security conversation about a
// channel that is not official, so the desk can warn others and act.
func (s *Service) ReportImpersonation(ctx context.Context, r Report) (int64, error) {
	q, err := Clean(r.Query)
	if err != nil {
		return 0, err
	}
	if len(r.Details) > 4000 {
		return 0, apperr.Field("details", "verify.details_too_long", "at most 4000 characters")
	}
	lang := r.Language
	if lang != "zh" {
		lang = "en"
	}
	in := customer.Input{Language: &lang}
	if e := strings.TrimSpace(r.Email); e != "" {
		in.Email = &e
		in.Identities = []customer.Identity{{Channel: "email", ExternalID: strings.ToLower(e)}}
	}
	cu, err := s.customers.Create(ctx, in)
	if err != nil {
		return 0, err
	}
	a, err := s.Verify(ctx, q)
	if err != nil {
		return 0, err
	}
	body := s.t(lang, "verify.report_body", q, s.t(lang, "verify.verdict."+a.Verdict))
	if d := strings.TrimSpace(r.Details); d != "" {
		body += "\n\n" + d
	}
	conv, _, err := s.tickets.Open(ctx, ticket.OpenInput{CustomerID: cu.ID, Channel: "webchat", Category: "account_security",
		Priority: ticket.High, Language: lang, Tags: []string{"impersonation"}, Subject: s.t(lang, "verify.report_subject"),
		Message: ticket.MessageInput{AuthorKind: ticket.ByCustomer, AuthorID: cu.ID, Body: body}})
	if err != nil {
		return 0, err
	}
	return conv.ID, s.audit.Record(ctx, "official.impersonation_reported", "conversation", conv.ID, map[string]any{"query": q, "verdict": a.Verdict})
}
