package email_test

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"vigil/internal/channel/email"
	"vigil/internal/ticket"
)

// dovecot runs Debian's Dovecot IMAP server, one process per connection
// over a pipe (doveadm exec imap), on a Maildir in a temporary directory.
// The test is skipped when Dovecot is not installed; .ci/run installs it.
type dovecot struct {
	conf, home string
}

func newDovecot(t *testing.T) *dovecot {
	t.Helper()
	if _, err := exec.LookPath("doveadm"); err != nil {
		t.Skip("dovecot-imapd is not installed")
	}
	dir := t.TempDir()
	home := filepath.Join(dir, "desk")
	if err := os.MkdirAll(home, 0o777); err != nil {
		t.Fatal(err)
	}
	// Dovecot never opens mail as root; when the test runs as root the
	// mail processes drop to nobody, who must be able to write here.
	for _, p := range []string{filepath.Dir(dir), dir, home} {
		if err := os.Chmod(p, 0o777); err != nil {
			t.Fatal(err)
		}
	}
	conf := filepath.Join(dir, "dovecot.conf")
	cfg := "log_path = " + filepath.Join(dir, "dovecot.log") + "\nssl = no\nmail_location = maildir:~/Mail\n" +
		"namespace inbox {\n  inbox = yes\n  separator = /\n}\n"
	if os.Geteuid() == 0 {
		cfg += "mail_uid = nobody\nmail_gid = nogroup\nfirst_valid_uid = 0\nfirst_valid_gid = 0\n"
	}
	if err := os.WriteFile(conf, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return &dovecot{conf: conf, home: home}
}

// dial starts an IMAP server process and returns the client's end.
func (d *dovecot) dial(t *testing.T) func(context.Context) (net.Conn, error) {
	return func(context.Context) (net.Conn, error) {
		client, server := net.Pipe()
		cmd := exec.Command("doveadm", "-c", d.conf, "exec", "imap")
		cmd.Env = []string{"USER=desk", "HOME=" + d.home, "PATH=" + os.Getenv("PATH")}
		cmd.Stdin, cmd.Stdout = server, server
		if err := cmd.Start(); err != nil {
			return nil, err
		}
		go func() { cmd.Wait(); server.Close() }()
		t.Cleanup(func() { client.Close(); server.Close() })
		return client, nil
	}
}

// appendMail puts a message into the mailbox, as the mail server's
// delivery would.
func (d *dovecot) appendMail(t *testing.T, raw []byte) {
	t.Helper()
	conn, _ := d.dial(t)(context.Background())
	c := imapclient.New(conn, nil)
	defer c.Close()
	cmd := c.Append("INBOX", int64(len(raw)), nil)
	if _, err := cmd.Write(raw); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := cmd.Wait(); err != nil {
		log, _ := os.ReadFile(filepath.Join(filepath.Dir(d.conf), "dovecot.log"))
		t.Fatalf("append: %v\n%s", err, log)
	}
}

func (d *dovecot) unseen(t *testing.T) int {
	t.Helper()
	conn, _ := d.dial(t)(context.Background())
	c := imapclient.New(conn, nil)
	defer c.Close()
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		log, _ := os.ReadFile(filepath.Join(filepath.Dir(d.conf), "dovecot.log"))
		t.Fatalf("%v\n%s", err, log)
	}
	data, err := c.UIDSearch(&imap.SearchCriteria{NotFlag: []imap.Flag{imap.FlagSeen}}, nil).Wait()
	if err != nil {
		t.Fatal(err)
	}
	return len(data.AllUIDs())
}

func TestIMAPPollingWithDovecot(t *testing.T) {
	dc := newDovecot(t)
	d := newDesk(t, deskOptions{})
	dc.appendMail(t, fixture(t, "outlook_big5.eml"))
	dc.appendMail(t, fixture(t, "auto_reply.eml"))
	dc.appendMail(t, []byte("this is not an email"))
	p := email.NewPoller(email.PollerOptions{Receiver: d.receiver, Dial: dc.dial(t), Security: "none", Interval: 50 * time.Millisecond})
	n, err := p.Once(d.Ctx)
	if err != nil || n != 3 {
		t.Fatalf("first pass: %d handled, %v", n, err)
	}
	convs, _, _ := d.Tickets.List(d.Ctx, ticket.Scope{All: true}, ticket.Filter{})
	if len(convs) != 1 || convs[0].Subject != "帳戶凍結" {
		t.Fatalf("conversations: %+v", convs)
	}
	if u := dc.unseen(t); u != 0 {
		t.Fatalf("%d messages left unread", u)
	}
	// A second pass finds nothing new.
	if n, err := p.Once(d.Ctx); err != nil || n != 0 {
		t.Fatalf("second pass: %d, %v", n, err)
	}

	// Running with IDLE: mail delivered later is picked up without a poll
	// of our own.
	ctx, cancel := context.WithCancel(d.Ctx)
	defer cancel()
	idle := email.NewPoller(email.PollerOptions{Receiver: d.receiver, Dial: dc.dial(t), Security: "none", Interval: time.Hour})
	done := make(chan struct{})
	go func() { defer close(done); idle.Run(ctx) }()
	time.Sleep(300 * time.Millisecond) // in IDLE by now
	dc.appendMail(t, fixture(t, "gmail_new.eml"))
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if convs, _, _ = d.Tickets.List(d.Ctx, ticket.Scope{All: true}, ticket.Filter{}); len(convs) == 2 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	<-done
	if len(convs) != 2 {
		t.Fatalf("mail delivered during IDLE was not read: %d conversations", len(convs))
	}
	ms := d.Messages(t, convs[0].ID)
	if !bytes.Contains([]byte(ms[0].Body), []byte("USDT")) {
		t.Fatalf("newest conversation: %q", ms[0].Body)
	}
}
