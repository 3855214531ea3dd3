// Package customer keeps the people who write to the desk: their exchange
// identity, contact details, language, VIP tier and channel identities.
package customer

import (
	"context"
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"time"

	"vigil/internal/apperr"
	"vigil/internal/audit"
	"vigil/internal/db"
	"vigil/internal/event"
)

// Customer is an exchange user (or an anonymous visitor) in the desk.
type Customer struct {
	ID       int64  `json:"id"`
	UID      string `json:"uid,omitempty"`
	Name     string `json:"name"`
	Email    string `json:"email"`
	Phone    string `json:"phone"`
	Language string `json:"language"`
	VIPTier  int    `json:"vip_tier"`
	KYCLevel int    `json:"kyc_level"`
	// AccountManagerID is the agent dedicated to this customer (VIPs):
	// routing prefers them when they are online with room.
	AccountManagerID int64      `json:"account_manager_id,omitempty"`
	MergedInto       int64      `json:"merged_into,omitempty"`
	Identities       []Identity `json:"identities"`
	CreatedAt        time.Time  `json:"created_at"`
	UpdatedAt        time.Time  `json:"updated_at"`
	// AntiPhishingCode is the phrase the exchange shows the customer and
	// prints in every email from the desk. It is kept out of the API: an
	// agent who could read it could forge convincing mail.
	AntiPhishingCode string `json:"-"`
}

// Identity links a customer to an address on one channel.
type Identity struct {
	Channel    string `json:"channel"`
	ExternalID string `json:"external_id"`
}

// Channels a customer identity can belong to.
var Channels = []string{"webchat", "email", "telegram", "discord", "sms", "phone", "api"}

// Languages the desk serves.
var Languages = []string{"en", "zh"}

// Service manages customers.
type Service struct {
	db    *db.DB
	audit *audit.Log
	bus   event.Bus
	now   func() time.Time
}

// New returns a Service.
func New(d *db.DB, a *audit.Log, bus event.Bus, now func() time.Time) *Service {
	return &Service{db: d, audit: a, bus: bus, now: now}
}

// Input holds editable fields; nil means unchanged (or default on create).
type Input struct {
	UID      *string `json:"uid"`
	Name     *string `json:"name"`
	Email    *string `json:"email"`
	Phone    *string `json:"phone"`
	Language *string `json:"language"`
	VIPTier  *int    `json:"vip_tier"`
	KYCLevel *int    `json:"kyc_level"`
	// AccountManagerID sets the dedicated agent; 0 clears it.
	AccountManagerID *int64     `json:"account_manager_id"`
	Identities       []Identity `json:"identities"`
}

func (in *Input) validate() error {
	trim := func(p *string) {
		if p != nil {
			*p = strings.TrimSpace(*p)
		}
	}
	trim(in.UID)
	trim(in.Name)
	trim(in.Email)
	trim(in.Phone)
	if in.UID != nil && len(*in.UID) > 64 {
		return apperr.Field("uid", "customer.uid_invalid", "must be at most 64 characters")
	}
	if in.Name != nil && len(*in.Name) > 200 {
		return apperr.Field("name", "customer.name_invalid", "must be at most 200 characters")
	}
	if in.Email != nil && *in.Email != "" {
		*in.Email = strings.ToLower(*in.Email)
		if err := CheckEmail(*in.Email); err != nil {
			return err
		}
	}
	if in.Phone != nil && *in.Phone != "" && !validPhone(*in.Phone) {
		return apperr.Field("phone", "customer.phone_invalid", "must be in international format, e.g. +85212345678")
	}
	if in.Language != nil && !slices.Contains(Languages, *in.Language) {
		return apperr.Field("language", "customer.language_invalid", "must be one of %v", Languages)
	}
	if in.AccountManagerID != nil && *in.AccountManagerID < 0 {
		return apperr.Field("account_manager_id", "customer.manager_invalid", "must be an agent id or 0")
	}
	if in.VIPTier != nil && (*in.VIPTier < 0 || *in.VIPTier > 9) {
		return apperr.Field("vip_tier", "customer.vip_invalid", "must be between 0 and 9")
	}
	if in.KYCLevel != nil && (*in.KYCLevel < 0 || *in.KYCLevel > 9) {
		return apperr.Field("kyc_level", "customer.kyc_invalid", "must be between 0 and 9")
	}
	for i, id := range in.Identities {
		if !slices.Contains(Channels, id.Channel) {
			return apperr.Field("identities", "customer.identity_channel", "unknown channel %q", id.Channel)
		}
		id.ExternalID = strings.TrimSpace(id.ExternalID)
		if id.ExternalID == "" || len(id.ExternalID) > 256 {
			return apperr.Field("identities", "customer.identity_invalid", "external id must be 1 to 256 characters")
		}
		in.Identities[i] = id
	}
	return nil
}

