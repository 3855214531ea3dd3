package email

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"vigil/internal/markup"
)

func fixture(t testing.TB, name string, vars ...string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return []byte(strings.NewReplacer(vars...).Replace(string(b)))
}

func TestParseFixtures(t *testing.T) {
	type want struct {
		messageID   string
		from, name  string
		subject     string
		body        string   // exactly what agents read
		textHas     []string // the kept full text
		inReplyTo   []string
		attachments []string
		automatic   bool
		language    string
	}
	ourID := "<d41d8cd98f00b204e9800998ecf8427e@exchange.example>"
	tests := map[string]want{
		"gmail_new.eml": {
			messageID: "<CAGx7rK3wY1fP0v+Qz9YtH2Lw8s=Nn4b6vZ1mK_0aH5Fq@mail.gmail.com>",
			from:      "alice.chen.trader@gmail.com", name: "Alice Chen", subject: "USDT withdrawal pending for 6 hours",
			body:        "Hi,\n\nI withdrew 1,250 USDT on TRC20 this morning and it still shows \"Processing\".\nTXID is not shown yet. Screenshot attached.\n\nThanks,\nAlice",
			attachments: []string{"withdrawal.png"}, language: "en",
		},
		"gmail_reply.eml": {
			messageID: "<CAGx7rK0bZ9q@mail.gmail.com>", from: "alice.chen.trader@gmail.com", name: "Alice Chen",
			subject:   "Re: USDT withdrawal pending for 6 hours [#7]",
			body:      "It arrived now, thank you! Closing this on my side.",
			textHas:   []string{"wrote:", "> The withdrawal was delayed"},
			inReplyTo: []string{ourID, "<CAGx7rK3wY1fP0v+Qz9YtH2Lw8s=Nn4b6vZ1mK_0aH5Fq@mail.gmail.com>"}, language: "en",
		},
		"outlook_reply.eml": {
			messageID: "<AM6PR05MB58761C2E5A4F1B2D3E4F5A6B7C8D9@AM6PR05MB5876.eurprd05.prod.outlook.example>",
			from:      "mark.jensen@contoso-trading.example", name: "Jensen, Mark",
			subject: "RE: Futures position liquidated unexpectedly [#7]",
			body: "Hello,\n\nThe liquidation price shown was 61,200 but the position closed at 62,950. Please explain the difference; I have attached nothing, the order ID is 8841-2207.\n\n" +
				"Kind regards\nMark Jensen\nHead of Trading, Contoso Trading ApS\nTel. +45 12 34 56 78",
			textHas: []string{"From: Exchange Support", "Could you send us the order ID?"}, inReplyTo: []string{ourID}, language: "en",
		},
		"apple_mail.eml": {
			messageID: "<9F1C6B2A-77D4-4E0B-A1C3-5D2E8F7A6B11@icloud.example>", from: "tom.becker@icloud.example", name: "Tom Becker",
			subject:     "Deposit not credited - memo forgotten",
			body:        "I sent 120 XRP without the destination tag. Photo of the confirmation below.",
			textHas:     []string{"Sent from my iPhone"},
			attachments: []string{"IMG_4471.png"}, language: "en",
		},
		"foxmail_gbk.eml": {
			messageID: "<2026030210150811427218@qq.example>", from: "zhurong88@qq.example", name: "朱镕",
			subject:  "提现未到账 0.5 BTC",
			body:     "您好：\n\n我昨天提现的 0.5 BTC 到现在还没有到账，提现编号 W20260301-7788。\n请帮忙查一下，谢谢！\n\n朱镕",
			textHas:  []string{"原始邮件", "您的防钓鱼码"},
			language: "zh",
		},
		"outlook_big5.eml": {
			messageID: "<000001dc8b2a$5f1e2d30$1d5a8790$@hkmail.example>", from: "taiman.chan@hkmail.example", name: "陳大文",
			subject: "帳戶凍結", body: "您好，我的帳戶被凍結了，請問如何解凍？\n\n陳大文", language: "zh",
		},
		"auto_reply.eml": {
			messageID: "<3c1f0b9e2d8a4f7e9b6c5d4e3f2a1b0c@AM6PR05MB5876.eurprd05.prod.outlook.example>",
			from:      "mark.jensen@contoso-trading.example", name: "Jensen, Mark",
			subject:   "Automatic reply: Re: Futures position liquidated unexpectedly [#3]",
			body:      "I am out of the office until 9 March with limited access to email.",
			inReplyTo: []string{"<8a1f0c2d3e4b5a69788796a5b4c3d2e1@exchange.example>"}, automatic: true, language: "en",
		},
		"html_only.eml": {
			messageID: "<web-form-7f3a9c@example.net>", from: "priya.nair@example.net", name: "Priya Nair",
			subject: "2FA reset – lost phone", body: "I lost my phone and need to reset 2FA.\n\nMy UID is 10293847.\nclick", language: "en",
		},
	}
	for name, w := range tests {
		t.Run(name, func(t *testing.T) {
			p, err := Parse(fixture(t, name, "{{CONV}}", "7", "{{OURID}}", ourID))
			if err != nil {
				t.Fatal(err)
			}
			var atts []string
			for _, a := range p.Attachments {
				atts = append(atts, a.Name)
				if len(a.Data) == 0 {
					t.Errorf("attachment %s has no data", a.Name)
				}
			}
			got := want{messageID: p.MessageID, from: p.From.Address, name: p.From.Name, subject: p.Subject, body: p.Body,
				textHas: w.textHas, inReplyTo: p.InReplyTo, attachments: atts, automatic: p.Automatic, language: Language(p.Subject + p.Body)}
			if diff := cmp.Diff(w, got, cmp.AllowUnexported(want{})); diff != "" {
				t.Errorf("parsed (-want +got):\n%s", diff)
			}
			for _, s := range w.textHas {
				if !strings.Contains(p.Text, s) {
					t.Errorf("full text lost %q:\n%s", s, p.Text)
				}
			}
			if p.Bounce != nil {
				t.Errorf("not a bounce, parsed as one")
			}
		})
	}
}

