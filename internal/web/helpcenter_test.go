package web_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"vigil/internal/audit"
	"vigil/internal/kb"
)

// helpEnv is a running Vigil with a small help center: a translated
// article, an English-only one, an internal one and an unpublished draft.
func helpEnv(t *testing.T) *env {
	t.Helper()
	e := newEnv(t)
	ctx := audit.WithActor(context.Background(), audit.Actor{Kind: "system"})
	k := e.app.KB
	cat, err := k.CreateCategory(ctx, kb.CategoryInput{Slug: "withdrawals", Names: map[string]string{"en": "Withdrawals", "zh": "提现"}})
	if err != nil {
		t.Fatal(err)
	}
	add := func(slug string, catID int64, internal, publish bool, texts map[string]kb.VersionInput) {
		a, err := k.CreateArticle(ctx, kb.ArticleInput{Slug: slug, CategoryID: catID, Internal: internal})
		if err != nil {
			t.Fatal(err)
		}
		for lang, in := range texts {
			if _, err := k.SaveDraft(ctx, 0, a.ID, lang, in); err != nil {
				t.Fatal(err)
			}
			if publish {
				if _, err := k.Publish(ctx, a.ID, lang); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	add("withdrawal-pending", cat.ID, false, true, map[string]kb.VersionInput{
		"en": {Title: "Why is my withdrawal pending?", Summary: "Most withdrawals arrive within 30 minutes.", Body: "Check **History**."},
		"zh": {Title: "为什么我的提现还在处理中？", Summary: "大多数提现在30分钟内到账。", Body: "请查看**历史记录**。", Questions: []string{"提现一直没到账"}},
	})
	add("deposit-missing", 0, false, true, map[string]kb.VersionInput{
		"en": {Title: "My deposit has not been credited", Summary: "Check the network and memo.", Body: "Deposits need confirmations."},
	})
	add("refund-playbook", cat.ID, true, true, map[string]kb.VersionInput{"en": {Title: "Agent refund playbook", Body: "Internal steps."}})
	add("coming-soon", cat.ID, false, false, map[string]kb.VersionInput{"en": {Title: "Unreleased launch article", Body: "Secret."}})
	return e
}

type page struct {
	status   int
	location string
	body     string
	header   http.Header
}

func (e *env) help(t *testing.T, method, path string, form url.Values, acceptLang string) page {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, e.srv.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if acceptLang != "" {
		req.Header.Set("Accept-Language", acceptLang)
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return page{status: resp.StatusCode, location: resp.Header.Get("Location"), body: string(b), header: resp.Header}
}

func TestHelpCenterPages(t *testing.T) {
	e := helpEnv(t)
	tests := []struct {
		name, path, acceptLang string
		status                 int
		want, absent           []string
	}{
		{"home in Chinese", "/help/zh/", "", 200,
			[]string{`<html lang="zh-Hans">`, "<title>帮助中心</title>", `<meta name="description" content="帮助中心：`, `name="viewport"`,
				`href="/help/zh/categories/withdrawals">提现</a>`, `href="/help/zh/articles/withdrawal-pending">为什么我的提现还在处理中？</a>`,
				`href="/help/zh/articles/deposit-missing">My deposit has not been credited</a>`, `hreflang="en" href="/help/en/"`},
			[]string{"Agent refund playbook", "Unreleased launch article", "<script"}},
		{"home in English", "/help/en/", "", 200, []string{`<html lang="en">`, "<title>Help center</title>", "Why is my withdrawal pending?",
			"Suspicious login or withdrawal?", `href="/widget/chat?lang=en"`, `href="/verify"`},
			[]string{"为什么"}},
		{"translated article", "/help/zh/articles/withdrawal-pending", "", 200,
			[]string{`<html lang="zh-Hans">`, "<title>为什么我的提现还在处理中？ · 帮助中心</title>", `<meta name="description" content="大多数提现在30分钟内到账。">`,
				`<article lang="zh-Hans">`, "<strong>历史记录</strong>", `href="/help/en/articles/withdrawal-pending"`, `action="/help/zh/articles/withdrawal-pending/feedback"`,
				`href="/help/zh/categories/withdrawals">提现</a>`},
			[]string{`class="fallback"`}},
		{"missing translation falls back visibly", "/help/zh/articles/deposit-missing", "", 200,
			[]string{`<html lang="zh-Hans">`, `class="fallback"`, "本文暂无中文版本，以下显示的是English版本。", `<article lang="en">`, "My deposit has not been credited"}, nil},
		{"category page", "/help/en/categories/withdrawals", "", 200, []string{"<h1>Withdrawals</h1>", "Why is my withdrawal pending?"},
			[]string{"Agent refund playbook", "Unreleased"}},
		{"internal article is not public", "/help/en/articles/refund-playbook", "", 404, []string{"This article does not exist or has been removed."},
			[]string{"Internal steps"}},
		{"draft is not public", "/help/en/articles/coming-soon", "", 404, nil, []string{"Secret"}},
		{"unknown language", "/help/fr/", "", 404, nil, nil},
		{"Chinese search", "/help/zh/search?q=" + url.QueryEscape("提现一直没到账怎么办"), "", 200,
			[]string{`href="/help/zh/articles/withdrawal-pending">为什么我的提现还在处理中？</a>`}, nil},
		{"English search with a typo", "/help/en/search?q=withdrawl", "", 200, []string{`href="/help/en/articles/withdrawal-pending"`}, nil},
		{"search finds no internal article", "/help/en/search?q=refund+playbook", "", 200, []string{"No article matches"}, []string{"refund-playbook"}},
		{"search escapes the query", "/help/en/search?q=" + url.QueryEscape("<script>x</script>"), "", 200, []string{"&lt;script&gt;"}, []string{"<script>x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := e.help(t, "GET", tt.path, nil, tt.acceptLang)
			if p.status != tt.status {
				t.Fatalf("GET %s: %d, want %d\n%s", tt.path, p.status, tt.status, p.body)
			}
			for _, w := range tt.want {
				if !strings.Contains(p.body, w) {
					t.Errorf("GET %s lacks %q\n%s", tt.path, w, p.body)
				}
			}
			for _, a := range tt.absent {
				if strings.Contains(p.body, a) {
					t.Errorf("GET %s must not contain %q", tt.path, a)
				}
			}
		})
	}
	for header, want := range map[string]string{"zh-CN,zh;q=0.9": "/help/zh/", "en-GB": "/help/en/", "": "/help/en/"} {
		if p := e.help(t, "GET", "/help", nil, header); p.status != http.StatusFound || p.location != want {
			t.Errorf("GET /help with Accept-Language %q: %d → %q, want %s", header, p.status, p.location, want)
		}
	}
	// Renaming an article keeps its old URL working.
	ctx := audit.WithActor(context.Background(), audit.Actor{Kind: "system"})
	art, err := e.app.KB.ArticleBySlug(ctx, "deposit-missing")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.app.KB.UpdateArticle(ctx, art.ID, kb.ArticleInput{Slug: "deposit-not-credited"}); err != nil {
		t.Fatal(err)
	}
	if p := e.help(t, "GET", "/help/zh/articles/deposit-missing", nil, ""); p.status != http.StatusMovedPermanently ||
		p.location != "/help/zh/articles/deposit-not-credited" {
		t.Errorf("old slug: %d → %q, want a permanent redirect to the new one", p.status, p.location)
	}
	if p := e.help(t, "GET", "/help/zh/articles/deposit-not-credited", nil, ""); p.status != 200 {
		t.Errorf("new slug: %d", p.status)
	}
	if p := e.help(t, "GET", "/help/en/", nil, ""); !strings.Contains(p.header.Get("Content-Security-Policy"), "script-src 'none'") {
		t.Errorf("help center CSP = %q", p.header.Get("Content-Security-Policy"))
	}
}

func TestHelpCenterFeedback(t *testing.T) {
	e := helpEnv(t)
	ctx := context.Background()
	art, err := e.app.KB.ArticleBySlug(ctx, "withdrawal-pending")
	if err != nil {
		t.Fatal(err)
	}
	path := "/help/zh/articles/withdrawal-pending/feedback"
	p := e.help(t, "POST", path, url.Values{"helpful": {"yes"}}, "")
	if p.status != http.StatusSeeOther || p.location != "/help/zh/articles/withdrawal-pending?feedback=thanks" {
		t.Fatalf("feedback: %d → %s", p.status, p.location)
	}
	if got := e.help(t, "GET", p.location, nil, ""); !strings.Contains(got.body, "感谢您的反馈。") || strings.Contains(got.body, `name="helpful"`) {
		t.Errorf("page after feedback does not thank the reader")
	}
	e.help(t, "POST", path, url.Values{"helpful": {"no"}}, "")
	if p := e.help(t, "POST", path, url.Values{"helpful": {"maybe"}}, ""); p.status != http.StatusUnprocessableEntity {
		t.Errorf("bad feedback value: %d, want 422", p.status)
	}
	if p := e.help(t, "POST", "/help/en/articles/refund-playbook/feedback", url.Values{"helpful": {"yes"}}, ""); p.status != http.StatusNotFound {
		t.Errorf("feedback on an internal article: %d, want 404", p.status)
	}
	// A stranger hammering the button is stopped and nothing more is counted.
	limited := false
	for range 20 {
		if p := e.help(t, "POST", path, url.Values{"helpful": {"yes"}}, ""); strings.HasSuffix(p.location, "feedback=limited") {
			limited = true
			break
		}
	}
	if !limited {
		t.Fatal("20 more feedback posts from one address were all accepted")
	}
	v, err := e.app.KB.FeedbackCounts(ctx, art.ID)
	if err != nil {
		t.Fatal(err)
	}
	if v.NotHelpful != 1 || v.Helpful < 1 || v.Helpful+v.NotHelpful > 10 {
		t.Errorf("votes = %+v, want one no and at most the rate limit in total", v)
	}
}

func TestAnnouncementsOnHelpCenterAndWidget(t *testing.T) {
	e := helpEnv(t)
	ctx := audit.WithActor(context.Background(), audit.Actor{Kind: "system"})
	_, err := e.app.KB.CreateAnnouncement(ctx, 0, kb.AnnouncementInput{Topic: "withdrawal",
		Titles:   map[string]string{"en": "BTC withdrawals paused", "zh": "BTC 暂停提现"},
		Bodies:   map[string]string{"en": "Wallet maintenance until 12:00 UTC.", "zh": "钱包维护至 UTC 12:00。"},
		StartsAt: e.clock.now.Add(-time.Minute), EndsAt: e.clock.now.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{
		"/help/zh/":                         "BTC 暂停提现",
		"/help/en/articles/deposit-missing": "Wallet maintenance until 12:00 UTC.",
		"/widget/chat?lang=zh":              "钱包维护至 UTC 12:00。",
		"/widget/chat?lang=en":              "BTC withdrawals paused",
	} {
		if p := e.help(t, "GET", path, nil, ""); p.status != 200 || !strings.Contains(p.body, want) {
			t.Errorf("GET %s during the announcement: %d, lacks %q", path, p.status, want)
		}
	}
	e.clock.now = e.clock.now.Add(2 * time.Hour)
	for _, path := range []string{"/help/zh/", "/widget/chat?lang=en"} {
		if p := e.help(t, "GET", path, nil, ""); strings.Contains(p.body, "BTC") {
			t.Errorf("GET %s still shows the announcement after it ended", path)
		}
	}
}
