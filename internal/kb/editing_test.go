package kb_test

import (
	"archive/zip"
	"bytes"
	"strings"
	"testing"
	"time"

	"vigil/internal/apperr"
	"vigil/internal/kb"
)

func TestEditorsVerbs(t *testing.T) {
	e := newEnv(t)
	e.demo(t)
	// A new article whose text does not validate leaves nothing behind.
	_, err := e.kb.CreateArticleWithDraft(e.ctx, 0, kb.ArticleInput{Slug: "kyc-levels"}, "en", kb.VersionInput{Title: "KYC levels"})
	if !apperr.Is(err, apperr.Invalid) {
		t.Fatalf("article without a body: %v, want invalid", err)
	}
	if _, err := e.kb.ArticleBySlug(e.ctx, "kyc-levels"); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("a refused article was created: %v", err)
	}
	a := must[kb.Article](t)(e.kb.CreateArticleWithDraft(e.ctx, 0, kb.ArticleInput{Slug: "kyc-levels"}, "zh",
		kb.VersionInput{Title: "身份认证等级", Body: "认证等级决定提现额度。"}))
	if len(a.Translations) != 1 || a.Translations[0].Draft == nil || a.Translations[0].Published != nil {
		t.Fatalf("new article = %+v, want a Chinese draft only", a.Translations)
	}

	find := func(f kb.ArticleFilter) []string {
		t.Helper()
		var out []string
		for _, a := range must[[]kb.Article](t)(e.kb.FindArticles(e.ctx, f)) {
			out = append(out, a.Slug)
		}
		return out
	}
	for _, tt := range []struct {
		f    kb.ArticleFilter
		want string
	}{
		{kb.ArticleFilter{Query: "WITHDRAWAL"}, "withdrawal-pending agent-refund-playbook"},
		{kb.ArticleFilter{Query: "身份认证"}, "kyc-levels"},
		{kb.ArticleFilter{Status: "draft"}, "kyc-levels"},
		{kb.ArticleFilter{Status: "published", Query: "2fa"}, "reset-2fa"},
		{kb.ArticleFilter{CategoryID: -1, Query: "deposit"}, "deposit-missing"},
	} {
		if got := strings.Join(find(tt.f), " "); got != tt.want {
			t.Errorf("FindArticles(%+v) = %q, want %q", tt.f, got, tt.want)
		}
	}
	if _, err := e.kb.FindArticles(e.ctx, kb.ArticleFilter{Status: "gone"}); !apperr.Is(err, apperr.Invalid) {
		t.Errorf("unknown status: %v", err)
	}

	// Save and publish in one step; the same text again publishes nothing.
	text := kb.VersionInput{Title: "身份认证等级", Body: "认证等级决定每日提现额度。"}
	v1 := must[kb.Version](t)(e.kb.SaveAndPublish(e.ctx, 0, a.ID, "zh", text))
	if v1.PublishedAt == nil || v1.Number != 2 {
		t.Fatalf("published = %+v, want version 2 published", v1)
	}
	e.clock.Advance(time.Minute)
	again := must[kb.Version](t)(e.kb.SaveAndPublish(e.ctx, 0, a.ID, "zh", text))
	if again.ID != v1.ID {
		t.Errorf("publishing the same text wrote version %d", again.Number)
	}
	page := must[kb.Page](t)(e.kb.Read(e.ctx, "kyc-levels", "zh", kb.Public))
	if !strings.Contains(page.Body, "每日提现额度") {
		t.Errorf("readers see %q", page.Body)
	}

	// Restoring version 1 makes its text the draft; readers still see 2.
	hist := must[[]kb.Version](t)(e.kb.History(e.ctx, a.ID, "zh"))
	first := hist[len(hist)-1]
	restored := must[kb.Version](t)(e.kb.Restore(e.ctx, 0, a.ID, first.ID))
	if restored.Number != 3 || restored.Body != first.Body || restored.PublishedAt != nil {
		t.Errorf("restored = %+v, want version 3 with version 1's text, unpublished", restored)
	}
	if page := must[kb.Page](t)(e.kb.Read(e.ctx, "kyc-levels", "zh", kb.Public)); !strings.Contains(page.Body, "每日提现额度") {
		t.Errorf("a restore changed what readers see: %q", page.Body)
	}
	other := must[kb.Article](t)(e.kb.ArticleBySlug(e.ctx, "reset-2fa"))
	if _, err := e.kb.Version(e.ctx, other.ID, first.ID); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("another article's version: %v, want not found", err)
	}
}

