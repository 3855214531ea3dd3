package email

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"time"

	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-msgauth/dkim"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"vigil/internal/channel"
	"vigil/internal/db"
	"vigil/internal/job"
	"vigil/internal/ticket"
)

// SMTP says how to reach the server that relays the desk's mail.
type SMTP struct {
	Addr     string // host:port of the relay
	Username string // empty: no AUTH
	Password string
	// Security is "starttls" (the default: the upgrade is required, never
	// skipped), "tls" (implicit TLS, port 465) or "none" (loopback relays).
	Security  string
	TLSConfig *tls.Config // nil: verify the relay's certificate by its host name
	HelloName string      // EHLO name (empty: the From domain)
	Timeout   time.Duration
}

// DKIM signs outgoing mail for a domain.
type DKIM struct {
	Domain   string
	Selector string
	Key      crypto.Signer // *rsa.PrivateKey or ed25519.PrivateKey
}

// Files opens the files of a message (ticket.Service).
type Files interface {
	OpenAttachment(ctx context.Context, scope ticket.Scope, id int64) (ticket.Attachment, *os.File, error)
}

// SenderOptions configure a Sender.
type SenderOptions struct {
	DB *db.DB
	// Files is where a reply's attachments are read from.
	Files Files
	Log   *slog.Logger
	Now   func() time.Time
	From  mail.Address // the support mailbox: "Exchange Support <support@exchange.example>"
	SMTP  SMTP
	DKIM  *DKIM // nil: unsigned (the relay may sign)
	// Secret keys the Message-ID derivation.
	Secret []byte
	// VerifyURL is where customers check that an address or link is ours.
	VerifyURL string
}

// Sender is the email channel's channel.Adapter.
type Sender struct {
	db        *db.DB
	files     Files
	log       *slog.Logger
	now       func() time.Time
	from      mail.Address
	domain    string
	smtp      SMTP
	dkim      *DKIM
	secret    []byte
	verifyURL string
}

