package kb_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"vigil/internal/apperr"
	"vigil/internal/audit"
	"vigil/internal/db/dbtest"
	"vigil/internal/kb"
)

var t0 = time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)

type env struct {
	ctx   context.Context
	kb    *kb.Service
	clock *dbtest.Clock
}

func newEnv(t *testing.T) *env {
	t.Helper()
	d := dbtest.Open(t)
	clk := dbtest.NewClock(t0)
	ctx := audit.WithActor(context.Background(), audit.Actor{Kind: "system"})
	return &env{ctx: ctx, kb: kb.New(d, audit.New(d, clk.Now), slog.New(slog.DiscardHandler), clk.Now), clock: clk}
}

func must[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// article creates an article and publishes its translations (lang → text).
func (e *env) article(t *testing.T, slug string, internal bool, texts map[string]kb.VersionInput) kb.Article {
	t.Helper()
	a := must[kb.Article](t)(e.kb.CreateArticle(e.ctx, kb.ArticleInput{Slug: slug, Internal: internal}))
	for lang, in := range texts {
		must[kb.Version](t)(e.kb.SaveDraft(e.ctx, 0, a.ID, lang, in))
		must[kb.Version](t)(e.kb.Publish(e.ctx, a.ID, lang))
	}
	return a
}

func (e *env) demo(t *testing.T) {
	t.Helper()
	e.article(t, "withdrawal-pending", false, map[string]kb.VersionInput{
		"en": {Title: "Why is my withdrawal pending?", Summary: "Withdrawals wait for network confirmations and security review.",
			Body: "Most withdrawals complete within 30 minutes.", Questions: []string{"where is my withdrawal", "withdrawal not received"}},
		"zh": {Title: "为什么我的提现还在处理中？", Summary: "提现需要等待网络确认和安全审核。",
			Body: "大多数提现在30分钟内完成。", Questions: []string{"提现一直没到账", "提币多久到账"}},
	})
	e.article(t, "deposit-missing", false, map[string]kb.VersionInput{
		"en": {Title: "My deposit has not arrived", Body: "Check the network and the memo/tag of your deposit.",
			Questions: []string{"deposit not credited", "I sent crypto but do not see it"}},
	})
	e.article(t, "reset-2fa", false, map[string]kb.VersionInput{
		"en": {Title: "Reset two-factor authentication", Body: "Lost your authenticator? Start a 2FA reset from the login page.",
			Questions: []string{"lost my authenticator phone"}},
		"zh": {Title: "重置双重验证", Body: "丢失了验证器？请在登录页面申请重置谷歌验证。", Questions: []string{"谷歌验证器丢了怎么办"}},
	})
	e.article(t, "agent-refund-playbook", true, map[string]kb.VersionInput{
		"en": {Title: "Internal: withdrawal refund playbook", Body: "Escalate stuck withdrawals to finance after 24 hours."},
	})
}

func slugs(hits []kb.Hit) []string {
	out := []string{}
	for _, h := range hits {
		out = append(out, h.Slug)
	}
	return out
}

func TestSearch(t *testing.T) {
	e := newEnv(t)
	e.demo(t)
	tests := []struct {
		name, query, lang string
		internal          bool
		first             string
		absent            string
	}{
		{"english word", "withdrawal", "en", false, "withdrawal-pending", "agent-refund-playbook"},
		{"english plural and stem", "withdrawals pending", "en", false, "withdrawal-pending", ""},
		{"typo: letter missing", "withdrawl", "en", false, "withdrawal-pending", ""},
		{"typo: letters swapped", "depsoit", "en", false, "deposit-missing", ""},
		{"typo: wrong letter", "authenticatar", "en", false, "reset-2fa", ""},
		{"example question", "crypto not credited", "en", false, "deposit-missing", ""},
		{"chinese without spaces", "我的提现一直没到账", "zh", false, "withdrawal-pending", ""},
		{"chinese two characters", "提现", "zh", false, "withdrawal-pending", ""},
		{"chinese other article", "谷歌验证丢失", "zh", false, "reset-2fa", ""},
		{"internal hidden from public", "refund playbook", "en", false, "", "agent-refund-playbook"},
		{"internal shown to agents", "refund playbook", "en", true, "agent-refund-playbook", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hits := e.kb.Search(tt.query, kb.SearchOptions{Language: tt.lang, Internal: tt.internal})
			got := slugs(hits)
			if tt.first != "" && (len(got) == 0 || got[0] != tt.first) {
				t.Errorf("Search(%q) = %v, want %s first", tt.query, got, tt.first)
			}
			if tt.first == "" && len(got) > 0 && tt.absent != "" && slices.Contains(got, tt.absent) {
				t.Errorf("Search(%q) = %v, must not contain %s", tt.query, got, tt.absent)
			}
			if tt.absent != "" && slices.Contains(got, tt.absent) {
				t.Errorf("Search(%q) = %v, must not contain %s", tt.query, got, tt.absent)
			}
		})
	}
	// A reader of Chinese sees the Chinese title even for an English query.
	hits := e.kb.Search("withdrawal", kb.SearchOptions{Language: "zh"})
	if len(hits) == 0 || hits[0].Title != "为什么我的提现还在处理中？" {
		t.Errorf("zh reader searching in English: %+v, want the Chinese title", hits)
	}
	if hits := e.kb.Search("the of and", kb.SearchOptions{Language: "en"}); len(hits) != 0 {
		t.Errorf("stop words alone matched %v", slugs(hits))
	}
}

