package web_test

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"vigil/internal/agent"
	"vigil/internal/audit"
	"vigil/internal/customer"
	"vigil/internal/event"
	"vigil/internal/kb"
	"vigil/internal/ticket"
)

var sysCtx = audit.WithActor(context.Background(), audit.Actor{Kind: "system"})

// supervisor signs in a supervisor (kb:manage and report:read) of no team.
func (e *env) supervisor() *browser {
	e.t.Helper()
	email, name, role := "sup@test.example", "Sam Supervisor", agent.RoleSupervisor
	sup, err := e.app.Agents.Create(sysCtx, agent.Input{Email: &email, Name: &name, Role: &role})
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.app.Auth.SetPassword(sysCtx, sup.ID, password); err != nil {
		e.t.Fatal(err)
	}
	b := e.signedIn(sup)
	b.get("/console/kb") // the page carries the form token
	return b
}

func (b *browser) form(path string, v url.Values) (int, string, http.Header) {
	b.e.t.Helper()
	v.Set("csrf", b.csrf)
	return b.post(path, v, b.e.srv.URL)
}

// upload posts files as the import form does.
func (b *browser) upload(path string, files map[string][]byte) (int, string) {
	b.e.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	_ = mw.WriteField("csrf", b.csrf)
	for name, data := range files {
		w, _ := mw.CreateFormFile("files", name)
		_, _ = w.Write(data)
	}
	_ = mw.Close()
	req, _ := http.NewRequest("POST", b.e.srv.URL+path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Origin", b.e.srv.URL)
	resp, err := b.http.Do(req)
	if err != nil {
		b.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(out)
}

var articleLoc = regexp.MustCompile(`^/console/kb/articles/(\d+)\?`)

// A supervisor writes an article in English, previews it, publishes it,
// adds the missing Chinese text, looks at an earlier version and restores
// it; bad input keeps what was typed; the public help center follows.
func TestArticleEditor(t *testing.T) {
	e := newEnv(t)
	b := e.supervisor()
	if status, page, _ := b.get("/console/kb"); status != http.StatusOK || !strings.Contains(page, `href="/console/kb/articles/new"`) {
		t.Fatalf("help-center page: %d", status)
	}
	if status, page, _ := b.get("/console/kb/articles/new"); status != http.StatusOK || !strings.Contains(page, `name="body"`) {
		t.Fatalf("new article form: %d", status)
	}
	article := url.Values{"slug": {"usdt-network"}, "category_id": {"0"}, "language": {"en"}, "title": {"Which USDT network should I use?"},
		"summary": {"Use the network the receiving wallet supports."}, "body": {""}, "questions": {"which network for usdt\r\ntrc20 or erc20"}}

	// No body: refused, and the form still holds what was typed.
	status, page, _ := b.form("/console/kb/articles", article)
	if status != http.StatusUnprocessableEntity || !strings.Contains(page, "must be 1 byte to 100 KiB") {
		t.Fatalf("article without a body: %d", status)
	}
	for _, typed := range []string{`value="usdt-network"`, `value="Which USDT network should I use?"`, "which network for usdt\ntrc20 or erc20</textarea>"} {
		if !strings.Contains(page, typed) {
			t.Errorf("the refused form lost %s", typed)
		}
	}
	if list, _ := e.app.KB.Articles(sysCtx); len(list) != 0 {
		t.Fatalf("a refused article was saved")
	}

	// Preview renders the Markdown, sanitised, and saves nothing.
	article.Set("body", "Pick **TRC20** for low fees.\n\n<script>alert(1)</script>[x](javascript:alert(2))")
	article.Set("action", "preview")
	status, page, _ = b.form("/console/kb/articles", article)
	_, preview, _ := strings.Cut(page, `id="preview"`)
	preview, _, _ = strings.Cut(preview, "</article>")
	if status != http.StatusOK || !strings.Contains(preview, "<strong>TRC20</strong>") || strings.Contains(preview, "<script") || strings.Contains(preview, "javascript:") {
		t.Errorf("preview: %d, rendered or sanitised wrongly:\n%s", status, preview)
	}
	if !strings.Contains(page, "[x](javascript:alert(2))</textarea>") {
		t.Error("the preview lost the body typed")
	}
	if list, _ := e.app.KB.Articles(sysCtx); len(list) != 0 {
		t.Fatalf("preview saved the article")
	}

	article.Set("action", "save")
	status, _, h := b.form("/console/kb/articles", article)
	m := articleLoc.FindStringSubmatch(h.Get("Location"))
	if status != http.StatusSeeOther || m == nil {
		t.Fatalf("create: %d to %q", status, h.Get("Location"))
	}
	id, _ := strconv.ParseInt(m[1], 10, 64)
	path := "/console/kb/articles/" + m[1]
	if _, page, _ := b.get("/help/en/articles/usdt-network"); strings.Contains(page, "Which USDT network") {
		t.Error("a draft shows on the public help center")
	}

	// The Chinese translation is missing, and the page says so.
	status, page, _ = b.get(path + "?lang=zh")
	if status != http.StatusOK || !strings.Contains(page, "There is no Chinese version yet") {
		t.Errorf("Chinese tab: %d, no note about the missing translation:\n%s", status, page)
	}
	if _, page, _ := b.get("/console/kb"); !strings.Contains(page, "draft only") || !strings.Contains(page, "missing") {
		t.Error("the article list does not show the English draft and the missing Chinese text")
	}

	publish := func(lang string, v url.Values) {
		t.Helper()
		v.Set("action", "publish")
		if status, _, h := b.form(path+"/text/"+lang, v); status != http.StatusSeeOther || !strings.Contains(h.Get("Location"), "notice=published") {
			t.Fatalf("publish %s: %d to %q", lang, status, h.Get("Location"))
		}
	}
	publish("en", url.Values{"title": {"Which USDT network should I use?"}, "body": {"Pick **TRC20** for low fees."}})
	publish("zh", url.Values{"title": {"USDT 应该选哪个网络？"}, "body": {"手续费低选 **TRC20**。"}, "questions": {"usdt选什么网络"}})
	if _, page, _ := b.get("/help/zh/articles/usdt-network"); !strings.Contains(page, "USDT 应该选哪个网络？") {
		t.Error("the published Chinese text is not on the help center")
	}
	if _, page, _ := b.get("/help/en/articles/usdt-network"); !strings.Contains(page, "<strong>TRC20</strong>") {
		t.Error("the published English text is not on the help center")
	}

	// Bad text on the edit page keeps what was typed; nothing is saved.
	status, page, _ = b.form(path+"/text/en", url.Values{"title": {"Line one\nline two"}, "body": {"Kept body"}, "action": {"save"}})
	if status != http.StatusUnprocessableEntity || !strings.Contains(page, "Kept body</textarea>") {
		t.Errorf("bad title: %d, the body typed was lost", status)
	}

	// A new draft, then back to the published version 2 through the
	// history (version 1 is the first draft).
	if status, _, _ := b.form(path+"/text/en", url.Values{"title": {"USDT networks"}, "body": {"Rewritten."}, "action": {"save"}}); status != http.StatusSeeOther {
		t.Fatalf("save draft: %d", status)
	}
	hist, err := e.app.KB.History(sysCtx, id, "en")
	if err != nil || len(hist) != 3 {
		t.Fatalf("history = %d versions, %v", len(hist), err)
	}
	_, page, _ = b.get(path + "?lang=en")
	if !strings.Contains(page, "Version 3") || !strings.Contains(page, "current draft") || !strings.Contains(page, "Sam Supervisor") {
		t.Error("the history does not list the draft with its author")
	}
	v2 := path + "/versions/" + strconv.FormatInt(hist[1].ID, 10)
	if status, page, _ := b.get(v2); status != http.StatusOK || !strings.Contains(page, "<strong>TRC20</strong>") || !strings.Contains(page, "Version 2") {
		t.Errorf("version 2: %d", status)
	}
	if status, _, h := b.form(v2+"/restore", url.Values{}); status != http.StatusSeeOther || !strings.Contains(h.Get("Location"), "notice=restored") {
		t.Fatalf("restore: %d", status)
	}
	a, _ := e.app.KB.Article(sysCtx, id)
	for _, tr := range a.Translations {
		if tr.Language == "en" && (tr.Draft == nil || tr.Draft.Body != "Pick **TRC20** for low fees." || tr.Draft.Number != 4) {
			t.Errorf("after the restore the English draft is %+v", tr.Draft)
		}
	}

	// Settings: a taken slug is refused with the form as typed.
	if _, err := e.app.KB.CreateArticle(sysCtx, kb.ArticleInput{Slug: "taken"}); err != nil {
		t.Fatal(err)
	}
	status, page, _ = b.form(path, url.Values{"slug": {"taken"}, "category_id": {"0"}, "position": {"4"}, "internal": {"1"}, "lang": {"en"}})
	if status != http.StatusConflict || !strings.Contains(page, "That slug is already used.") || !strings.Contains(page, `value="taken"`) {
		t.Errorf("taken slug: %d", status)
	}
	if status, _, _ := b.form(path+"/text/en/unpublish", url.Values{}); status != http.StatusSeeOther {
		t.Errorf("unpublish: %d", status)
	}
	if status, page, _ := b.get("/help/en/articles/usdt-network"); status != http.StatusOK || !strings.Contains(page, "not yet available in your language") ||
		!strings.Contains(page, "USDT 应该选哪个网络？") {
		t.Errorf("after unpublishing English the help center answers %d without the Chinese fallback", status)
	}

	// A form without the session's CSRF token is refused.
	if status, _, _ := b.post(path+"/text/zh", url.Values{"title": {"x"}, "body": {"y"}, "action": {"publish"}}, e.srv.URL); status != http.StatusForbidden {
		t.Errorf("post without csrf: %d, want 403", status)
	}
}

// An agent without kb:manage reads the article list but cannot edit.
func TestAgentCannotEditHelpCenter(t *testing.T) {
	e := helpEnv(t)
	a, err := e.app.KB.ArticleBySlug(sysCtx, "withdrawal-pending")
	if err != nil {
		t.Fatal(err)
	}
	path := "/console/kb/articles/" + strconv.FormatInt(a.ID, 10)
	b := e.signedIn(e.agA)
	status, page, _ := b.get("/console/kb")
	if status != http.StatusOK || !strings.Contains(page, "Why is my withdrawal pending?") || strings.Contains(page, `action="/console/kb/import"`) ||
		strings.Contains(page, `href="/console/kb/articles/new"`) {
		t.Errorf("agent's article list: %d, or it offers editing", status)
	}
	for _, get := range []string{"/console/kb/articles/new", path, "/console/kb/export.zip", "/console/announcements", "/console/bot"} {
		if status, _, _ := b.get(get); status != http.StatusForbidden {
			t.Errorf("agent GET %s: %d, want 403", get, status)
		}
	}
	for _, post := range []struct {
		path string
		form url.Values
	}{
		{"/console/kb/articles", url.Values{"slug": {"agent-article"}, "language": {"en"}, "title": {"T"}, "body": {"B"}}},
		{path + "/text/en", url.Values{"title": {"Hijacked"}, "body": {"Hijacked"}, "action": {"publish"}}},
		{path, url.Values{"slug": {"moved"}}},
		{"/console/kb/categories", url.Values{"slug": {"agents"}, "name_en": {"Agents"}}},
		{"/console/announcements", url.Values{"title_en": {"x"}, "body_en": {"x"}}},
	} {
		if status, _, _ := b.form(post.path, post.form); status != http.StatusForbidden {
			t.Errorf("agent POST %s: %d, want 403", post.path, status)
		}
	}
	if page, err := e.app.KB.Read(sysCtx, "withdrawal-pending", "en", kb.Public); err != nil || page.Title != "Why is my withdrawal pending?" {
		t.Errorf("the agent's posts changed the article: %+v, %v", page, err)
	}
	if _, err := e.app.KB.ArticleBySlug(sysCtx, "agent-article"); err == nil {
		t.Error("the agent created an article")
	}
}

// Categories: a bad one keeps what was typed; a good one is listed and
// can be renamed.
func TestCategoriesInTheConsole(t *testing.T) {
	e := newEnv(t)
	b := e.supervisor()
	status, page, _ := b.form("/console/kb/categories", url.Values{"slug": {"Bad Slug!"}, "name_en": {"Deposits"}, "name_zh": {"充值"}})
	if status != http.StatusUnprocessableEntity || !strings.Contains(page, "use 1-80 lowercase letters") || !strings.Contains(page, `value="充值"`) {
		t.Errorf("bad category: %d", status)
	}
	if status, _, _ := b.form("/console/kb/categories", url.Values{"slug": {"deposits"}, "name_en": {"Deposits"}, "position": {"2"}}); status != http.StatusSeeOther {
		t.Fatalf("create category: %d", status)
	}
	cat, err := e.app.KB.CategoryBySlug(sysCtx, "deposits")
	if err != nil || cat.Position != 2 {
		t.Fatalf("category = %+v, %v", cat, err)
	}
	path := "/console/kb/categories/" + strconv.FormatInt(cat.ID, 10)
	if status, _, _ := b.form(path, url.Values{"slug": {"deposits"}, "name_en": {"Deposits"}, "name_zh": {"充值"}, "position": {"2"}}); status != http.StatusSeeOther {
		t.Fatalf("rename category: %d", status)
	}
	if cat, _ := e.app.KB.CategoryBySlug(sysCtx, "deposits"); cat.Names["zh"] != "充值" {
		t.Errorf("Chinese name = %q", cat.Names["zh"])
	}
	status, page, _ = b.form(path, url.Values{"slug": {"deposits"}, "name_en": {""}, "name_zh": {"存款"}})
	if status != http.StatusUnprocessableEntity || !strings.Contains(page, `value="存款"`) {
		t.Errorf("rename without an English name: %d, typed name lost", status)
	}
}

// Announcements: create with a bad window (kept as typed), create, end
// now; the widget's list follows.
func TestAnnouncementsConsole(t *testing.T) {
	e := newEnv(t)
	b := e.supervisor()
	if status, _, _ := b.get("/console/announcements"); status != http.StatusOK {
		t.Fatalf("announcements page: %d", status)
	}
	now := e.clock.now.UTC()
	form := url.Values{"topic": {"deposit"}, "title_en": {"ETH deposits paused"}, "body_en": {"Upgrade in progress."},
		"title_zh": {"ETH 充值暂停"}, "body_zh": {"网络升级中。"},
		"starts_at": {now.Add(-time.Hour).Format("2006-01-02T15:04")}, "ends_at": {now.Add(-2 * time.Hour).Format("2006-01-02T15:04")}}
	status, page, _ := b.form("/console/announcements", form)
	if status != http.StatusUnprocessableEntity || !strings.Contains(page, "the end must follow the start") || !strings.Contains(page, `value="ETH 充值暂停"`) {
		t.Errorf("end before start: %d", status)
	}
	form.Set("ends_at", "tomorrow")
	if status, page, _ := b.form("/console/announcements", form); status != http.StatusUnprocessableEntity || !strings.Contains(page, "give the end as a date and time") {
		t.Errorf("unreadable end: %d", status)
	}
	form.Set("ends_at", now.Add(3*time.Hour).Format("2006-01-02T15:04"))
	if status, _, _ := b.form("/console/announcements", form); status != http.StatusSeeOther {
		t.Fatalf("create: %d", status)
	}
	active, err := e.app.KB.Active(sysCtx)
	if err != nil || len(active) != 1 || active[0].Title("zh") != "ETH 充值暂停" || active[0].Topic != "deposit" {
		t.Fatalf("active = %+v, %v", active, err)
	}
	id := strconv.FormatInt(active[0].ID, 10)
	if _, page, _ := b.get("/console/announcements"); !strings.Contains(page, "showing") || !strings.Contains(page, "/console/announcements/"+id+"/end") {
		t.Error("the list does not show the announcement as showing with End now")
	}
	if _, page, _ := b.get("/console/announcements/" + id); !strings.Contains(page, `value="ETH deposits paused"`) {
		t.Error("the edit form is not filled in")
	}
	if status, _, _ := b.form("/console/announcements/"+id+"/end", url.Values{}); status != http.StatusSeeOther {
		t.Fatalf("end now: %d", status)
	}
	if active, _ := e.app.KB.Active(sysCtx); len(active) != 0 {
		t.Errorf("%d announcements still show after End now", len(active))
	}
	if status, page, _ := b.form("/console/announcements/"+id+"/end", url.Values{}); status != http.StatusConflict || !strings.Contains(page, "already ended") {
		t.Errorf("ending twice: %d", status)
	}
}

// The bot log shows what the bot answered with its confidence, article
// and outcome, filters by outcome, language and dates, and gives the
// deflection rate of the range.
func TestBotLogConsole(t *testing.T) {
	e := helpEnv(t)
	ask := func(lang, text string) ticket.Conversation {
		t.Helper()
		name := "Visitor"
		cu, err := e.app.Customers.Create(sysCtx, customer.Input{Name: &name})
		if err != nil {
			t.Fatal(err)
		}
		c, m, err := e.app.Tickets.Open(sysCtx, ticket.OpenInput{CustomerID: cu.ID, Channel: "webchat", Language: lang,
			Message: ticket.MessageInput{AuthorKind: ticket.ByCustomer, AuthorID: cu.ID, Body: text}})
		if err != nil {
			t.Fatal(err)
		}
		if err := e.app.Bot.Handle(sysCtx, event.MessageCreated{Scope: event.Scope{ConversationID: c.ID, CustomerID: cu.ID},
			MessageID: m.ID, Seq: m.Seq, AuthorKind: string(m.AuthorKind), Body: m.Body}); err != nil {
			t.Fatal(err)
		}
		return c
	}
	answered := ask("zh", "提现一直没到账")
	human := ask("en", "I want to talk to a human agent")
	b := e.supervisor()
	status, page, _ := b.get("/console/bot")
	if status != http.StatusOK {
		t.Fatalf("bot log: %d", status)
	}
	for _, want := range []string{"提现一直没到账", "Why is my withdrawal pending?", "answered with an article", "waiting for the customer",
		"I want to talk to a human agent", "handed over", "/console/conversations/" + id(answered), "/console/conversations/" + id(human),
		`<span id="deflection-rate">0.0%</span>`, "0 of 2 conversations"} {
		if !strings.Contains(page, want) {
			t.Errorf("bot log lacks %q", want)
		}
	}
	if !regexp.MustCompile(`<td>\d{1,3}%</td>`).MatchString(page) {
		t.Error("bot log shows no confidence")
	}
	_, page, _ = b.get("/console/bot?outcome=handed_over")
	if !strings.Contains(page, "I want to talk to a human agent") || strings.Contains(page, "提现一直没到账") {
		t.Error("the outcome filter does not keep only hand-offs")
	}
	_, page, _ = b.get("/console/bot?lang=zh")
	if strings.Contains(page, "I want to talk to a human agent") || !strings.Contains(page, "0 of 1 conversations") {
		t.Error("the language filter does not apply to the log and the rate")
	}
	yesterday := e.clock.now.UTC().AddDate(0, 0, -1).Format("2006-01-02")
	_, page, _ = b.get("/console/bot?from=" + yesterday + "&to=" + yesterday)
	if strings.Contains(page, "提现一直没到账") || !strings.Contains(page, "The bot did nothing in this range.") {
		t.Error("the date range does not apply")
	}
	status, page, _ = b.get("/console/bot?from=yesterday&outcome=handed_over")
	if status != http.StatusUnprocessableEntity || !strings.Contains(page, "YYYY-MM-DD") || !strings.Contains(page, `value="yesterday"`) ||
		!strings.Contains(page, `value="handed_over" selected`) {
		t.Errorf("bad date: %d, or the filters were lost", status)
	}
}

// Export downloads the help center as a zip of front-matter Markdown;
// an upload with a bad file reports each file and writes nothing; a good
// one reports what it did.
func TestImportExportInTheConsole(t *testing.T) {
	e := helpEnv(t)
	b := e.supervisor()
	resp, err := b.http.Get(e.srv.URL + "/console/kb/export.zip")
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/zip" ||
		!strings.Contains(resp.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("export: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, f := range zr.File {
		names[f.Name] = true
	}
	for _, want := range []string{"withdrawal-pending.en.md", "withdrawal-pending.zh.md", "refund-playbook.en.md", "coming-soon.en.md"} {
		if !names[want] {
			t.Errorf("the export lacks %s (has %v)", want, names)
		}
	}

	token := b.csrf
	b.csrf = "forged"
	if status, _ := b.upload("/console/kb/import", map[string][]byte{"help.zip": data}); status != http.StatusForbidden {
		t.Errorf("upload with a forged csrf token: %d, want 403", status)
	}
	b.csrf = token

	good := []byte("---\nslug: \"staking\"\nlanguage: \"en\"\ncategory: \"earn\"\ncategory_name: \"Earn\"\ntitle: \"How staking works\"\n---\nRewards are paid daily.\n")
	status, page := b.upload("/console/kb/import", map[string][]byte{
		"staking.en.md": good,
		"broken.en.md":  []byte("---\nslug: \"broken\"\nlanguage: \"en\"\ncolour: \"red\"\n---\nBody\n"),
	})
	if status != http.StatusUnprocessableEntity || !strings.Contains(page, "Nothing was imported: 1 of 2 files have errors.") ||
		!strings.Contains(page, "broken.en.md:4: unknown key") || !strings.Contains(page, "not written") {
		t.Errorf("upload with a bad file: %d", status)
	}
	if _, err := e.app.KB.ArticleBySlug(sysCtx, "staking"); err == nil {
		t.Error("a refused upload wrote the good file")
	}

	status, page = b.upload("/console/kb/import", map[string][]byte{"help.zip": data, "staking.en.md": good})
	if status != http.StatusOK || !strings.Contains(page, "Imported 6 files: 1 new versions, 1 published.") {
		t.Errorf("good upload: %d", status)
	}
	if !regexp.MustCompile(`staking\.en\.md</code></td><td>new article`).MatchString(page) ||
		!regexp.MustCompile(`withdrawal-pending\.zh\.md</code></td><td>unchanged`).MatchString(page) {
		t.Error("the report does not say what happened to each file")
	}
	if p, err := e.app.KB.Read(sysCtx, "staking", "en", kb.Public); err != nil || p.Title != "How staking works" {
		t.Errorf("imported article: %+v, %v", p, err)
	}
	if status, page := b.upload("/console/kb/import", map[string][]byte{"notes.txt": []byte("hello")}); status != http.StatusUnprocessableEntity ||
		!strings.Contains(page, "neither a .md file nor a .zip archive") {
		t.Errorf("a .txt upload: %d", status)
	}
}

// In Chinese the editor's pages, states and input errors are Chinese.
func TestHelpCenterEditorInChinese(t *testing.T) {
	e := helpEnv(t)
	b := e.supervisor()
	if status, _, _ := b.form("/console/lang", url.Values{"lang": {"zh"}, "next": {"/console/kb"}}); status != http.StatusSeeOther {
		t.Fatalf("switch to Chinese: %d", status)
	}
	_, page, _ := b.get("/console/kb")
	for _, want := range []string{"帮助中心文章", "已发布", "仅草稿", "缺少译文", "为什么我的提现还在处理中？"} {
		if !strings.Contains(page, want) {
			t.Errorf("Chinese article list lacks %q", want)
		}
	}
	a, err := e.app.KB.ArticleBySlug(sysCtx, "deposit-missing")
	if err != nil {
		t.Fatal(err)
	}
	path := "/console/kb/articles/" + strconv.FormatInt(a.ID, 10)
	if _, page, _ := b.get(path + "?lang=zh"); !strings.Contains(page, "还没有中文版本") {
		t.Error("the Chinese editor does not say the Chinese text is missing")
	}
	status, page, _ := b.form(path+"/text/zh", url.Values{"title": {""}, "body": {"充值需要网络确认。"}, "action": {"save"}})
	if status != http.StatusUnprocessableEntity || !strings.Contains(page, "标题须为一行，1-200 个字符。") || !strings.Contains(page, "充值需要网络确认。</textarea>") {
		t.Errorf("Chinese input error: %d", status)
	}
	if _, page, _ := b.get("/console/bot"); !strings.Contains(page, "机器人记录") || !strings.Contains(page, "自助解决率") {
		t.Error("the bot log is not in Chinese")
	}
}