func validPhone(p string) bool {
	if len(p) < 8 || len(p) > 16 || p[0] != '+' {
		return false
	}
	for _, c := range p[1:] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// Create adds a customer with optional identities.
func (s *Service) Create(ctx context.Context, in Input) (Customer, error) {
	if err := in.validate(); err != nil {
		return Customer{}, err
	}
	var id int64
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		now := db.Millis(s.now())
		lang := "en"
		if in.Language != nil {
			lang = *in.Language
		}
		err := s.db.Q(ctx).QueryRowContext(ctx, `INSERT INTO customers
			(uid, name, email, phone, language, vip_tier, kyc_level, account_manager_id, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id`,
			nullString(in.UID), deref(in.Name), deref(in.Email), deref(in.Phone), lang,
			derefInt(in.VIPTier), derefInt(in.KYCLevel), db.NullID(derefID(in.AccountManagerID)), now).Scan(&id)
		if db.IsUniqueViolation(err) {
			return apperr.Conflictf("customer.uid_taken", "a customer with this exchange UID already exists")
		}
		if db.IsForeignKeyViolation(err) {
			return apperr.Field("account_manager_id", "customer.manager_not_found", "no such agent")
		}
		if err != nil {
			return fmt.Errorf("customer: create: %w", err)
		}
		for _, ident := range in.Identities {
			if err := s.addIdentity(ctx, id, ident); err != nil {
				return err
			}
		}
		return s.audit.Record(ctx, "customer.create", "customer", id, nil)
	})
	if err != nil {
		return Customer{}, err
	}
	return s.ByID(ctx, id)
}

// Update changes the given fields and adds any new identities.
func (s *Service) Update(ctx context.Context, id int64, in Input) (Customer, error) {
	if err := in.validate(); err != nil {
		return Customer{}, err
	}
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		c, err := s.ByID(ctx, id)
		if err != nil {
			return err
		}
		if c.MergedInto != 0 {
			return apperr.Conflictf("customer.merged", "customer %d was merged into %d", id, c.MergedInto)
		}
		set := []string{"updated_at = $1"}
		args := []any{db.Millis(s.now())}
		fields := []string{}
		add := func(col string, v any) {
			args = append(args, v)
			set = append(set, fmt.Sprintf("%s = $%d", col, len(args)))
			fields = append(fields, col)
		}
		if in.UID != nil {
			add("uid", nullString(in.UID))
		}
		if in.Name != nil {
			add("name", *in.Name)
		}
		if in.Email != nil {
			add("email", *in.Email)
		}
		if in.Phone != nil {
			add("phone", *in.Phone)
		}
		if in.Language != nil {
			add("language", *in.Language)
		}
		if in.VIPTier != nil {
			add("vip_tier", *in.VIPTier)
		}
		if in.KYCLevel != nil {
			add("kyc_level", *in.KYCLevel)
		}
		if in.AccountManagerID != nil {
			add("account_manager_id", db.NullID(*in.AccountManagerID))
		}
		args = append(args, id)
		_, err = s.db.Q(ctx).ExecContext(ctx, fmt.Sprintf(`UPDATE customers SET %s WHERE id = $%d`, strings.Join(set, ", "), len(args)), args...)
		if db.IsUniqueViolation(err) {
			return apperr.Conflictf("customer.uid_taken", "a customer with this exchange UID already exists")
		}
		if db.IsForeignKeyViolation(err) {
			return apperr.Field("account_manager_id", "customer.manager_not_found", "no such agent")
		}
		if err != nil {
			return fmt.Errorf("customer: update: %w", err)
		}
		for _, ident := range in.Identities {
			if err := s.addIdentity(ctx, id, ident); err != nil {
				return err
			}
		}
		// Field names only: values may be personal data.
		return s.audit.Record(ctx, "customer.update", "customer", id, map[string]any{"fields": fields})
	})
	if err != nil {
		return Customer{}, err
	}
	return s.ByID(ctx, id)
}