func TestTerms(t *testing.T) {
	got := kb.Terms("USDT提现失败 Withdrawals fees")
	want := []string{"usdt", "提现", "现失", "失败", "withdrawal", "fee"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Terms (-want +got):\n%s", diff)
	}
	for text, want := range map[string]string{"提现没到账": "zh", "my withdrawal is late": "en", "0x3f9a…": "", "USDT 提现": "zh"} {
		if got := kb.Language(text); got != want {
			t.Errorf("Language(%q) = %q, want %q", text, got, want)
		}
	}
}

func TestReadFallbackDraftsAndInternal(t *testing.T) {
	e := newEnv(t)
	e.demo(t)

	// Deposit has no Chinese version: a Chinese reader gets English, marked.
	p := must[kb.Page](t)(e.kb.Read(e.ctx, "deposit-missing", "zh", kb.Public))
	if !p.Fallback || p.Language != "en" || p.Requested != "zh" || p.Title != "My deposit has not arrived" {
		t.Errorf("fallback page = %+v, want the English version marked as fallback", p)
	}
	p = must[kb.Page](t)(e.kb.Read(e.ctx, "withdrawal-pending", "zh", kb.Public))
	if p.Fallback || p.Language != "zh" {
		t.Errorf("translated page = lang %s fallback %v, want zh without fallback", p.Language, p.Fallback)
	}

	// A draft is not public until published; the published text stays.
	a := must[kb.Article](t)(e.kb.ArticleBySlug(e.ctx, "deposit-missing"))
	e.clock.Advance(time.Minute)
	draft := must[kb.Version](t)(e.kb.SaveDraft(e.ctx, 0, a.ID, "en", kb.VersionInput{Title: "Deposit not credited (new)", Body: "New text"}))
	if draft.Number != 2 || draft.PublishedAt != nil {
		t.Errorf("draft = number %d published %v, want 2 and unpublished", draft.Number, draft.PublishedAt)
	}
	p = must[kb.Page](t)(e.kb.Read(e.ctx, "deposit-missing", "en", kb.Public))
	if p.Title != "My deposit has not arrived" {
		t.Errorf("with a draft saved, readers see %q, want the published title", p.Title)
	}
	if hits := e.kb.Search("new text", kb.SearchOptions{Language: "en"}); len(hits) != 0 {
		t.Errorf("draft text is searchable: %v", slugs(hits))
	}
	// A draft-only article is not readable at all.
	fresh := must[kb.Article](t)(e.kb.CreateArticle(e.ctx, kb.ArticleInput{Slug: "coming-soon"}))
	must[kb.Version](t)(e.kb.SaveDraft(e.ctx, 0, fresh.ID, "en", kb.VersionInput{Title: "Coming soon", Body: "Secret launch"}))
	if _, err := e.kb.Read(e.ctx, "coming-soon", "en", kb.Public); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("draft-only article read: err %v, want not found", err)
	}
	if hits := e.kb.Search("secret launch", kb.SearchOptions{Language: "en", Internal: true}); len(hits) != 0 {
		t.Errorf("draft-only article is searchable: %v", slugs(hits))
	}

	must[kb.Version](t)(e.kb.Publish(e.ctx, a.ID, "en"))
	p = must[kb.Page](t)(e.kb.Read(e.ctx, "deposit-missing", "en", kb.Public))
	if p.Title != "Deposit not credited (new)" || p.BodyHTML != "<p>New text</p>\n" {
		t.Errorf("after publish: %q %q", p.Title, p.BodyHTML)
	}
	hist := must[[]kb.Version](t)(e.kb.History(e.ctx, a.ID, "en"))
	if len(hist) != 2 || hist[0].Number != 2 || hist[1].Title != "My deposit has not arrived" {
		t.Errorf("history = %+v, want both versions, newest first", hist)
	}
	if _, err := e.kb.Publish(e.ctx, a.ID, "en"); !apperr.Is(err, apperr.Conflict) {
		t.Errorf("publishing without a draft: err %v, want conflict", err)
	}

	// Internal articles: agents only.
	if _, err := e.kb.Read(e.ctx, "agent-refund-playbook", "en", kb.Public); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("internal article read by the public: err %v, want not found", err)
	}
	if _, err := e.kb.Read(e.ctx, "agent-refund-playbook", "en", kb.Agents); err != nil {
		t.Errorf("internal article read by an agent: %v", err)
	}
	pub := must[[]kb.Page](t)(e.kb.Published(e.ctx, "en", kb.Public))
	for _, p := range pub {
		if p.Internal || p.Slug == "coming-soon" {
			t.Errorf("public listing includes %s", p.Slug)
		}
	}
}

