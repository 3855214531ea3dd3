// Package voice places callback calls through a SIP trunk or PBX. It
// speaks SIP signalling only (INVITE, CANCEL, ACK, BYE over UDP or TCP);
// the trunk bridges the audio to the agent's phone and records the call.
// Whether a call may be placed at all is the callback package's business.
package voice

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"vigil/internal/callback"
)

// Options configure a Dialer.
type Options struct {
	// Trunk is the SIP trunk's host:port.
	Trunk string
	// Transport is "udp" or "tcp".
	Transport string
	// From is the desk's SIP URI (sip:support@desk.example); its user part
	// is what the customer's phone shows when the trunk passes it on.
	From string
	// Username and Password answer the trunk's digest challenge, if any.
	Username string
	Password string
	// RingTimeout is how long the phone may ring before the call is
	// cancelled as unanswered (0: 45 seconds).
	RingTimeout time.Duration
	// MaxDuration ends a connected call that runs longer (0: 2 hours).
	MaxDuration time.Duration
	// RecordingHeader names the response header that carries the trunk's
	// recording reference (0: X-Recording-Ref).
	RecordingHeader string
	Log             *slog.Logger
	Now             func() time.Time
}

// Dialer is the callback.Dialer over sipgo's dialog client.
type Dialer struct {
	o       Options
	from    sip.Uri
	ua      *sipgo.UserAgent
	client  *sipgo.Client
	server  *sipgo.Server
	dialogs *sipgo.DialogClientCache
}

