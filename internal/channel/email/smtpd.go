package email

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/emersion/go-smtp"

	"vigil/internal/apperr"
)

// ServerOptions configure the SMTP listener.
type ServerOptions struct {
	Addr      string // "0.0.0.0:2525"
	Domain    string // the name the server greets with
	TLSConfig *tls.Config
	// MaxRecipients bounds RCPT TO per message (0: 20).
	MaxRecipients int
}

// Server returns an SMTP server that feeds r. It accepts mail only for the
// receiver's addresses and never relays; STARTTLS is offered when a
// certificate is configured.
func (r *Receiver) Server(o ServerOptions) *smtp.Server {
	s := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		ip := remoteIP(c.Conn())
		if r.conns != nil && !r.conns.Allow(ip) {
			return nil, &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 7, 0}, Message: "Too many connections, try again later"}
		}
		return &session{r: r, ip: ip}, nil
	}))
	s.Addr = o.Addr
	s.Domain = o.Domain
	s.TLSConfig = o.TLSConfig
	s.MaxMessageBytes = r.maxBytes
	s.MaxRecipients = o.MaxRecipients
	if s.MaxRecipients <= 0 {
		s.MaxRecipients = 20
	}
	s.MaxLineLength = 4000
	s.ReadTimeout = 2 * time.Minute
	s.WriteTimeout = 2 * time.Minute
	s.ErrorLog = smtpLog{r}
	return s
}

type smtpLog struct{ r *Receiver }

func (l smtpLog) Printf(format string, v ...any) {
	l.r.log.Warn(strings.TrimSpace(fmt.Sprintf(format, v...)), "component", "email")
}
func (l smtpLog) Println(v ...any) {
	l.r.log.Warn(strings.TrimSpace(fmt.Sprintln(v...)), "component", "email")
}

// session is one SMTP transaction at a time on one connection.
type session struct {
	r   *Receiver
	ip  string
	env Envelope
}

func (s *session) Reset()        { s.env = Envelope{RemoteIP: s.ip} }
func (s *session) Logout() error { return nil }

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	s.env = Envelope{From: strings.ToLower(from), NullSender: from == "", RemoteIP: s.ip}
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if ok, _ := s.r.Accepts(to); !ok {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such mailbox here"}
	}
	s.env.To = append(s.env.To, to)
	return nil
}

func (s *session) Data(rd io.Reader) error {
	var buf bytes.Buffer
	if _, err := io.Copy(&buf, rd); err != nil {
		if errors.Is(err, smtp.ErrDataTooLarge) {
			return smtp.ErrDataTooLarge
		}
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := s.r.Ingest(ctx, buf.Bytes(), s.env)
	return smtpError(s.r, err)
}

// smtpError answers a refusal with a permanent code, so the sender returns
// the message to its author, and anything else with a temporary one, so
// the sender keeps it and tries again: mail is never silently lost.
func smtpError(r *Receiver, err error) error {
	if err == nil {
		return nil
	}
	switch apperr.KindOf(err) {
	case apperr.Invalid:
		return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: "Message refused: malformed"}
	case apperr.TooLarge:
		return smtp.ErrDataTooLarge
	case apperr.Unavailable:
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 7, 1}, Message: "Rate limited, try again later"}
	}
	r.log.Error("store received mail", "component", "email", "err", err)
	return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Temporary failure, try again later"}
}

func remoteIP(c net.Conn) string {
	if c == nil {
		return ""
	}
	host, _, err := net.SplitHostPort(c.RemoteAddr().String())
	if err != nil {
		return c.RemoteAddr().String()
	}
	return host
}
