package email_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"vigil/internal/auth"
	"vigil/internal/channel"
	"vigil/internal/channel/channeltest"
	"vigil/internal/channel/email"
)

const support = "support@exchange.example"

// desk is a running email channel: a desk, its SMTP receiver on loopback,
// and a sender relaying to a capturing SMTP server.
type desk struct {
	*channeltest.Env
	receiver *email.Receiver
	addr     string // the receiver's SMTP address
	relay    *relay
	dkimKey  *rsa.PrivateKey
}

type deskOptions struct {
	limiter  *auth.Limiter
	maxBytes int64
	// lookupTXT, when set, turns sender verification on with this DNS.
	lookupTXT func(string) ([]string, error)
	// tls, when set, has the receiver offer STARTTLS with this certificate.
	tls *tls.Certificate
}

func newDesk(t testing.TB, o deskOptions) *desk {
	t.Helper()
	rl := startRelay(t)
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	d := &desk{relay: rl, dkimKey: key}
	// The sender needs the database, which the desk creates; build the
	// desk with a sender bound to it once it exists.
	var sender *email.Sender
	lazy := &lazyAdapter{get: func() channel.Adapter { return sender }}
	d.Env = channeltest.New(t, lazy)
	sender, err = email.NewSender(email.SenderOptions{
		DB: d.DB, Files: d.Tickets, Now: d.Clock.Now, From: mail.Address{Name: "Exchange Support", Address: support},
		SMTP: email.SMTP{Addr: rl.addr, Username: "vigil", Password: "relay-secret", TLSConfig: &tls.Config{RootCAs: rl.roots, ServerName: "127.0.0.1"}},
		DKIM: &email.DKIM{Domain: "exchange.example", Selector: "vigil2026", Key: key}, Secret: []byte("0123456789abcdef0123456789abcdef"),
		VerifyURL: "https://exchange.example/official-channels",
	})
	if err != nil {
		t.Fatal(err)
	}
	d.receiver = email.NewReceiver(email.ReceiverOptions{DB: d.DB, Inbox: d.Channels, Now: d.Clock.Now, Addresses: []string{support},
		SenderLimiter: o.limiter, MaxMessageBytes: o.maxBytes, VerifySenders: o.lookupTXT != nil, LookupTXT: o.lookupTXT})
	so := email.ServerOptions{Domain: "mx.exchange.example"}
	if o.tls != nil {
		so.TLSConfig = &tls.Config{Certificates: []tls.Certificate{*o.tls}}
	}
	srv := d.receiver.Server(so)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	d.addr = l.Addr().String()
	return d
}

// lazyAdapter breaks the construction cycle of a test desk only.
type lazyAdapter struct{ get func() channel.Adapter }

func (l *lazyAdapter) Channel() string { return "email" }
func (l *lazyAdapter) Send(ctx context.Context, out channel.Outbound) (string, error) {
	return l.get().Send(ctx, out)
}

// send delivers raw mail to the receiver over SMTP, as an MTA would.
func (d *desk) send(t testing.TB, from string, to []string, raw []byte) error {
	t.Helper()
	c, err := smtp.Dial(d.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.SendMail(from, to, bytes.NewReader(raw))
}

func fixture(t testing.TB, name string, vars ...string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return []byte(strings.NewReplacer(vars...).Replace(string(b)))
}

// relay is a capturing SMTP server: STARTTLS with its own certificate,
// AUTH PLAIN required, and every accepted message kept.
type relay struct {
	addr  string
	roots *x509.CertPool
	mu    sync.Mutex
	got   []captured
	// refuse, when set, answers DATA with this error.
	refuse error
}

type captured struct {
	from, user string
	to         []string
	tls        bool
	data       []byte
}

func (r *relay) messages() []captured {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]captured(nil), r.got...)
}

func (r *relay) setRefuse(err error) {
	r.mu.Lock()
	r.refuse = err
	r.mu.Unlock()
}

func startRelay(t testing.TB) *relay {
	t.Helper()
	cert, roots := selfSigned(t)
	r := &relay{roots: roots}
	s := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &relaySession{r: r, c: c}, nil
	}))
	s.Domain = "relay.test"
	s.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go s.Serve(l)
	t.Cleanup(func() { s.Close() })
	r.addr = l.Addr().String()
	return r
}

type relaySession struct {
	r    *relay
	c    *smtp.Conn
	user string
	cur  captured
}

func (s *relaySession) AuthMechanisms() []string { return []string{sasl.Plain} }
func (s *relaySession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, user, pass string) error {
		if user != "vigil" || pass != "relay-secret" {
			return errors.New("bad credentials")
		}
		s.user = user
		return nil
	}), nil
}
func (s *relaySession) Mail(from string, _ *smtp.MailOptions) error {
	if s.user == "" {
		return smtp.ErrAuthRequired
	}
	_, tlsOn := s.c.TLSConnectionState()
	s.cur = captured{from: from, user: s.user, tls: tlsOn}
	return nil
}
func (s *relaySession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.cur.to = append(s.cur.to, to)
	return nil
}
func (s *relaySession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.r.mu.Lock()
	defer s.r.mu.Unlock()
	if s.r.refuse != nil {
		return s.r.refuse
	}
	s.cur.data = b
	s.r.got = append(s.r.got, s.cur)
	return nil
}
func (s *relaySession) Reset()        {}
func (s *relaySession) Logout() error { return nil }

func selfSigned(t testing.TB) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "relay.test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	roots := x509.NewCertPool()
	roots.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, roots
}

// dkimRecord is the DNS TXT record that publishes key.
func dkimRecord(t testing.TB, key *rsa.PrivateKey) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return "v=DKIM1; k=rsa; p=" + base64.StdEncoding.EncodeToString(der)
}

func withCancel(d *desk) (context.Context, context.CancelFunc) { return context.WithCancel(d.Ctx) }