// NewSender returns a Sender.
func NewSender(o SenderOptions) (*Sender, error) {
	_, domain, ok := strings.Cut(o.From.Address, "@")
	if !ok || domain == "" {
		return nil, fmt.Errorf("email: from address %q has no domain", o.From.Address)
	}
	if len(o.Secret) < 16 {
		return nil, errors.New("email: a secret of at least 16 bytes is required")
	}
	if o.SMTP.Security == "" {
		o.SMTP.Security = "starttls"
	}
	if o.SMTP.Timeout <= 0 {
		o.SMTP.Timeout = 30 * time.Second
	}
	if o.SMTP.HelloName == "" {
		o.SMTP.HelloName = domain
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	s := &Sender{db: o.DB, files: o.Files, log: o.Log, now: o.Now, from: o.From, domain: strings.ToLower(domain), smtp: o.SMTP, dkim: o.DKIM,
		secret: o.Secret, verifyURL: o.VerifyURL}
	if s.verifyURL == "" {
		s.verifyURL = "https://" + s.domain
	}
	return s, nil
}

// Channel names the channel.
func (s *Sender) Channel() string { return "email" }

// Send composes, signs and relays one reply; the Message-ID it returns
// threads the customer's answer back.
func (s *Sender) Send(ctx context.Context, out channel.Outbound) (string, error) {
	if out.To == "" {
		return "", job.Permanent(errors.New("email: no recipient address"))
	}
	if bad, err := Suppressed(ctx, s.db, out.To); err != nil {
		return "", err
	} else if bad {
		return "", job.Permanent(fmt.Errorf("email: %s bounced earlier; not sending", out.To))
	}
	msgID := s.messageIDFor(out.Key)
	raw, err := s.compose(ctx, out, msgID, s.now())
	if err != nil {
		return "", err
	}
	if raw, err = s.sign(raw); err != nil {
		return "", job.Permanent(err)
	}
	if err := s.relay(ctx, out.To, raw); err != nil {
		return "", err
	}
	return msgID, nil
}

func (s *Sender) sign(raw []byte) ([]byte, error) {
	if s.dkim == nil {
		return raw, nil
	}
	var signed bytes.Buffer
	err := dkim.Sign(&signed, bytes.NewReader(raw), &dkim.SignOptions{
		Domain: s.dkim.Domain, Selector: s.dkim.Selector, Signer: s.dkim.Key,
		HeaderCanonicalization: dkim.CanonicalizationRelaxed, BodyCanonicalization: dkim.CanonicalizationRelaxed,
		HeaderKeys: []string{"From", "To", "Subject", "Date", "Message-ID", "In-Reply-To", "References", "Reply-To",
			"MIME-Version", "Content-Type", "Auto-Submitted"},
	})
	if err != nil {
		return nil, fmt.Errorf("email: dkim sign: %w", err)
	}
	return signed.Bytes(), nil
}

// relay hands the message to the configured SMTP server. A 5xx answer is
// permanent; network trouble and 4xx answers are retried by the job.
func (s *Sender) relay(ctx context.Context, to string, raw []byte) error {
	ctx, cancel := context.WithTimeout(ctx, s.smtp.Timeout)
	defer cancel()
	host, _, _ := net.SplitHostPort(s.smtp.Addr)
	tlsConf := s.smtp.TLSConfig
	if tlsConf == nil {
		tlsConf = &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", s.smtp.Addr)
	if err != nil {
		return fmt.Errorf("email: connect to relay: %w", err)
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	var c *smtp.Client
	switch s.smtp.Security {
	case "tls":
		tc := tls.Client(conn, tlsConf)
		if err := tc.HandshakeContext(ctx); err != nil {
			conn.Close()
			return fmt.Errorf("email: relay TLS: %w", err)
		}
		c = smtp.NewClient(tc)
	case "none":
		c = smtp.NewClient(conn)
	default:
		if c, err = smtp.NewClientStartTLS(conn, tlsConf); err != nil {
			conn.Close()
			return fmt.Errorf("email: relay STARTTLS: %w", err)
		}
	}
	defer c.Close()
	if err := c.Hello(s.smtp.HelloName); err != nil {
		return smtpFailure("EHLO", err)
	}
	if s.smtp.Username != "" {
		if err := c.Auth(sasl.NewPlainClient("", s.smtp.Username, s.smtp.Password)); err != nil {
			// A refused login is a configuration problem: retried, since an
			// administrator may fix it before the attempts run out.
			return fmt.Errorf("email: relay AUTH refused: %w", err)
		}
	}
	if err := c.SendMail(s.from.Address, []string{to}, bytes.NewReader(raw)); err != nil {
		return smtpFailure("send", err)
	}
	_ = c.Quit()
	return nil
}

func smtpFailure(step string, err error) error {
	var se *smtp.SMTPError
	if errors.As(err, &se) && se.Code >= 500 {
		return job.Permanent(fmt.Errorf("email: relay refused %s: %d %s", step, se.Code, se.Message))
	}
	return fmt.Errorf("email: relay %s: %w", step, err)
}

// ParseKey reads a DKIM private key in PEM (PKCS#1 or PKCS#8; RSA or Ed25519).
func ParseKey(pemBytes []byte) (crypto.Signer, error) {
	block, _ := pem.Decode(pemBytes)
	if block == nil {
		return nil, errors.New("email: DKIM key is not PEM")
	}
	if k, err := x509.ParsePKCS1PrivateKey(block.Bytes); err == nil {
		return k, nil
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("email: DKIM key: %w", err)
	}
	switch k := k.(type) {
	case *rsa.PrivateKey:
		return k, nil
	case ed25519.PrivateKey:
		return k, nil
	}
	return nil, errors.New("email: DKIM key must be RSA or Ed25519")
}
