package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"time"

	"vigil/internal/db"
	"vigil/internal/event"
	"vigil/internal/job"
)

// DeliverJob is the job kind of one event to one endpoint.
const DeliverJob = "webhook.deliver"

// Headers a receiver reads.
const (
	HeaderEvent     = "X-Vigil-Event"
	HeaderTimestamp = "X-Vigil-Timestamp" // Unix seconds
	HeaderSignature = "X-Vigil-Signature" // "sha256=" + hex HMAC of timestamp + "." + body
	HeaderDelivery  = "X-Vigil-Delivery"  // the same on every retry of one delivery
)

// Sign is the signature of a body sent at a time: HMAC-SHA256 with the
// endpoint's secret over "timestamp.body", so a receiver can reject both
// altered bodies and old ones replayed with a fresh time.
func Sign(secret string, timestamp int64, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(strconv.FormatInt(timestamp, 10)))
	m.Write([]byte("."))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// payload is what a delivery job carries: the event as on the wire.
type payload struct {
	WebhookID int64           `json:"webhook_id"`
	Type      string          `json:"type"`
	Body      json.RawMessage `json:"body"`
}

// Run turns every domain event into delivery jobs until ctx ends. On
// several instances each hears every event; the job key is the event's
// own content, so each event is queued once per endpoint however many
// instances hear it.
func (s *Service) Run(ctx context.Context, bus event.Bus) {
	sub := bus.Subscribe("webhooks", 4096)
	defer sub.Close()
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-sub.C:
			if !ok {
				return
			}
			if err := s.Enqueue(ctx, ev); err != nil && ctx.Err() == nil {
				s.o.Log.Warn("webhook: could not queue an event", "component", "webhook", "type", ev.EventType(), "err", err)
			}
		}
	}
}

// Enqueue writes one delivery job per enabled endpoint that wants ev.
func (s *Service) Enqueue(ctx context.Context, ev event.Event) error {
	if !slices.Contains(Types, ev.EventType()) {
		return nil
	}
	all, err := s.endpoints.Get(ctx, s.hooks)
	if err != nil {
		return err
	}
	var hooks []Hook // all is shared: filter into a new slice
	for _, h := range all {
		if h.Enabled && (len(h.Events) == 0 || slices.Contains(h.Events, ev.EventType())) {
			hooks = append(hooks, h)
		}
	}
	if len(hooks) == 0 {
		return nil // no encoding and no transaction for the many events nobody subscribed to
	}
	body, err := wire(ev.EventType(), ev)
	if err != nil {
		return err
	}
	id := event.Key(ev)
	return s.o.DB.WithTx(ctx, func(ctx context.Context) error {
		for _, h := range hooks {
			if err := s.enqueue(ctx, h.ID, id, ev.EventType(), body); err != nil {
				return err
			}
		}
		return nil
	})
}

// wire is the body every delivery carries: {"type", "data"}.
func wire(typ string, data any) ([]byte, error) {
	b, err := json.Marshal(data)
	if err != nil {
		return nil, fmt.Errorf("webhook: encode %s: %w", typ, err)
	}
	return json.Marshal(struct {
		Type string          `json:"type"`
		Data json.RawMessage `json:"data"`
	}{typ, b})
}

func (s *Service) enqueue(ctx context.Context, hookID int64, occurrence, typ string, body []byte) error {
	_, err := s.o.Outbox.Enqueue(ctx, job.Spec{Kind: DeliverJob, Key: fmt.Sprintf("webhook:%d:%s", hookID, occurrence), MaxAttempts: 10,
		Payload: payload{WebhookID: hookID, Type: typ, Body: body}})
	return err
}

// Check reports whether an endpoint exists, for rules that call it.
func (s *Service) Check(ctx context.Context, id int64) error {
	_, err := s.hook(ctx, id)
	return err
}

// Send queues one signed delivery of data as typ to an endpoint, whatever
// events it subscribed to, in the caller's transaction: an automation
// rule's call is delivered, retried and logged like any event. The
// occurrence names it, so sending it twice delivers it once.
func (s *Service) Send(ctx context.Context, hookID int64, occurrence, typ string, data any) error {
	body, err := wire(typ, data)
	if err != nil {
		return err
	}
	if err := s.Check(ctx, hookID); err != nil {
		return err
	}
	return s.enqueue(ctx, hookID, occurrence, typ, body)
}

// Deliver is the DeliverJob handler: one signed POST, logged. Any 2xx
// finishes the job; 410 Gone gives up; anything else is retried with
// backoff by the job queue.
func (s *Service) Deliver(ctx context.Context, j job.Job) error {
	var p payload
	if err := json.Unmarshal(j.Payload, &p); err != nil {
		return job.Permanent(fmt.Errorf("webhook: payload: %w", err))
	}
	h, err := s.hook(ctx, p.WebhookID)
	if err != nil {
		return job.Permanent(err) // deleted since
	}
	if !h.Enabled {
		return nil
	}
	now := s.o.Now()
	ts := now.Unix()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.URL, bytes.NewReader(p.Body))
	if err != nil {
		return job.Permanent(fmt.Errorf("webhook: request: %w", err))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Vigil-Webhook/1")
	req.Header.Set(HeaderEvent, p.Type)
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(HeaderSignature, Sign(h.Secret, ts, p.Body))
	req.Header.Set(HeaderDelivery, j.Key)
	start := time.Now()
	resp, err := s.o.Client.Do(req)
	took := time.Since(start)
	code, msg := 0, ""
	if err != nil {
		msg = err.Error()
	} else {
		code = resp.StatusCode
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		if code < 200 || code > 299 {
			msg = "HTTP " + strconv.Itoa(code)
		}
	}
	if _, lerr := s.o.DB.Q(ctx).ExecContext(ctx, `INSERT INTO webhook_deliveries (webhook_id, event_type, job_key, attempt, status_code,
		error, duration_ms, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, h.ID, p.Type, j.Key, j.Attempt, code, msg,
		took.Milliseconds(), db.Millis(now)); lerr != nil {
		return fmt.Errorf("webhook: log delivery: %w", lerr)
	}
	switch {
	case msg == "":
		return nil
	case code == http.StatusGone:
		return job.Permanent(fmt.Errorf("webhook %d: endpoint gone", h.ID))
	}
	return fmt.Errorf("webhook %d: %s", h.ID, msg)
}
