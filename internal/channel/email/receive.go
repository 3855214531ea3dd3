package email

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"strconv"
	"strings"
	"time"

	"vigil/internal/apperr"
	"vigil/internal/auth"
	"vigil/internal/channel"
	"vigil/internal/db"
)

// Inbox is where received mail goes (channel.Service).
type Inbox interface {
	Receive(ctx context.Context, in channel.Inbound) (channel.Received, error)
}

// ReceiverOptions configure a Receiver.
type ReceiverOptions struct {
	DB    *db.DB
	Inbox Inbox
	Log   *slog.Logger
	Now   func() time.Time
	// Addresses are the mailboxes the desk answers (support@exchange.example);
	// plus-addressed variants (support+123@…) reach the same mailbox and
	// name a conversation. Mail to anything else is refused: the receiver
	// never relays.
	Addresses []string
	// MaxMessageBytes refuses larger messages (0: 25 MiB).
	MaxMessageBytes int64
	// SenderLimiter throttles messages per sender address; ConnLimiter
	// throttles SMTP connections per client IP. Nil: no limit.
	SenderLimiter *auth.Limiter
	ConnLimiter   *auth.Limiter
	// VerifySenders checks each message's DKIM signatures against DNS; a
	// message without a valid signature from its From domain is marked
	// unverified. LookupTXT replaces DNS (tests); nil means net.LookupTXT.
	VerifySenders bool
	LookupTXT     func(domain string) ([]string, error)
}

// Receiver turns received mail into conversation messages.
type Receiver struct {
	db        *db.DB
	inbox     Inbox
	log       *slog.Logger
	now       func() time.Time
	addresses map[string]bool
	maxBytes  int64
	limiter   *auth.Limiter
	conns     *auth.Limiter
	verify    bool
	lookupTXT func(domain string) ([]string, error)
}

// NewReceiver returns a Receiver.
func NewReceiver(o ReceiverOptions) *Receiver {
	r := &Receiver{db: o.DB, inbox: o.Inbox, log: o.Log, now: o.Now, addresses: map[string]bool{}, maxBytes: o.MaxMessageBytes,
		limiter: o.SenderLimiter, conns: o.ConnLimiter, verify: o.VerifySenders, lookupTXT: o.LookupTXT}
	for _, a := range o.Addresses {
		r.addresses[strings.ToLower(strings.TrimSpace(a))] = true
	}
	if r.maxBytes <= 0 {
		r.maxBytes = 25 << 20
	}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	return r
}

// Envelope is the SMTP transaction around a message.
type Envelope struct {
	From string   // MAIL FROM
	To   []string // RCPT TO
	// NullSender is set for MAIL FROM:<>, which only bounces and other
	// automatic mail use (RFC 5321 §4.5.5); such mail is never answered.
	NullSender bool
	RemoteIP   string
}

// Outcome says what became of a received message.
type Outcome struct {
	Kind     string // "stored", "duplicate", "ignored" (automatic mail), "bounce"
	Received channel.Received
	// Suppressed lists the addresses a bounce marked undeliverable.
	Suppressed []string
}

// Accepts reports whether rcpt is one of the desk's mailboxes, and the
// conversation a plus address names (support+123@… → 123).
func (r *Receiver) Accepts(rcpt string) (bool, int64) {
	rcpt = strings.ToLower(strings.Trim(strings.TrimSpace(rcpt), "<>"))
	if r.addresses[rcpt] {
		return true, 0
	}
	local, domain, ok := strings.Cut(rcpt, "@")
	base, tag, plus := strings.Cut(local, "+")
	if !ok || !plus || !r.addresses[base+"@"+domain] {
		return false, 0
	}
	n, _ := strconv.ParseInt(tag, 10, 64)
	return true, n
}

// errRateLimited asks the sending server to try again later.
var errRateLimited = &apperr.Error{Kind: apperr.Unavailable, Code: "email.rate_limited", Message: "too much mail from this sender; try again later"}

