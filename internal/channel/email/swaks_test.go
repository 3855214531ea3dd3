package email_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"vigil/internal/ticket"
)

// TestSwaksIntoReceiver has Debian's swaks, a real SMTP client, deliver
// fixture mail into the receiver over loopback. It runs when VIGIL_SWAKS
// names the swaks binary (.ci/run installs it and sets it).
func TestSwaksIntoReceiver(t *testing.T) {
	bin := os.Getenv("VIGIL_SWAKS")
	if bin == "" {
		t.Skip("VIGIL_SWAKS not set")
	}
	d := newDesk(t, deskOptions{})
	for _, f := range []string{"gmail_new.eml", "foxmail_gbk.eml", "auto_reply.eml"} {
		out, err := exec.Command(bin, "--server", d.addr, "--from", "mta@relay.example", "--to", support,
			"--data", filepath.Join("testdata", f), "--helo", "relay.example").CombinedOutput()
		if err != nil {
			t.Fatalf("swaks %s: %v\n%s", f, err, out)
		}
		if !strings.Contains(string(out), "<-  250") {
			t.Fatalf("swaks %s: no 250 after DATA\n%s", f, out)
		}
	}
	// A recipient that is not ours is refused at RCPT.
	out, err := exec.Command(bin, "--server", d.addr, "--from", "a@b.example", "--to", "victim@elsewhere.example",
		"--data", filepath.Join("testdata", "gmail_new.eml")).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "550") {
		t.Fatalf("relay attempt accepted:\n%s", out)
	}
	convs, _, err := d.Tickets.List(d.Ctx, ticket.Scope{All: true}, ticket.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	subjects := map[string]bool{}
	for _, c := range convs {
		subjects[c.Subject] = true
	}
	if len(convs) != 2 || !subjects["USDT withdrawal pending for 6 hours"] || !subjects["提现未到账 0.5 BTC"] {
		t.Fatalf("conversations after swaks: %v (the auto-reply must not open one)", subjects)
	}
}
