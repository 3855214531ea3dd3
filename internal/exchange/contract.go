// Package exchange is the connector to the exchange's own backend: the
// contract it implements (docs/exchange-connector.md), a signing HTTP
// client with timeouts, retries and a circuit breaker, and a sandbox
// exchange with demo data that serves the same contract in-process.
package exchange

import (
	"context"
	"time"
)

// Customer is the exchange's view of one account.
type Customer struct {
	UID      string `json:"uid"`
	Name     string `json:"name"`
	Email    string `json:"email"`
	Phone    string `json:"phone"`
	Country  string `json:"country"`
	Language string `json:"language"`
	KYCLevel int    `json:"kyc_level"`
	VIPTier  int    `json:"vip_tier"`
	// AntiPhishingCode is the phrase the exchange puts in every genuine
	// email; an agent may quote it so the customer knows the desk is real.
	AntiPhishingCode string `json:"anti_phishing_code"`
	// Channels are where a one-time code can be sent.
	Channels  []Channel `json:"channels"`
	Frozen    bool      `json:"frozen"`
	CreatedAt time.Time `json:"created_at"`
}

// Channel is a registered device or address of the customer.
type Channel struct {
	Kind string `json:"kind"` // "device" (the app), "email", "sms"
	// Destination is shown masked ("a***@example.com", "iPhone 15").
	Destination string `json:"destination"`
}

// Transfer is a deposit or a withdrawal.
type Transfer struct {
	ID            string    `json:"id"`
	Asset         string    `json:"asset"`
	Network       string    `json:"network"`
	Amount        string    `json:"amount"` // decimal string: amounts are never floats
	Address       string    `json:"address"`
	TxID          string    `json:"txid"`
	Status        string    `json:"status"` // pending, confirming, completed, failed, cancelled, review
	Confirmations int       `json:"confirmations"`
	Required      int       `json:"required_confirmations"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

// Order is a trade order.
type Order struct {
	ID        string    `json:"id"`
	Symbol    string    `json:"symbol"`
	Side      string    `json:"side"` // buy, sell
	Type      string    `json:"type"` // limit, market
	Price     string    `json:"price"`
	Quantity  string    `json:"quantity"`
	Filled    string    `json:"filled"`
	Status    string    `json:"status"` // open, filled, partially_filled, cancelled
	CreatedAt time.Time `json:"created_at"`
}

// Login is one sign-in to the exchange.
type Login struct {
	At      time.Time `json:"at"`
	IP      string    `json:"ip"`
	Country string    `json:"country"` // ISO 3166-1 alpha-2
	City    string    `json:"city"`
	Device  string    `json:"device"`
	Result  string    `json:"result"` // success, failed, blocked
	// New is true when the exchange has not seen this device or country
	// for the customer before.
	New bool `json:"new"`
}

// Activity is a customer's recent history, newest first in each list.
type Activity struct {
	Deposits    []Transfer `json:"deposits"`
	Withdrawals []Transfer `json:"withdrawals"`
	Orders      []Order    `json:"orders"`
	Logins      []Login    `json:"logins"`
}

// Query finds a customer by exactly one of its keys.
type Query struct {
	UID   string
	Email string
	Phone string
}

// AccountState is the answer to a freeze or unfreeze.
type AccountState struct {
	UID      string    `json:"uid"`
	Frozen   bool      `json:"frozen"`
	ChangeAt time.Time `json:"changed_at"`
}

// FreezeRequest asks the exchange to freeze or unfreeze an account.
type FreezeRequest struct {
	UID    string `json:"-"`
	Reason string `json:"reason"`
	// RequestedBy names who asked: "customer", "agent:12".
	RequestedBy string `json:"requested_by"`
	// Key makes the call idempotent: the same key twice changes the
	// account once. It travels as the Idempotency-Key header.
	Key string `json:"-"`
}

// CodeRequest asks the exchange to deliver a one-time code Vigil made.
// Vigil keeps only the code's hash and counts the attempts; the exchange
// only delivers it to a channel the customer registered.
type CodeRequest struct {
	UID      string `json:"-"`
	Channel  string `json:"channel"` // device or email
	Code     string `json:"code"`
	Language string `json:"language"`
	// Purpose is shown to the customer: "verify_chat".
	Purpose string `json:"purpose"`
}

// CodeSent says where a code went.
type CodeSent struct {
	Channel     string `json:"channel"`
	Destination string `json:"destination"` // masked
}

// Connector is what the desk needs from the exchange. Client implements it
// over HTTP; errors carry apperr kinds (NotFound for an unknown customer,
// Unavailable when the exchange cannot be reached).
type Connector interface {
	Lookup(ctx context.Context, q Query) (Customer, error)
	Activity(ctx context.Context, uid string, limit int) (Activity, error)
	Freeze(ctx context.Context, r FreezeRequest) (AccountState, error)
	Unfreeze(ctx context.Context, r FreezeRequest) (AccountState, error)
	SendCode(ctx context.Context, r CodeRequest) (CodeSent, error)
	// Sandbox reports whether this is the built-in demo exchange, which
	// the console labels as such.
	Sandbox() bool
}