func TestMarkdownSanitised(t *testing.T) {
	e := newEnv(t)
	e.article(t, "xss", false, map[string]kb.VersionInput{"en": {Title: "T", Body: "Hi <script>alert(1)</script> [x](javascript:alert(1)) **bold**"}})
	p := must[kb.Page](t)(e.kb.Read(e.ctx, "xss", "en", kb.Public))
	if strings.Contains(p.BodyHTML, "<script") || strings.Contains(p.BodyHTML, "javascript:") || !strings.Contains(p.BodyHTML, "<strong>bold</strong>") {
		t.Errorf("body HTML not sanitised: %s", p.BodyHTML)
	}
}

func TestImportExportRoundTrip(t *testing.T) {
	e := newEnv(t)
	e.demo(t)
	cat := must[kb.Category](t)(e.kb.CreateCategory(e.ctx, kb.CategoryInput{Slug: "withdrawals", Names: map[string]string{"en": "Withdrawals", "zh": "提现"}}))
	a := must[kb.Article](t)(e.kb.ArticleBySlug(e.ctx, "withdrawal-pending"))
	must[kb.Article](t)(e.kb.UpdateArticle(e.ctx, a.ID, kb.ArticleInput{Slug: a.Slug, CategoryID: cat.ID, Position: 3}))
	draftOnly := must[kb.Article](t)(e.kb.CreateArticle(e.ctx, kb.ArticleInput{Slug: "fees-draft"}))
	must[kb.Version](t)(e.kb.SaveDraft(e.ctx, 0, draftOnly.ID, "en", kb.VersionInput{Title: "Fees: what \"maker\" means", Body: "Line one\n\nLine two"}))

	dir := t.TempDir()
	n := must[int](t)(e.kb.Export(e.ctx, dir))
	if n != 7 {
		t.Fatalf("exported %d files, want 7", n)
	}
	first := readDir(t, dir)
	if !strings.Contains(first["withdrawal-pending.zh.md"], `category_name: "提现"`) {
		t.Errorf("zh file lacks its category name:\n%s", first["withdrawal-pending.zh.md"])
	}

	other := newEnv(t)
	res := must[kb.ImportResult](t)(other.kb.Import(other.ctx, 0, dir))
	if res.Files != 7 || res.Versions != 7 || res.Published != 6 {
		t.Errorf("import = %+v, want 7 files, 7 versions, 6 published", res)
	}
	again := must[kb.ImportResult](t)(other.kb.Import(other.ctx, 0, dir))
	if again.Versions != 0 || again.Published != 0 {
		t.Errorf("second import of the same files = %+v, want no changes", again)
	}
	dir2 := t.TempDir()
	must[int](t)(other.kb.Export(other.ctx, dir2))
	if diff := cmp.Diff(first, readDir(t, dir2)); diff != "" {
		t.Errorf("export → import → export changed files (-first +second):\n%s", diff)
	}
	if _, err := other.kb.Read(other.ctx, "fees-draft", "en", kb.Public); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("imported draft is public: %v", err)
	}
	if _, err := other.kb.Read(other.ctx, "agent-refund-playbook", "en", kb.Public); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("imported internal article is public: %v", err)
	}
	if hits := other.kb.Search("提现没到账", kb.SearchOptions{Language: "zh"}); len(hits) == 0 || hits[0].Slug != "withdrawal-pending" {
		t.Errorf("imported articles not searchable: %v", slugs(hits))
	}

	// A bad file names itself and the line, and nothing is written.
	bad := t.TempDir()
	_ = os.WriteFile(filepath.Join(bad, "a.en.md"), []byte("---\nslug: \"a\"\nlanguage: \"en\"\ntitle: \"A\"\n---\nBody\n"), 0o644)
	_ = os.WriteFile(filepath.Join(bad, "b.en.md"), []byte("---\nslug: \"b\"\ncolour: \"red\"\n---\nBody\n"), 0o644)
	third := newEnv(t)
	_, err := third.kb.Import(third.ctx, 0, bad)
	if err == nil || !strings.Contains(err.Error(), "b.en.md:3") || !strings.Contains(err.Error(), "colour") {
		t.Errorf("bad file error = %v, want it to name b.en.md:3 and the key", err)
	}
	if list := must[[]kb.Article](t)(third.kb.Articles(third.ctx)); len(list) != 0 {
		t.Errorf("a failed import wrote %d articles", len(list))
	}
}

