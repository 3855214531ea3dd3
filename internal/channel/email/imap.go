package email

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"vigil/internal/apperr"
)

// PollerOptions configure a Poller.
type PollerOptions struct {
	Receiver *Receiver
	Log      *slog.Logger
	Addr     string // host:port of the IMAP server
	Username string
	Password string
	// Security is "tls" (the default, port 993), "starttls" or "none"
	// (loopback servers only).
	Security  string
	TLSConfig *tls.Config
	Mailbox   string        // "" means INBOX
	Interval  time.Duration // polling interval without IDLE, and the longest wait with it (0: 1 minute)
	// Dial replaces the network connection; a test hands over a pipe to
	// a server process.
	Dial func(ctx context.Context) (net.Conn, error)
}

// Poller reads a mailbox over IMAP and feeds its unread mail to the
// Receiver. Mail is marked \Seen once it is stored (or refused for good),
// so what fails for a moment is read again on the next pass; the
// receiver's de-duplication by Message-ID makes a second read harmless.
// With IDLE the server announces new mail; without it the mailbox is
// polled.
type Poller struct {
	o PollerOptions
}

// NewPoller returns a Poller.
func NewPoller(o PollerOptions) *Poller {
	if o.Mailbox == "" {
		o.Mailbox = "INBOX"
	}
	if o.Interval <= 0 {
		o.Interval = time.Minute
	}
	if o.Security == "" {
		o.Security = "tls"
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return &Poller{o: o}
}

// Run reads mail until ctx ends, reconnecting after errors with a growing pause.
func (p *Poller) Run(ctx context.Context) {
	pause := time.Second
	for ctx.Err() == nil {
		err := p.session(ctx)
		if ctx.Err() != nil {
			return
		}
		p.o.Log.Warn("imap session ended", "component", "email", "addr", p.o.Addr, "err", err, "retry_in", pause)
		select {
		case <-ctx.Done():
			return
		case <-time.After(pause):
		}
		pause = min(pause*2, 5*time.Minute)
	}
}

// Once connects, stores every unread message and logs out; it reports how
// many messages it handled.
func (p *Poller) Once(ctx context.Context) (int, error) {
	c, _, err := p.connect(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	n, err := p.drain(ctx, c)
	if err == nil {
		err = c.Logout().Wait()
	}
	return n, err
}

func (p *Poller) connect(ctx context.Context, news chan struct{}) (*imapclient.Client, bool, error) {
	opts := &imapclient.Options{TLSConfig: p.o.TLSConfig}
	if news != nil {
		opts.UnilateralDataHandler = &imapclient.UnilateralDataHandler{Mailbox: func(d *imapclient.UnilateralDataMailbox) {
			if d.NumMessages != nil {
				select {
				case news <- struct{}{}:
				default:
				}
			}
		}}
	}
	var conn net.Conn
	var err error
	if p.o.Dial != nil {
		conn, err = p.o.Dial(ctx)
	} else {
		var d net.Dialer
		conn, err = d.DialContext(ctx, "tcp", p.o.Addr)
	}
	if err != nil {
		return nil, false, fmt.Errorf("email: imap connect: %w", err)
	}
	var c *imapclient.Client
	switch p.o.Security {
	case "tls":
		conf := p.o.TLSConfig
		if conf == nil {
			host, _, _ := net.SplitHostPort(p.o.Addr)
			conf = &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
		}
		c = imapclient.New(tls.Client(conn, conf), opts)
	case "starttls":
		if c, err = imapclient.NewStartTLS(conn, opts); err != nil {
			conn.Close()
			return nil, false, fmt.Errorf("email: imap STARTTLS: %w", err)
		}
	default:
		c = imapclient.New(conn, opts)
	}
	if err := c.WaitGreeting(); err != nil {
		c.Close()
		return nil, false, fmt.Errorf("email: imap greeting: %w", err)
	}
	// A server that greets with PREAUTH has already authenticated us.
	if c.State() != imap.ConnStateAuthenticated {
		if err := c.Login(p.o.Username, p.o.Password).Wait(); err != nil {
			c.Close()
			return nil, false, fmt.Errorf("email: imap login refused: %w", err)
		}
	}
	if _, err := c.Select(p.o.Mailbox, nil).Wait(); err != nil {
		c.Close()
		return nil, false, fmt.Errorf("email: imap select %s: %w", p.o.Mailbox, err)
	}
	return c, c.Caps().Has(imap.CapIdle), nil
}

// session reads mail, then waits for more with IDLE (or the interval),
// until ctx ends or the connection fails.
func (p *Poller) session(ctx context.Context) error {
	news := make(chan struct{}, 1)
	c, idle, err := p.connect(ctx, news)
	if err != nil {
		return err
	}
	defer c.Close()
	p.o.Log.Info("imap mailbox open", "component", "email", "addr", p.o.Addr, "mailbox", p.o.Mailbox, "idle", idle)
	for {
		if _, err := p.drain(ctx, c); err != nil {
			return err
		}
		var cmd *imapclient.IdleCommand
		if idle {
			if cmd, err = c.Idle(); err != nil {
				return fmt.Errorf("email: imap idle: %w", err)
			}
		}
		select {
		case <-ctx.Done():
		case <-news:
		case <-time.After(p.o.Interval):
		}
		if cmd != nil {
			if err := cmd.Close(); err != nil {
				return fmt.Errorf("email: imap idle: %w", err)
			}
		}
		if ctx.Err() != nil {
			_ = c.Logout().Wait()
			return nil
		}
	}
}

// drain stores every unread message of the selected mailbox. A message
// the receiver refuses for good (malformed, too large) is marked read so
// it does not block the mailbox; a temporary failure stops the pass and
// leaves the rest unread for the next one.
func (p *Poller) drain(ctx context.Context, c *imapclient.Client) (int, error) {
	found, err := c.UIDSearch(&imap.SearchCriteria{NotFlag: []imap.Flag{imap.FlagSeen, imap.FlagDeleted}}, nil).Wait()
	if err != nil {
		return 0, fmt.Errorf("email: imap search: %w", err)
	}
	uids := found.AllUIDs()
	if len(uids) == 0 {
		return 0, nil
	}
	sizes, err := c.Fetch(imap.UIDSetNum(uids...), &imap.FetchOptions{UID: true, RFC822Size: true}).Collect()
	if err != nil {
		return 0, fmt.Errorf("email: imap fetch sizes: %w", err)
	}
	handled := 0
	section := &imap.FetchItemBodySection{Peek: true}
	for _, m := range sizes {
		var ingestErr error
		if m.RFC822Size > p.o.Receiver.maxBytes {
			ingestErr = &apperr.Error{Kind: apperr.TooLarge, Code: "email.too_large", Message: "message too large"}
		} else {
			bodies, err := c.Fetch(imap.UIDSetNum(m.UID), &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{section}}).Collect()
			if err != nil {
				return handled, fmt.Errorf("email: imap fetch: %w", err)
			}
			if len(bodies) != 1 {
				continue // expunged meanwhile
			}
			_, ingestErr = p.o.Receiver.Ingest(ctx, bodies[0].FindBodySection(section), Envelope{})
		}
		switch apperr.KindOf(ingestErr) {
		case apperr.Invalid, apperr.TooLarge:
			p.o.Log.Warn("imap message refused", "component", "email", "uid", m.UID, "err", ingestErr)
		default:
			if ingestErr != nil {
				return handled, fmt.Errorf("email: store imap message %d: %w", m.UID, ingestErr)
			}
		}
		if err := c.Store(imap.UIDSetNum(m.UID), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagSeen}}, nil).Close(); err != nil {
			return handled, fmt.Errorf("email: imap mark read: %w", err)
		}
		handled++
	}
	return handled, nil
}