// New returns a Dialer; it opens no connection until the first call.
func New(o Options) (*Dialer, error) {
	if o.Transport == "" {
		o.Transport = "udp"
	}
	if o.Transport != "udp" && o.Transport != "tcp" {
		return nil, fmt.Errorf("voice: transport %q must be udp or tcp", o.Transport)
	}
	if _, _, err := net.SplitHostPort(o.Trunk); err != nil {
		return nil, fmt.Errorf("voice: trunk %q must be host:port", o.Trunk)
	}
	var from sip.Uri
	if err := sip.ParseUri(o.From, &from); err != nil || from.User == "" || from.Host == "" {
		return nil, fmt.Errorf("voice: from %q must be a SIP URI such as sip:support@desk.example", o.From)
	}
	if o.RingTimeout <= 0 {
		o.RingTimeout = 45 * time.Second
	}
	if o.MaxDuration <= 0 {
		o.MaxDuration = 2 * time.Hour
	}
	if o.RecordingHeader == "" {
		o.RecordingHeader = "X-Recording-Ref"
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	ua, err := sipgo.NewUA(sipgo.WithUserAgent(from.User), sipgo.WithUserAgentHostname(from.Host),
		sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerLogger(o.Log)),
		sipgo.WithUserAgentTransactionLayerOptions(sip.WithTransactionLayerLogger(o.Log)))
	if err != nil {
		return nil, fmt.Errorf("voice: user agent: %w", err)
	}
	client, err := sipgo.NewClient(ua, sipgo.WithClientLogger(o.Log))
	if err != nil {
		ua.Close()
		return nil, fmt.Errorf("voice: client: %w", err)
	}
	// The server handle receives the requests the trunk sends inside a
	// call (its BYE when the customer hangs up) on the client's sockets.
	server, err := sipgo.NewServer(ua, sipgo.WithServerLogger(o.Log))
	if err != nil {
		ua.Close()
		return nil, fmt.Errorf("voice: server: %w", err)
	}
	d := &Dialer{o: o, from: from, ua: ua, client: client, server: server}
	d.dialogs = sipgo.NewDialogClientCache(client, sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: from.User}})
	server.OnBye(func(req *sip.Request, tx sip.ServerTransaction) {
		if err := d.dialogs.ReadBye(req, tx); err != nil {
			_ = tx.Respond(sip.NewResponseFromRequest(req, sip.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist", nil))
		}
	})
	return d, nil
}

// Close releases the sockets.
func (d *Dialer) Close() error { return d.ua.Close() }

// target is the Request-URI for a number: the digits at the trunk.
func (d *Dialer) target(number string) (sip.Uri, error) {
	digits := strings.TrimPrefix(number, "+")
	if digits == "" || strings.Trim(digits, "0123456789") != "" {
		return sip.Uri{}, fmt.Errorf("%q is not a phone number", number)
	}
	host, port, _ := net.SplitHostPort(d.o.Trunk)
	p, err := strconv.Atoi(port)
	if err != nil {
		return sip.Uri{}, fmt.Errorf("trunk port %q: %w", port, err)
	}
	u := sip.Uri{Scheme: "sip", User: number, Host: host, Port: p}
	if d.o.Transport == "tcp" {
		u.UriParams = sip.NewParams()
		u.UriParams.Add("transport", "tcp")
	}
	return u, nil
}

// Dial places one call and reports how it ended; see callback.Dialer.
func (d *Dialer) Dial(ctx context.Context, in callback.Dial) callback.Result {
	res := callback.Result{StartedAt: d.o.Now()}
	end := func(o callback.Outcome, detail string) callback.Result {
		res.Outcome, res.Detail, res.EndedAt = o, detail, d.o.Now()
		return res
	}
	to, err := d.target(in.Number)
	if err != nil {
		return end(callback.Failed, err.Error())
	}
	from := &sip.FromHeader{DisplayName: d.from.User, Address: sip.Uri{Scheme: "sip", User: d.from.User, Host: d.from.Host},
		Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(16))
	headers := []sip.Header{from, sip.NewHeader("X-Vigil-Staff-ID", in.StaffID), sip.NewHeader("X-Vigil-Call-ID", strconv.FormatInt(in.CallID, 10))}
	dialog, err := d.dialogs.Invite(ctx, to, nil, headers...)
	if err != nil {
		return end(callback.Failed, "INVITE not sent: "+err.Error())
	}
	defer dialog.Close()
	ringCtx, stopRing := context.WithTimeout(ctx, d.o.RingTimeout)
	defer stopRing()
	err = dialog.WaitAnswer(ringCtx, sipgo.AnswerOptions{Username: d.o.Username, Password: d.o.Password,
		OnResponse: func(r *sip.Response) error {
			res.Recording = d.recording(r, res.Recording)
			return nil
		}})
	if dialog.InviteResponse != nil {
		res.SIPStatus = dialog.InviteResponse.StatusCode
	}
	if err != nil {
		return end(failure(ctx, ringCtx, res.SIPStatus, err))
	}
	answered := d.o.Now()
	res.AnsweredAt = &answered
	if err := dialog.Ack(ctx); err != nil {
		return end(callback.Failed, "ACK not sent: "+err.Error())
	}
	if in.OnAnswer != nil {
		in.OnAnswer(answered)
	}
	// Connected: wait for the customer to hang up (their BYE ends the
	// dialog), the agent to hang up (ctx), or the longest call allowed.
	limit := time.NewTimer(d.o.MaxDuration)
	defer limit.Stop()
	select {
	case <-dialog.Context().Done():
		return end(callback.Answered, "")
	case <-ctx.Done():
	case <-limit.C:
	}
	byeCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := dialog.Bye(byeCtx); err != nil {
		d.o.Log.Warn("BYE not confirmed", "component", "voice", "call", in.CallID, "err", err)
	}
	return end(callback.Answered, "")
}

// failure classifies a call that was never answered.
func failure(ctx, ringCtx context.Context, status int, err error) (callback.Outcome, string) {
	var rejected *sipgo.ErrDialogResponse
	switch {
	case errors.As(err, &rejected):
		switch status {
		case sip.StatusBusyHere, sip.StatusGlobalBusyEverywhere:
			return callback.Busy, ""
		case sip.StatusTemporarilyUnavailable, sip.StatusRequestTimeout:
			return callback.NoAnswer, ""
		case sip.StatusRequestTerminated:
			return callback.Cancelled, ""
		}
		return callback.Failed, fmt.Sprintf("the trunk answered %d %s", status, rejected.Res.Reason)
	case ctx.Err() != nil:
		// The agent hung up (or the desk stopped) while it rang.
		return callback.Cancelled, ""
	case ringCtx.Err() != nil:
		return callback.NoAnswer, ""
	}
	return callback.Failed, err.Error()
}

// recording keeps the trunk's recording reference when a response has one.
func (d *Dialer) recording(r *sip.Response, prev string) string {
	if h := r.GetHeader(d.o.RecordingHeader); h != nil {
		if v := strings.TrimSpace(h.Value()); v != "" && len(v) <= 500 {
			return v
		}
	}
	return prev
}
