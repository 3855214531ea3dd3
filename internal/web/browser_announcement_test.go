//go:build browser

package web_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"vigil/internal/audit"
	"vigil/internal/kb"
)

// A reader in New York sees a window planned in Shanghai time in the
// widget's banner with their own clock added by the script.
func TestWidgetBannerInReadersTime(t *testing.T) {
	browserPath(t)
	d := startDesk(t)
	ctx := audit.WithActor(context.Background(), audit.Actor{Kind: "system"})
	start := time.Now().UTC().Truncate(time.Minute).Add(-time.Minute)
	if _, err := d.app.KB.CreateAnnouncement(ctx, 0, kb.AnnouncementInput{TimeZone: "Asia/Shanghai",
		Titles: map[string]string{"en": "Wallet upgrade"}, Bodies: map[string]string{"en": "Withdrawals pause."},
		StartsAt: start, EndsAt: start.Add(2 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	tab := newTab(t, "reader in New York")
	tab.run("open the chat", emulation.SetTimezoneOverride("America/New_York"),
		chromedp.Navigate("http://"+d.proxy.addr+"/widget/chat?lang=en"))
	var banner string
	tab.waitJS("the banner with the reader's time", `(function(){var b=Array.prototype.filter.call(document.querySelectorAll(".announcement"),
		function(n){return n.textContent.indexOf("Wallet upgrade")>=0})[0]; return b&&b.querySelector(".local") ? b.textContent : "";})()`, &banner)
	for _, want := range []string{"(Asia/Shanghai, UTC+8)", start.Format("15:04") + "–", "your time: ", start.In(ny).Format("15:04")} {
		if !strings.Contains(banner, want) {
			t.Errorf("banner %q lacks %q", banner, want)
		}
	}
}