// Ingest parses and stores one message. Automatic mail (auto-replies,
// lists) is accepted and dropped so no loop starts; a bounce marks the
// failed addresses. An Invalid error means the message is refused for
// good; any other error is temporary and the sender should retry.
func (r *Receiver) Ingest(ctx context.Context, raw []byte, env Envelope) (Outcome, error) {
	if int64(len(raw)) > r.maxBytes {
		return Outcome{}, &apperr.Error{Kind: apperr.TooLarge, Code: "email.too_large", Message: fmt.Sprintf("message exceeds %d bytes", r.maxBytes)}
	}
	p, err := Parse(raw)
	if err != nil {
		return Outcome{}, apperr.Invalidf("email.malformed", "message could not be parsed: %v", err)
	}
	if p.Bounce != nil {
		return r.bounce(ctx, p)
	}
	if p.Automatic || env.NullSender {
		r.log.Info("automatic mail ignored", "component", "email", "message_id", p.MessageID)
		return Outcome{Kind: "ignored"}, nil
	}
	// The From address is the customer's identity. Reply-To is not: it
	// would let anyone file mail under someone else's address.
	from := p.From.Address
	if from == "" {
		return Outcome{}, apperr.Invalidf("email.no_sender", "message has no sender address")
	}
	if r.limiter != nil && !r.limiter.Allow(from) {
		return Outcome{}, errRateLimited
	}
	in := channel.Inbound{
		Channel: "email", ExternalID: p.MessageID, InReplyTo: p.InReplyTo, ConversationID: SubjectToken(p.Subject),
		From:    channel.Sender{ID: from, Name: p.From.Name, Email: from},
		Subject: CleanSubject(p.Subject), Body: p.Body, HTML: p.HTML, Original: raw, Language: Language(p.Subject + "\n" + p.Body),
	}
	if r.verify {
		in.Unverified = !r.signedBy(raw, from)
	}
	for _, rcpt := range env.To {
		if _, conv := r.Accepts(rcpt); conv != 0 && in.ConversationID == 0 {
			in.ConversationID = conv
		}
	}
	for _, f := range p.Attachments {
		if len(f.Data) == 0 {
			in.Dropped = append(in.Dropped, f.Name)
		} else {
			in.Attachments = append(in.Attachments, f)
		}
	}
	got, err := r.inbox.Receive(ctx, in)
	if err != nil {
		return Outcome{}, err
	}
	kind := "stored"
	if got.Duplicate {
		kind = "duplicate"
	}
	return Outcome{Kind: kind, Received: got}, nil
}

// bounce records the permanently failed recipients of a DSN. Nothing is
// sent to a suppressed address again until an administrator clears it.
func (r *Receiver) bounce(ctx context.Context, p Parsed) (Outcome, error) {
	out := Outcome{Kind: "bounce"}
	for _, rcpt := range p.Bounce.Recipients {
		if !rcpt.Permanent() {
			continue
		}
		_, err := r.db.Q(ctx).ExecContext(ctx, `INSERT INTO email_suppressions (address, status, diagnostic, created_at)
			VALUES ($1, $2, $3, $4) ON CONFLICT (address) DO NOTHING`,
			rcpt.Address, rcpt.Status, clipText(rcpt.Diagnostic, 500), db.Millis(r.now()))
		if err != nil {
			return Outcome{}, fmt.Errorf("email: record bounce: %w", err)
		}
		out.Suppressed = append(out.Suppressed, rcpt.Address)
	}
	r.log.Info("bounce received", "component", "email", "message_id", p.MessageID, "suppressed", len(out.Suppressed))
	return out, nil
}

// Suppressed reports whether mail to addr bounced permanently.
func Suppressed(ctx context.Context, d *db.DB, addr string) (bool, error) {
	var n int
	err := d.Q(ctx).QueryRowContext(ctx, `SELECT COUNT(*) FROM email_suppressions WHERE address = $1`, strings.ToLower(addr)).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("email: suppression lookup: %w", err)
	}
	return n > 0, nil
}

var spaceRun = regexp.MustCompile(`\s+`)

func clipText(s string, n int) string {
	s = spaceRun.ReplaceAllString(s, " ")
	if len(s) > n {
		s = strings.ToValidUTF8(s[:n], "")
	}
	return s
}
