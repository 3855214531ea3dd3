//go:build browser

package web_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// A supervisor writes an article in English and Chinese in the console,
// previews it, publishes both, and the public help center shows it in
// each language.
func TestSupervisorPublishesArticleInTwoLanguages(t *testing.T) {
	browserPath(t)
	d := startDesk(t)
	tab := newTab(t, "supervisor")
	d.signIn(tab, "sam@vigil.example")

	tab.run("write the English article",
		chromedp.Navigate(d.direct+"/console/kb"),
		chromedp.WaitVisible(`#articles`),
		chromedp.Click(`a[href="/console/kb/articles/new"]`),
		chromedp.WaitVisible(`#article-form`),
		chromedp.SendKeys(`#article-form input[name=slug]`, "staking-rewards"),
		chromedp.SendKeys(`#article-form input[name=title]`, "When are staking rewards paid?"),
		chromedp.SendKeys(`#article-form input[name=summary]`, "Rewards are paid every day at 00:00 UTC."),
		chromedp.SendKeys(`#article-form textarea[name=body]`, "Rewards arrive **daily** in your Earn wallet."),
		chromedp.SendKeys(`#article-form textarea[name=questions]`, "when do I get staking rewards"),
		chromedp.Click(`#article-form button[value=preview]`),
		chromedp.WaitVisible(`#preview strong`),
	)
	var strong string
	tab.run("read the preview", chromedp.Text(`#preview strong`, &strong))
	if strong != "daily" {
		t.Errorf("preview shows %q in bold, want %q", strong, "daily")
	}
	tab.run("create the draft and publish it",
		chromedp.Click(`#article-form button[value=save]`),
		chromedp.WaitVisible(`#text-form`),
		chromedp.Click(`#text-form button[value=publish]`),
		// The draft's page already shows a notice: wait for the publish one.
		chromedp.WaitVisible(`//p[@role="status" and contains(@class, "ok") and normalize-space() = "Published."]`, chromedp.BySearch),
	)
	var notice, zhTab string
	tab.run("read the outcome", chromedp.Text(`p.ok[role=status]`, &notice), chromedp.Text(`.lang-tabs a[href$="lang=zh"]`, &zhTab))
	if notice != "Published." || !strings.Contains(zhTab, "missing") {
		t.Errorf("after publishing English: notice %q, Chinese tab %q", notice, zhTab)
	}
	tab.run("write and publish the Chinese text, keyboard only for the button",
		chromedp.Click(`.lang-tabs a[href$="lang=zh"]`),
		chromedp.WaitVisible(`p.missing`),
		chromedp.SendKeys(`#text-form input[name=title]`, "质押奖励什么时候发放？"),
		chromedp.SendKeys(`#text-form input[name=summary]`, "奖励每天 UTC 00:00 发放。"),
		chromedp.SendKeys(`#text-form textarea[name=body]`, "奖励**每天**发放到您的理财账户。"),
		// From the keyboard: focus the button and press Enter.
		chromedp.Focus(`#text-form button[value=publish]`),
		chromedp.KeyEvent("\r"),
		chromedp.WaitVisible(`//p[@role="status" and contains(@class, "ok") and normalize-space() = "Published."]`, chromedp.BySearch),
	)
	tab.run("read the outcome", chromedp.Text(`.lang-tabs a[href$="lang=zh"]`, &zhTab))
	if !strings.Contains(zhTab, "published") {
		t.Errorf("Chinese tab after publishing: %q", zhTab)
	}

	reader := newTab(t, "reader")
	for _, c := range []struct{ lang, title, bold, htmlLang string }{
		{"en", "When are staking rewards paid?", "daily", "en"},
		{"zh", "质押奖励什么时候发放？", "每天", "zh-Hans"},
	} {
		var h1, bold, lang string
		reader.run("read the article in "+c.lang,
			chromedp.Navigate(d.direct+"/help/"+c.lang+"/articles/staking-rewards"),
			chromedp.WaitVisible(`h1`),
			chromedp.Text(`h1`, &h1),
			chromedp.Text(`main strong`, &bold),
			chromedp.AttributeValue(`html`, "lang", &lang, nil),
		)
		if h1 != c.title || bold != c.bold || lang != c.htmlLang {
			t.Errorf("help center in %s: title %q, bold %q, lang %q; want %q, %q, %q", c.lang, h1, bold, lang, c.title, c.bold, c.htmlLang)
		}
	}
}
