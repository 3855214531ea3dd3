package event

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
)

// NATS is the Bus of a multi-instance deployment. Every event goes out on
// core NATS under Prefix.<type>, and every instance, the publisher
// included, hands what arrives to its local subscribers. Core NATS is
// best-effort fan-out, which is what the consumers of this bus need: the
// realtime hub resumes clients by sequence number from the database, and
// the router sweeps the queue on its own timer, so a lost event delays
// nothing for long. Work that must not be lost is a job row, not an event.
type NATS struct {
	nc     *nats.Conn
	sub    *nats.Subscription
	local  *Memory
	prefix string
	origin string
	log    *slog.Logger

	published, received, decodeErrors, publishErrors atomic.Int64
}

// NATSOptions configure NewNATS.
type NATSOptions struct {
	URL string
	// Prefix starts every subject; instances that share a prefix share
	// events. Default "vigil.events".
	Prefix string
	// Origin names this instance in envelopes (logs and debugging).
	Origin string
	Logger *slog.Logger
}

// NewNATS connects and subscribes. It reconnects on its own for as long as
// the process lives, buffering what is published meanwhile.
func NewNATS(o NATSOptions) (*NATS, error) {
	if o.Prefix == "" {
		o.Prefix = "vigil.events"
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	b := &NATS{local: NewMemory(), prefix: o.Prefix, origin: o.Origin, log: o.Logger.With("component", "bus")}
	nc, err := nats.Connect(o.URL, nats.Name("vigil "+o.Origin), nats.MaxReconnects(-1), nats.ReconnectWait(250*time.Millisecond),
		nats.ReconnectBufSize(64<<20), nats.RetryOnFailedConnect(false),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) { b.log.Warn("NATS disconnected", "err", err) }),
		nats.ReconnectHandler(func(c *nats.Conn) { b.log.Info("NATS reconnected", "server", c.ConnectedUrlRedacted()) }),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) { b.log.Warn("NATS error", "err", err) }))
	if err != nil {
		return nil, fmt.Errorf("event: connect to NATS: %w", err)
	}
	b.nc = nc
	sub, err := nc.Subscribe(o.Prefix+".>", b.deliver)
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("event: subscribe: %w", err)
	}
	// A burst of chat traffic must not trip the slow-consumer limit: local
	// delivery is a non-blocking channel send per subscriber.
	if err := sub.SetPendingLimits(1_000_000, 1<<30); err != nil {
		nc.Close()
		return nil, fmt.Errorf("event: pending limits: %w", err)
	}
	b.sub = sub
	if err := nc.Flush(); err != nil {
		nc.Close()
		return nil, fmt.Errorf("event: NATS flush: %w", err)
	}
	return b, nil
}

func (b *NATS) deliver(m *nats.Msg) {
	e, _, err := Decode(m.Data)
	if err != nil {
		b.decodeErrors.Add(1)
		b.log.Warn("undecodable event", "subject", m.Subject, "err", err)
		return
	}
	b.received.Add(1)
	b.local.Publish(context.Background(), e)
}

// Publish sends events to every instance, this one included.
func (b *NATS) Publish(_ context.Context, events ...Event) {
	for _, e := range events {
		data, err := Encode(e, b.origin)
		if err == nil {
			err = b.nc.Publish(b.prefix+"."+subjectToken(e.EventType()), data)
		}
		if err != nil {
			b.publishErrors.Add(1)
			b.log.Warn("publishing an event failed", "type", e.EventType(), "err", err)
			continue
		}
		b.published.Add(1)
	}
}

// Subscribe registers a local subscriber; it hears every instance.
func (b *NATS) Subscribe(name string, buffer int) *Subscription {
	return b.local.Subscribe(name, buffer)
}

// Stats are the bus counters for /metrics and tests.
type Stats struct {
	Published, Received, DecodeErrors, PublishErrors int64
}

// Stats returns the counters.
func (b *NATS) Stats() Stats {
	return Stats{b.published.Load(), b.received.Load(), b.decodeErrors.Load(), b.publishErrors.Load()}
}

// Close drains the subscription and the connection.
func (b *NATS) Close() error {
	if err := b.nc.Drain(); err != nil && !errors.Is(err, nats.ErrConnectionClosed) {
		return err
	}
	return nil
}

// Conn exposes the connection for the other shared state (leader locks,
// key-value buckets) a deployment keeps in NATS.
func (b *NATS) Conn() *nats.Conn { return b.nc }

// subjectToken keeps an event type a single subject token per dot part.
func subjectToken(t string) string {
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '*' || r == '>' {
			return '_'
		}
		return r
	}, t)
}