func readDir(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, en := range entries {
		b, err := os.ReadFile(filepath.Join(dir, en.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[en.Name()] = string(b)
	}
	return out
}

func TestAnnouncementsActiveWindow(t *testing.T) {
	e := newEnv(t)
	in := kb.AnnouncementInput{Topic: "withdrawal", Titles: map[string]string{"en": "BTC withdrawals paused", "zh": "BTC 提现暂停"},
		Bodies: map[string]string{"en": "Wallet maintenance until 12:00 UTC."}, StartsAt: t0.Add(time.Hour), EndsAt: t0.Add(3 * time.Hour)}
	a := must[kb.Announcement](t)(e.kb.CreateAnnouncement(e.ctx, 0, in))
	if act := must[[]kb.Announcement](t)(e.kb.Active(e.ctx)); len(act) != 0 {
		t.Errorf("before start: %d active", len(act))
	}
	e.clock.Advance(90 * time.Minute)
	act := must[[]kb.Announcement](t)(e.kb.Active(e.ctx))
	if len(act) != 1 || act[0].ID != a.ID || act[0].Title("zh") != "BTC 提现暂停" || act[0].Body("zh") != "Wallet maintenance until 12:00 UTC." {
		t.Errorf("during: %+v", act)
	}
	e.clock.Advance(2 * time.Hour)
	if act := must[[]kb.Announcement](t)(e.kb.Active(e.ctx)); len(act) != 0 {
		t.Errorf("after end: %d active", len(act))
	}
	in.EndsAt = in.StartsAt
	if _, err := e.kb.CreateAnnouncement(e.ctx, 0, in); !apperr.Is(err, apperr.Invalid) {
		t.Errorf("end before start: err %v, want invalid", err)
	}
}

// An announcement keeps the zone it was planned in, also when it is
// ended early; a zone that does not exist is refused.
func TestAnnouncementZoneKept(t *testing.T) {
	e := newEnv(t)
	in := kb.AnnouncementInput{Titles: map[string]string{"en": "Upgrade"}, Bodies: map[string]string{"en": "Short pause."},
		StartsAt: t0.Add(-time.Hour), EndsAt: t0.Add(time.Hour), TimeZone: "Asia/Shanghai"}
	a := must[kb.Announcement](t)(e.kb.CreateAnnouncement(e.ctx, 0, in))
	if got := must[kb.Announcement](t)(e.kb.Announcement(e.ctx, a.ID)); got.TimeZone != "Asia/Shanghai" {
		t.Errorf("stored zone %q", got.TimeZone)
	}
	if got := must[kb.Announcement](t)(e.kb.EndAnnouncement(e.ctx, a.ID)); got.TimeZone != "Asia/Shanghai" {
		t.Errorf("zone after End now: %q", got.TimeZone)
	}
	in.TimeZone = ""
	if got := must[kb.Announcement](t)(e.kb.CreateAnnouncement(e.ctx, 0, in)); got.TimeZone != "UTC" {
		t.Errorf("no zone stored as %q, want UTC", got.TimeZone)
	}
	in.TimeZone = "Mars/Olympus"
	if _, err := e.kb.CreateAnnouncement(e.ctx, 0, in); !apperr.Is(err, apperr.Invalid) {
		t.Errorf("unknown zone: err %v, want invalid", err)
	}
}