func TestParseHTMLDropsActiveContent(t *testing.T) {
	p, err := Parse(fixture(t, "html_only.eml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"alert", "steal", "track.example", "javascript", "ignored", "color:red", "<"} {
		if strings.Contains(p.Body, bad) || strings.Contains(p.Text, bad) {
			t.Errorf("%q survived into the text: %q", bad, p.Body)
		}
	}
}

func TestParseBounce(t *testing.T) {
	p, err := Parse(fixture(t, "bounce_dsn.eml"))
	if err != nil {
		t.Fatal(err)
	}
	if p.Bounce == nil {
		t.Fatal("DSN not recognised")
	}
	want := []BounceRecipient{
		{Address: "gone.user@customer-mail.example", Action: "failed", Status: "5.1.1",
			Diagnostic: "smtp; 550 5.1.1 <gone.user@customer-mail.example>: Recipient address rejected: User unknown in virtual mailbox table"},
		{Address: "slow.user@customer-mail.example", Action: "delayed", Status: "4.4.1",
			Diagnostic: "X-Postfix; connect to mailstore2.customer-mail.example: Connection timed out"},
	}
	if diff := cmp.Diff(want, p.Bounce.Recipients); diff != "" {
		t.Fatalf("recipients (-want +got):\n%s", diff)
	}
	if !want[0].Permanent() || want[1].Permanent() {
		t.Fatal("only the 5.x.x failure is permanent")
	}
}

func TestStripQuotes(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"gmail attribution", "Thanks!\n\nOn Tue, 3 Mar 2026 at 09:00, Support <s@x.example> wrote:\n> old", "Thanks!"},
		{"chinese gmail", "收到，谢谢。\n\n在 2026年3月3日周二 09:00，Support <s@x.example> 写道：\n> 旧邮件", "收到，谢谢。"},
		{"signature", "Please check.\n-- \nAlice\nTrader", "Please check."},
		{"from line in text is kept", "From: my Ledger wallet\nTo the exchange, 2 BTC.", "From: my Ledger wallet\nTo the exchange, 2 BTC."},
		{"only quotes keeps all", "> quoted only", "> quoted only"},
		{"iphone zh", "好的\n\n发自我的iPhone", "好的"},
	}
	for _, tt := range tests {
		if got := StripQuotes(tt.in); got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestSubjectHelpers(t *testing.T) {
	if n := SubjectToken("Re: RE: Deposit [#1234] missing"); n != 1234 {
		t.Fatalf("token = %d", n)
	}
	if s := CleanSubject("回复：Re: 提现未到账 [#12]"); s != "提现未到账" {
		t.Fatalf("clean = %q", s)
	}
}

// The HTML part is kept for display without the quoted reply, and what is
// stored of it has no active or remote content left.
func TestHTMLKeptForDisplay(t *testing.T) {
	p, err := Parse(fixture(t, "html_only.eml"))
	if err != nil {
		t.Fatal(err)
	}
	shown := markup.Email(p.HTML)
	if !strings.Contains(shown, "<b>2FA</b>") || !strings.Contains(shown, "My UID is 10293847.") {
		t.Errorf("formatting lost: %q", shown)
	}
	for _, bad := range []string{"alert", "steal", "track.example", "javascript", "ignored", "color:red", "onload", "<img", "<style", "<script"} {
		if strings.Contains(shown, bad) {
			t.Errorf("%q survived into the shown HTML: %q", bad, shown)
		}
	}
	p, err = Parse(fixture(t, "gmail_reply.eml"))
	if err != nil {
		t.Fatal(err)
	}
	shown = markup.Email(p.HTML)
	if !strings.Contains(shown, "It arrived now, thank you!") || strings.Contains(shown, "BLUE-OTTER") || strings.Contains(shown, "wrote:") {
		t.Errorf("gmail reply shown as %q", shown)
	}
}
