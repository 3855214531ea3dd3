// Package channel is the one contract every channel adapter speaks. An
// adapter turns the outside world into normalised Inbound messages and
// sends Outbound ones; this package threads inbound messages into
// conversations, de-duplicates redeliveries, and runs the delivery jobs
// that carry replies out. Conversation rules stay in ticket; adapters
// never touch them or other packages' tables.
package channel

import (
	"context"
	"time"

	"vigil/internal/customer"
	"vigil/internal/ticket"
)

// Inbound is one message from outside the desk, as an adapter normalised it.
type Inbound struct {
	Channel string // "email", "telegram"
	// ExternalID is the message's id on its channel (an email Message-ID).
	// The same id delivered twice yields one message.
	ExternalID string
	// InReplyTo lists the external ids of earlier messages this one
	// answers, most direct first (In-Reply-To, then References newest
	// first); the first one the desk knows picks the conversation.
	InReplyTo []string
	// ConversationID is a conversation number the sender quoted (the
	// "[#123]" token of a subject); it is honoured only when the sender is
	// that conversation's customer, since anyone can type a number.
	ConversationID int64
	// Unverified is set when the channel could not confirm the sender (an
	// email without a valid DKIM signature from its From domain). Agents
	// are told, and a quoted conversation number is not trusted, since
	// anyone can forge a From address.
	Unverified bool
	// Continue is set by chat channels (Telegram), where one chat is one
	// running thread: without a known reply reference the message goes to
	// the sender's latest conversation on the channel, unless it is closed.
	Continue bool
	From     Sender
	Subject  string
	// Body is what agents read: quoted replies and signatures stripped.
	Body string
	// HTML, when the message came as HTML (email), is what agents see in
	// place of Body rendered as Markdown; ticket sanitises it.
	HTML string
	// Original is the message exactly as it arrived, kept for the record.
	Original    []byte
	Language    string // "en" or "zh"; empty means unknown
	Attachments []File
	// Dropped names attachments the adapter could not keep (a type the
	// desk does not accept), so agents know they existed.
	Dropped []string
}

// Sender is who wrote an inbound message.
type Sender struct {
	// ID is the sender's identity on the channel (an email address, a
	// Telegram user id); it finds or creates the customer.
	ID    string
	Name  string
	Email string // when the channel reveals it
}

// File is an attachment as received.
type File struct {
	Name string
	Data []byte
}

// Outbound is a public message from the desk to deliver on a channel.
type Outbound struct {
	Conversation ticket.Conversation
	Message      ticket.Message
	Customer     customer.Customer
	// To is the customer's identity on the channel (their email address).
	To string
	// Thread lists the external ids of the conversation's earlier channel
	// messages, oldest first; InReplyTo is the latest one the customer sent.
	Thread    []string
	InReplyTo string
	// Key is the delivery's idempotency key: an adapter that derives the
	// external id from it gives a repeated delivery the same id.
	Key string
	// Attempt counts the delivery's runs, 1 on the first; a later run may
	// follow one that reached the channel but was not recorded (a worker
	// killed after the send), which an adapter can check for.
	Attempt int
	// Link, when set, is where the customer continues the conversation on
	// its own channel (the chat page of a web chat reply sent by email).
	Link string
}

// Adapter delivers outbound messages on one channel.
type Adapter interface {
	// Channel names the channel the adapter serves ("email").
	Channel() string
	// Send delivers the message and returns the id the channel knows it
	// by. An error wrapped with job.Permanent is not retried.
	Send(ctx context.Context, out Outbound) (externalID string, err error)
}

// Received reports what Receive did with an inbound message.
type Received struct {
	ConversationID int64
	MessageID      int64
	// Created is true when the message opened a new conversation.
	Created bool
	// Duplicate is true when the message had been received before.
	Duplicate bool
	At        time.Time
}