func (s *Service) addIdentity(ctx context.Context, customerID int64, ident Identity) error {
	var owner int64
	err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT customer_id FROM customer_identities WHERE channel = $1 AND external_id = $2`,
		ident.Channel, ident.ExternalID).Scan(&owner)
	if err == nil {
		if owner == customerID {
			return nil
		}
		return apperr.Conflictf("customer.identity_taken", "this %s identity belongs to another customer; merge the customers instead", ident.Channel)
	}
	_, err = s.db.Q(ctx).ExecContext(ctx, `INSERT INTO customer_identities (customer_id, channel, external_id, created_at)
		VALUES ($1, $2, $3, $4)`, customerID, ident.Channel, ident.ExternalID, db.Millis(s.now()))
	if db.IsUniqueViolation(err) {
		// A concurrent request claimed it between the lookup and the insert.
		return apperr.Conflictf("customer.identity_taken", "this %s identity belongs to another customer; merge the customers instead", ident.Channel)
	}
	if err != nil {
		return fmt.Errorf("customer: add identity: %w", err)
	}
	return nil
}

// Resolve returns the customer who owns the channel identity, creating one
// when none does. Channels call it for every inbound message, so the lookup
// comes first and creation races settle on the unique index.
func (s *Service) Resolve(ctx context.Context, ident Identity, defaults Input) (Customer, bool, error) {
	// Look up the identity as Create will store it.
	ident.ExternalID = strings.TrimSpace(ident.ExternalID)
	var id int64
	err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT customer_id FROM customer_identities WHERE channel = $1 AND external_id = $2`,
		ident.Channel, ident.ExternalID).Scan(&id)
	if err == nil {
		c, err := s.ByID(ctx, id)
		return c, false, err
	}
	defaults.Identities = append(defaults.Identities, ident)
	c, err := s.Create(ctx, defaults)
	if apperr.Is(err, apperr.Conflict) {
		// Another request created it first.
		if err2 := s.db.Q(ctx).QueryRowContext(ctx, `SELECT customer_id FROM customer_identities WHERE channel = $1 AND external_id = $2`,
			ident.Channel, ident.ExternalID).Scan(&id); err2 == nil {
			c, err := s.ByID(ctx, id)
			return c, false, err
		}
	}
	return c, err == nil, err
}

// Absorb folds source into target: identities move to the target, blank
// fields are filled from the source, and the source stays as a pointer so
// old links still resolve. Records owned by other packages (conversations)
// must move in the same transaction, so ticket.Service.MergeCustomers is
// the entry point; moved is recorded in the audit entry.
func (s *Service) Absorb(ctx context.Context, targetID, sourceID int64, moveDependents func(ctx context.Context) (int, error)) (Customer, error) {
	if targetID == sourceID {
		return Customer{}, apperr.Invalidf("customer.merge_self", "cannot merge a customer into itself")
	}
	now := s.now()
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		target, err := s.ByID(ctx, targetID)
		if err != nil {
			return err
		}
		source, err := s.ByID(ctx, sourceID)
		if err != nil {
			return err
		}
		if target.MergedInto != 0 || source.MergedInto != 0 {
			return apperr.Conflictf("customer.merged", "a customer that was already merged cannot be merged again")
		}
		if target.UID != "" && source.UID != "" && target.UID != source.UID {
			return apperr.Conflictf("customer.merge_uid", "both customers have different exchange UIDs; they are different people")
		}
		q := s.db.Q(ctx)
		if _, err := q.ExecContext(ctx, `UPDATE customer_identities SET customer_id = $1 WHERE customer_id = $2`, targetID, sourceID); err != nil {
			return fmt.Errorf("customer: merge identities: %w", err)
		}
		moved, err := moveDependents(ctx)
		if err != nil {
			return err
		}
		// Fill the target's blanks from the source; the target wins conflicts.
		if _, err := q.ExecContext(ctx, `UPDATE customers SET uid = NULL, merged_into = $1, updated_at = $2 WHERE id = $3`,
			targetID, db.Millis(now), sourceID); err != nil {
			return fmt.Errorf("customer: merge: %w", err)
		}
		fill := func(cur, other string) string {
			if cur == "" {
				return other
			}
			return cur
		}
		if _, err := q.ExecContext(ctx, `UPDATE customers SET uid = $1, name = $2, email = $3, phone = $4,
			vip_tier = $5, kyc_level = $6, updated_at = $7 WHERE id = $8`,
			nullString(ptr(fill(target.UID, source.UID))), fill(target.Name, source.Name), fill(target.Email, source.Email),
			fill(target.Phone, source.Phone), max(target.VIPTier, source.VIPTier), max(target.KYCLevel, source.KYCLevel),
			db.Millis(now), targetID); err != nil {
			return fmt.Errorf("customer: merge: %w", err)
		}
		db.AfterCommit(ctx, func() { s.bus.Publish(ctx, event.CustomersMerged{TargetID: targetID, SourceID: sourceID, At: now}) })
		return s.audit.Record(ctx, "customer.merge", "customer", targetID, map[string]any{"source": sourceID, "conversations_moved": moved})
	})
	if err != nil {
		return Customer{}, err
	}
	return s.ByID(ctx, targetID)
}

func nullString(p *string) any {
	if p == nil || *p == "" {
		return nil
	}
	return *p
}

func ptr[T any](v T) *T { return &v }

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func derefInt(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}

// CheckEmail reports whether s is a plain email address (lower case, no
// display name), as customers' addresses are stored.
func CheckEmail(s string) error {
	s = strings.ToLower(s)
	if a, err := mail.ParseAddress(s); err != nil || a.Address != s || len(s) > 254 {
		return apperr.Field("email", "customer.email_invalid", "is not a valid email address")
	}
	return nil
}

func derefID(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}