func TestEndAnnouncement(t *testing.T) {
	e := newEnv(t)
	now := e.clock.Now()
	in := func(start time.Duration) kb.AnnouncementInput {
		return kb.AnnouncementInput{Titles: map[string]string{"en": "Maintenance"}, Bodies: map[string]string{"en": "Deposits pause."},
			StartsAt: now.Add(start), EndsAt: now.Add(start + 2*time.Hour)}
	}
	showing := must[kb.Announcement](t)(e.kb.CreateAnnouncement(e.ctx, 0, in(-time.Hour)))
	later := must[kb.Announcement](t)(e.kb.CreateAnnouncement(e.ctx, 0, in(time.Hour)))
	for _, a := range []kb.Announcement{showing, later} {
		ended := must[kb.Announcement](t)(e.kb.EndAnnouncement(e.ctx, a.ID))
		if ended.ActiveAt(now) || ended.ActiveAt(now.Add(90*time.Minute)) || ended.EndsAt.After(now) {
			t.Errorf("ended announcement %d still shows: %v-%v", a.ID, ended.StartsAt, ended.EndsAt)
		}
	}
	if active := must[[]kb.Announcement](t)(e.kb.Active(e.ctx)); len(active) != 0 {
		t.Errorf("%d announcements still active", len(active))
	}
	if _, err := e.kb.EndAnnouncement(e.ctx, showing.ID); !apperr.Is(err, apperr.Conflict) {
		t.Errorf("ending twice: %v, want conflict", err)
	}
}

// An upload is checked whole: every bad file is named with its reason
// and nothing is written; a good upload says what happened to each file.
func TestImportFilesReport(t *testing.T) {
	e := newEnv(t)
	e.demo(t)
	var zipped bytes.Buffer
	if err := e.kb.WriteZip(e.ctx, &zipped); err != nil {
		t.Fatal(err)
	}
	files := must[[]kb.Upload](t)(kb.Unpack([]kb.Upload{{Name: "help.zip", Data: zipped.Bytes()}}))
	if len(files) != 6 {
		t.Fatalf("the zip holds %d files, want 6", len(files))
	}

	other := newEnv(t)
	good := "---\nslug: \"fees\"\nlanguage: \"en\"\ntitle: \"Fees\"\n---\nMaker 0.1%.\n"
	bad := []kb.Upload{
		{Name: "fees.en.md", Data: []byte(good)},
		{Name: "broken.en.md", Data: []byte("---\nslug: \"broken\"\ncolour: \"red\"\n---\nBody\n")},
		{Name: "no-title.zh.md", Data: []byte("---\nslug: \"no-title\"\nlanguage: \"zh\"\n---\n正文\n")},
		{Name: "klingon.md", Data: []byte("---\nslug: \"k\"\nlanguage: \"tlh\"\ntitle: \"K\"\n---\nqapla\n")},
	}
	rep := must[kb.ImportReport](t)(other.kb.ImportFiles(other.ctx, 0, bad))
	if !rep.Failed() {
		t.Fatal("an upload with bad files did not fail")
	}
	errs := map[string]string{}
	for _, f := range rep.Files {
		if f.Err != nil {
			errs[f.Name] = f.Err.Error()
		}
	}
	for name, want := range map[string]string{"broken.en.md": "broken.en.md:3", "no-title.zh.md": "title", "klingon.md": "language"} {
		if !strings.Contains(errs[name], want) {
			t.Errorf("%s: error %q, want it to mention %q", name, errs[name], want)
		}
	}
	if _, ok := errs["fees.en.md"]; ok || len(errs) != 3 {
		t.Errorf("errors = %v, want the three bad files only", errs)
	}
	if list := must[[]kb.Article](t)(other.kb.Articles(other.ctx)); len(list) != 0 {
		t.Errorf("a refused upload wrote %d articles", len(list))
	}

	rep = must[kb.ImportReport](t)(other.kb.ImportFiles(other.ctx, 0, files))
	if rep.Failed() || rep.Versions != 6 || rep.Published != 6 {
		t.Fatalf("import = %+v, want 6 versions, all published", rep.ImportResult)
	}
	for _, f := range rep.Files {
		if f.Outcome != "created" && f.Outcome != "published" && f.Outcome != "updated" {
			t.Errorf("%s: outcome %q", f.Name, f.Outcome)
		}
	}
	rep = must[kb.ImportReport](t)(other.kb.ImportFiles(other.ctx, 0, files))
	for _, f := range rep.Files {
		if f.Outcome != "unchanged" {
			t.Errorf("second import: %s %q, want unchanged", f.Name, f.Outcome)
		}
	}

	// What an archive may hold is limited.
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("big.en.md")
	_, _ = w.Write(bytes.Repeat([]byte("a"), kb.MaxImportFile+1))
	_ = zw.Close()
	if _, err := kb.Unpack([]kb.Upload{{Name: "big.zip", Data: buf.Bytes()}}); !apperr.Is(err, apperr.Invalid) {
		t.Errorf("an oversized entry: %v, want invalid", err)
	}
	if _, err := kb.Unpack([]kb.Upload{{Name: "notes.txt", Data: []byte("x")}}); !apperr.Is(err, apperr.Invalid) {
		t.Errorf("a .txt upload: %v, want invalid", err)
	}
}
