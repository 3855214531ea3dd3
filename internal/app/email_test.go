package app

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"vigil/internal/audit"
	"vigil/internal/config"
	"vigil/internal/db/dbtest"
	"vigil/internal/ticket"
)

// A served desk with email configured receives mail on its SMTP port and
// sends the agent's reply through the relay, with no step but the reply.
func TestServeReceivesAndRepliesByEmail(t *testing.T) {
	relay := &sink{}
	rs := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &sinkSession{s: relay}, nil }))
	rl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go rs.Serve(rl)
	defer rs.Close()
	smtpAddr := freeAddr(t)

	cfg := config.Defaults()
	cfg.DataDir, cfg.DatabaseURL = t.TempDir(), dbtest.URL(t)
	cfg.SecretKey = strings.Repeat("s", 32)
	cfg.Email = config.Email{Address: "support@exchange.example", Name: "Exchange Support", Listen: smtpAddr, MaxMB: 5,
		Relay: rl.Addr().String(), Security: "none"}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	a, err := Open(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- a.Serve(ctx, ln) }()
	defer func() { cancel(); <-served }()

	raw := "From: Alice <alice@example.com>\r\nTo: support@exchange.example\r\nSubject: Deposit missing\r\n" +
		"Message-ID: <q1@example.com>\r\nDate: Mon, 2 Mar 2026 09:00:00 +0000\r\n\r\nMy USDT deposit has not arrived.\r\n"
	var sendErr error
	for range 50 { // the listener starts with Serve
		var c *smtp.Client
		if c, sendErr = smtp.Dial(smtpAddr); sendErr == nil {
			sendErr = c.SendMail("alice@example.com", []string{"support@exchange.example"}, strings.NewReader(raw))
			c.Close()
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if sendErr != nil {
		t.Fatal(sendErr)
	}
	convs, _, err := a.Tickets.List(context.Background(), ticket.Scope{All: true}, ticket.Filter{})
	if err != nil || len(convs) != 1 || convs[0].Channel != "email" {
		t.Fatalf("conversations: %+v, %v", convs, err)
	}
	actx := audit.WithActor(context.Background(), audit.Actor{Kind: "agent", ID: 1})
	if _, err := a.Tickets.AddMessage(actx, ticket.MessageInput{ConversationID: convs[0].ID, AuthorKind: ticket.ByAgent,
		AuthorName: "Mei", Body: "It is credited now."}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for relay.count() == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	got := relay.all()
	if len(got) != 1 || !bytes.Contains(got[0], []byte("In-Reply-To: <q1@example.com>")) || !bytes.Contains(got[0], []byte("It is credited now.")) {
		t.Fatalf("relay got %d messages: %s", len(got), got)
	}
	// Operators see the queue on /metrics.
	var metrics []byte
	for time.Now().Before(deadline) {
		resp, err := http.Get("http://" + ln.Addr().String() + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		metrics, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		if bytes.Contains(metrics, []byte(`vigil_jobs{state="done"} 1`)) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !bytes.Contains(metrics, []byte(`vigil_jobs{state="done"} 1`)) || !bytes.Contains(metrics, []byte(`vigil_jobs{state="dead"} 0`)) {
		t.Fatalf("metrics lack the job figures:\n%s", metrics)
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// sink is an SMTP server that keeps what it is sent.
type sink struct {
	mu  sync.Mutex
	got [][]byte
}

func (s *sink) count() int { s.mu.Lock(); defer s.mu.Unlock(); return len(s.got) }
func (s *sink) all() [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([][]byte(nil), s.got...)
}

type sinkSession struct{ s *sink }

func (x *sinkSession) Mail(string, *smtp.MailOptions) error { return nil }
func (x *sinkSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (x *sinkSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err == nil {
		x.s.mu.Lock()
		x.s.got = append(x.s.got, b)
		x.s.mu.Unlock()
	}
	return err
}
func (x *sinkSession) Reset()        {}
func (x *sinkSession) Logout() error { return nil }
