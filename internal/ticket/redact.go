package ticket

import "context"

// Redactor screens a customer's message before it is stored, so secrets
// (seed phrases, private keys, 2FA codes) never reach the database or an
// agent. It runs inside the message's transaction; trust implements it.
type Redactor interface {
	Redact(ctx context.Context, c Conversation, body string) (Redaction, error)
	// Clean reports, from the text alone, that Redact would store body as
	// written. It runs before the writer's turn, so a plain message costs
	// the shared transaction no screening.
	Clean(body string) bool
}

// Redaction is the screened message.
type Redaction struct {
	Body string // what is stored and shown; the original when nothing was found
	// Found names what was removed, for the audit entry.
	Found []string
	// Reply, when set, is a system message to the customer right after
	// theirs (a warning in their language).
	Reply string
}
