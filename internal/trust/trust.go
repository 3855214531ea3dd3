// Package trust keeps customers safe from impostors and from the desk
// itself: how sure the desk is of who is writing (verification levels),
// what agents may see until then (masking), secrets screened out of
// messages, the self-service account freeze with a two-person unfreeze,
// and the registry of official channels anyone can check.
package trust

import (
	"time"

	"vigil/internal/audit"
	"vigil/internal/customer"
	"vigil/internal/db"
	"vigil/internal/exchange"
	"vigil/internal/ticket"
)

// Level is how sure the desk is that the person writing owns the account.
type Level int

const (
	// Anonymous: nothing ties the writer to an exchange account.
	Anonymous Level = iota
	// Identified: the exchange signed the widget identity (the customer is
	// signed in to the exchange in this browser).
	Identified
	// Verified: proved in this conversation, by a one-time code sent to the
	// registered device or email, or by an agent's documented checks.
	Verified
)

var levelNames = []string{"anonymous", "identified", "verified"}

func (l Level) String() string {
	if l < 0 || int(l) >= len(levelNames) {
		return "anonymous"
	}
	return levelNames[l]
}

// MarshalText writes the level's name.
func (l Level) MarshalText() ([]byte, error) { return []byte(l.String()), nil }

// Policy is what the desk requires.
type Policy struct {
	// RevealLevel is the level at which agents see sensitive fields
	// unmasked and may take sensitive actions (request an unfreeze).
	RevealLevel Level
	// CodeTTL is how long a one-time code is valid; CodeAttempts how many
	// wrong entries burn it; CodesPerHour how many may be sent for one
	// conversation in an hour.
	CodeTTL      time.Duration
	CodeAttempts int
	CodesPerHour int
	// RevealTTL is how long a reveal with a reason lasts.
	RevealTTL time.Duration
	// UnfreezeCooldown is the least time between a freeze and the unfreeze
	// taking effect, and between the approval and the unfreeze.
	UnfreezeCooldown time.Duration
	// ProfilesPerHour is how many different customers' profiles one agent
	// may open in an hour before supervisors are alerted and further
	// profiles are refused (0: no limit).
	ProfilesPerHour int
}

// DefaultPolicy is a strict desk.
var DefaultPolicy = Policy{RevealLevel: Verified, CodeTTL: 10 * time.Minute, CodeAttempts: 3, CodesPerHour: 3,
	RevealTTL: 15 * time.Minute, UnfreezeCooldown: 24 * time.Hour, ProfilesPerHour: 60}

// Translate turns a catalogue key into a customer-facing sentence; the
// app passes i18n.T. Messages to customers are written in their language.
type Translate func(lang, key string, args ...any) string

// Options wire a Service.
type Options struct {
	DB        *db.DB
	Audit     *audit.Log
	Exchange  exchange.Connector // nil: no exchange, no codes, no freeze
	Customers *customer.Service
	Tickets   *ticket.Service
	Screen    *Screen
	Policy    *Policy // nil: DefaultPolicy
	Now       func() time.Time
	T         Translate
	Staff     Staff // nil: staff IDs are not checked
}

// Service is the trust domain.
type Service struct {
	db        *db.DB
	audit     *audit.Log
	exchange  exchange.Connector
	customers *customer.Service
	tickets   *ticket.Service
	screen    *Screen
	policy    Policy
	now       func() time.Time
	t         Translate
	staff     Staff
}

// New returns a Service.
func New(o Options) *Service {
	p := DefaultPolicy
	if o.Policy != nil {
		p = *o.Policy
	}
	return &Service{db: o.DB, audit: o.Audit, exchange: o.Exchange, customers: o.Customers, tickets: o.Tickets,
		screen: o.Screen, policy: p, now: o.Now, t: o.T, staff: o.Staff}
}

// Policy returns the desk's policy.
func (s *Service) Policy() Policy { return s.policy }

// Sandbox reports whether the exchange is the built-in sandbox.
func (s *Service) Sandbox() bool { return s.exchange != nil && s.exchange.Sandbox() }
