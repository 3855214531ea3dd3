package web

import (
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"vigil/internal/api"
	"vigil/internal/apperr"
	"vigil/internal/auth"
	"vigil/internal/kb"
	"vigil/internal/markup"
)

// articleData is the article editor: the article's settings, one
// language's text with a preview, and that language's history.
type articleData struct {
	New        bool
	ID         int64
	Settings   articleForm
	Categories []option
	Langs      []langTab
	Lang       string
	LangName   string
	State      langState
	Text       textForm
	Preview    template.HTML
	PublicURL  string
	Missing    string // how readers of a missing language are served
	Languages  []option
	History    []versionRow
	Notice     string
}

type articleForm struct {
	Slug, Category, Position string
	Internal                 bool
}

type textForm struct {
	Title, Summary, Body, Questions string
}

type langTab struct {
	langState
	Current bool
}

type versionRow struct {
	ID              int64
	Number          int
	At, ISO, Author string
	Title           string
	Mark            string // published, draft or "" (an earlier text)
}

func (f textForm) input() kb.VersionInput {
	return kb.VersionInput{Title: f.Title, Summary: f.Summary, Body: f.Body, Questions: strings.Split(f.Questions, "\n")}
}

func textFormOf(r *http.Request) textForm {
	return textForm{Title: r.PostFormValue("title"), Summary: r.PostFormValue("summary"), Body: r.PostFormValue("body"),
		Questions: strings.ReplaceAll(r.PostFormValue("questions"), "\r\n", "\n")}
}

func versionText(v *kb.Version) textForm {
	return textForm{Title: v.Title, Summary: v.Summary, Body: v.Body, Questions: strings.Join(v.Questions, "\n")}
}

func articleFormOf(r *http.Request) articleForm {
	return articleForm{Slug: r.PostFormValue("slug"), Category: r.PostFormValue("category_id"), Position: r.PostFormValue("position"),
		Internal: r.PostFormValue("internal") != ""}
}

func (f articleForm) input() kb.ArticleInput {
	cat, _ := strconv.ParseInt(f.Category, 10, 64)
	pos, _ := strconv.Atoi(strings.TrimSpace(f.Position))
	return kb.ArticleInput{Slug: f.Slug, CategoryID: cat, Internal: f.Internal, Position: pos}
}

// editorPage starts an editor's page: refused without kb:manage.
func (c *Console) editorPage(w http.ResponseWriter, r *http.Request, p *page, name string) bool {
	return c.admit(w, r, p, name, p.Principal.Can(auth.PermKBManage), "kb.editors_only")
}

func (c *Console) categoryOptions(r *http.Request, p *page, selected string) ([]option, error) {
	cats, err := c.KB.Categories(r.Context())
	if err != nil {
		return nil, err
	}
	out := []option{{Value: "0", Label: p.T("help.uncategorised"), Selected: selected == "" || selected == "0"}}
	for _, cat := range cats {
		id := strconv.FormatInt(cat.ID, 10)
		out = append(out, option{Value: id, Label: cat.Name(p.Lang), Selected: id == selected})
	}
	return out, nil
}

// newArticlePage is the form for a new article: its settings and its
// first text in one language.
func (c *Console) newArticlePage(w http.ResponseWriter, r *http.Request, p *page) {
	c.renderNewArticle(w, r, p, http.StatusOK, &articleData{New: true, Lang: "en"})
}

func (c *Console) renderNewArticle(w http.ResponseWriter, r *http.Request, p *page, status int, d *articleData) {
	p.Title, p.View, p.Data = p.T("kb.new_article"), "kb", d
	if !c.editorPage(w, r, p, "kb_article") {
		return
	}
	var err error
	if d.Categories, err = c.categoryOptions(r, p, d.Settings.Category); err != nil {
		c.fail(w, r, err)
		return
	}
	for _, l := range kb.Languages {
		d.Languages = append(d.Languages, option{Value: l, Label: p.T("kb.lang." + l), Selected: l == d.Lang})
	}
	c.render(w, "kb_article", status, p)
}

// createArticle saves a new article with its first draft; "preview"
// only shows the text rendered.
func (c *Console) createArticle(w http.ResponseWriter, r *http.Request, p *page) {
	d := &articleData{New: true, Settings: articleFormOf(r), Text: textFormOf(r), Lang: r.PostFormValue("language")}
	if r.PostFormValue("action") == "preview" {
		d.Preview = template.HTML(markup.Render(d.Text.Body))
		c.renderNewArticle(w, r, p, http.StatusOK, d)
		return
	}
	a, err := c.KB.CreateArticleWithDraft(r.Context(), p.Agent.ID, d.Settings.input(), d.Lang, d.Text.input())
	if err != nil {
		c.retryPage(w, r, p, err, func(status int) { c.renderNewArticle(w, r, p, status, d) })
		return
	}
	http.Redirect(w, r, articleURL(a.ID, d.Lang, "created"), http.StatusSeeOther)
}

func articleURL(id int64, lang, notice string) string {
	v := url.Values{"lang": {lang}}
	if notice != "" {
		v.Set("notice", notice)
	}
	return "/console/kb/articles/" + strconv.FormatInt(id, 10) + "?" + v.Encode()
}

// retryPage shows a known error on a page drawn again by again(status),
// which keeps what the editor typed; anything else fails the request.
func (c *Console) retryPage(w http.ResponseWriter, r *http.Request, p *page, err error, again func(status int)) {
	status, msg, ok := api.Explain(err, p.Lang)
	if !ok {
		c.fail(w, r, err)
		return
	}
	p.Error = msg
	again(status)
}

// pathNumber reads a numeric path value; anything else is not found
// with code.
func pathNumber(r *http.Request, name, code string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil {
		return 0, apperr.NotFoundf(code, "%s %q not found", name, r.PathValue(name))
	}
	return id, nil
}

func pathArticle(r *http.Request) (int64, error) { return pathNumber(r, "id", "kb.article_not_found") }

// pathVersion reads the {id} article and {vid} version of a version route.
func pathVersion(r *http.Request) (int64, int64, error) {
	id, err := pathArticle(r)
	if err != nil {
		return 0, 0, err
	}
	vid, err := pathNumber(r, "vid", "kb.version_not_found")
	return id, vid, err
}

func articleLang(lang string) string {
	if slices.Contains(kb.Languages, lang) {
		return lang
	}
	return kb.Languages[0]
}

// articlePage is the editor for one article in one language (?lang=).
func (c *Console) articlePage(w http.ResponseWriter, r *http.Request, p *page) {
	d := &articleData{Lang: articleLang(r.URL.Query().Get("lang")), Notice: kbNotice(r, p)}
	c.renderArticle(w, r, p, http.StatusOK, d, nil)
}

// renderArticle fills the editor from the article; a text form or
// settings form the editor sent (typed) wins over the stored values.
func (c *Console) renderArticle(w http.ResponseWriter, r *http.Request, p *page, status int, d *articleData, typed *textForm) {
	p.Title, p.View, p.Data = p.T("kb.edit_article"), "kb", d
	if !c.editorPage(w, r, p, "kb_article") {
		return
	}
	id, err := pathArticle(r)
	var a kb.Article
	if err == nil {
		a, err = c.KB.Article(r.Context(), id)
	}
	if err != nil {
		c.fail(w, r, err)
		return
	}
	d.ID, d.LangName = a.ID, p.T("kb.lang."+d.Lang)
	p.Title = articleTitle(a, p.Lang) + " · " + p.T("kb.edit_article")
	if d.Settings == (articleForm{}) {
		d.Settings = articleForm{Slug: a.Slug, Category: strconv.FormatInt(a.CategoryID, 10), Position: strconv.Itoa(a.Position), Internal: a.Internal}
	}
	if d.Categories, err = c.categoryOptions(r, p, d.Settings.Category); err != nil {
		c.fail(w, r, err)
		return
	}
	for _, st := range langStates(p, a) {
		d.Langs = append(d.Langs, langTab{langState: st, Current: st.Lang == d.Lang})
		if st.Lang == d.Lang {
			d.State = st
		}
	}
	for _, t := range a.Translations {
		if t.Language != d.Lang {
			continue
		}
		switch {
		case t.Draft != nil:
			d.Text = versionText(t.Draft)
		case t.Published != nil:
			d.Text = versionText(t.Published)
		}
		if t.Published != nil && !a.Internal {
			d.PublicURL = "/help/" + d.Lang + "/articles/" + a.Slug
		}
	}
	if d.State.State == "missing" {
		d.Missing = p.T("kb.missing_note", d.LangName, p.T("kb.lang."+kb.Languages[0]))
		if d.Lang == kb.Languages[0] {
			d.Missing = p.T("kb.missing_fallback_note")
		}
	}
	if typed != nil {
		d.Text = *typed
	}
	if d.History, err = c.history(r, a.ID, d.Lang); err != nil {
		c.fail(w, r, err)
		return
	}
	c.render(w, "kb_article", status, p)
}

// history lists a language's versions with their authors' names.
func (c *Console) history(r *http.Request, articleID int64, lang string) ([]versionRow, error) {
	list, err := c.KB.History(r.Context(), articleID, lang)
	if err != nil {
		return nil, err
	}
	a, err := c.KB.Article(r.Context(), articleID)
	if err != nil {
		return nil, err
	}
	var pub, draft int64
	for _, t := range a.Translations {
		if t.Language == lang && t.Published != nil {
			pub = t.Published.ID
		}
		if t.Language == lang && t.Draft != nil {
			draft = t.Draft.ID
		}
	}
	authors := map[int64]string{0: ""}
	out := make([]versionRow, 0, len(list))
	for _, v := range list {
		if _, ok := authors[v.AuthorID]; !ok {
			authors[v.AuthorID] = ""
			if ag, err := c.Agents.ByID(r.Context(), v.AuthorID); err == nil {
				authors[v.AuthorID] = ag.Name
			} else if !apperr.Is(err, apperr.NotFound) {
				return nil, err
			}
		}
		row := versionRow{ID: v.ID, Number: v.Number, At: v.CreatedAt.UTC().Format("2006-01-02 15:04 UTC"),
			ISO: v.CreatedAt.UTC().Format(time.RFC3339), Author: authors[v.AuthorID], Title: v.Title}
		switch v.ID {
		case pub:
			row.Mark = "published"
		case draft:
			row.Mark = "draft"
		}
		out = append(out, row)
	}
	return out, nil
}

// saveText is the text form's three buttons: preview (render only), save
// the draft, or save and publish.
func (c *Console) saveText(w http.ResponseWriter, r *http.Request, p *page) {
	id, err := pathArticle(r)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	lang := r.PathValue("lang")
	typed := textFormOf(r)
	d := &articleData{Lang: articleLang(lang)}
	if !slices.Contains(kb.Languages, lang) {
		c.fail(w, r, apperr.NotFoundf("kb.language_invalid", "language %q is not supported", lang))
		return
	}
	var notice string
	switch r.PostFormValue("action") {
	case "preview":
		d.Preview = template.HTML(markup.Render(typed.Body))
		c.renderArticle(w, r, p, http.StatusOK, d, &typed)
		return
	case "publish":
		notice, err = c.publishText(r, p, id, lang, typed)
	default:
		_, err = c.KB.SaveDraft(r.Context(), p.Agent.ID, id, lang, typed.input())
		notice = "saved"
	}
	if err != nil {
		c.retryPage(w, r, p, err, func(status int) { c.renderArticle(w, r, p, status, d, &typed) })
		return
	}
	http.Redirect(w, r, articleURL(id, lang, notice), http.StatusSeeOther)
}

// publishText saves and publishes the typed text; the notice says
// whether readers see something new.
func (c *Console) publishText(r *http.Request, p *page, id int64, lang string, typed textForm) (string, error) {
	before, err := c.KB.Article(r.Context(), id)
	if err != nil {
		return "", err
	}
	v, err := c.KB.SaveAndPublish(r.Context(), p.Agent.ID, id, lang, typed.input())
	if err != nil {
		return "", err
	}
	for _, t := range before.Translations {
		if t.Language == lang && t.Published != nil && t.Published.ID == v.ID {
			return "unchanged", nil
		}
	}
	return "published", nil
}

// saveArticleSettings changes the slug, category, audience or position.
func (c *Console) saveArticleSettings(w http.ResponseWriter, r *http.Request, p *page) {
	id, err := pathArticle(r)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	lang := articleLang(r.PostFormValue("lang"))
	d := &articleData{Lang: lang, Settings: articleFormOf(r)}
	if _, err := c.KB.UpdateArticle(r.Context(), id, d.Settings.input()); err != nil {
		c.retryPage(w, r, p, err, func(status int) { c.renderArticle(w, r, p, status, d, nil) })
		return
	}
	http.Redirect(w, r, articleURL(id, lang, "settings"), http.StatusSeeOther)
}

// unpublishText takes one language off the help center.
func (c *Console) unpublishText(w http.ResponseWriter, r *http.Request, p *page) {
	id, err := pathArticle(r)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	lang := r.PathValue("lang")
	if err := c.KB.Unpublish(r.Context(), id, lang); err != nil {
		d := &articleData{Lang: articleLang(lang)}
		c.retryPage(w, r, p, err, func(status int) { c.renderArticle(w, r, p, status, d, nil) })
		return
	}
	http.Redirect(w, r, articleURL(id, lang, "unpublished"), http.StatusSeeOther)
}

// versionData is one earlier text of an article, rendered.
type versionData struct {
	ArticleID int64
	Version   kb.Version
	LangName  string
	At        string
	HTML      template.HTML
}

// versionPage shows one saved version as readers would have seen it.
func (c *Console) versionPage(w http.ResponseWriter, r *http.Request, p *page) {
	d := &versionData{}
	p.Title, p.View, p.Data = p.T("kb.version"), "kb", d
	if !c.editorPage(w, r, p, "kb_version") {
		return
	}
	id, vid, err := pathVersion(r)
	if err == nil {
		d.Version, err = c.KB.Version(r.Context(), id, vid)
	}
	if err != nil {
		c.fail(w, r, err)
		return
	}
	d.ArticleID, d.LangName = id, p.T("kb.lang."+d.Version.Language)
	d.At = d.Version.CreatedAt.UTC().Format("2006-01-02 15:04 UTC")
	d.HTML = template.HTML(markup.Render(d.Version.Body))
	p.Title = p.T("kb.version_n", d.Version.Number) + " · " + d.Version.Title
	c.render(w, "kb_version", http.StatusOK, p)
}

// restoreVersion makes an earlier text the draft again.
func (c *Console) restoreVersion(w http.ResponseWriter, r *http.Request, p *page) {
	id, vid, err := pathVersion(r)
	var v kb.Version
	if err == nil {
		v, err = c.KB.Restore(r.Context(), p.Agent.ID, id, vid)
	}
	if err != nil {
		c.fail(w, r, err)
		return
	}
	http.Redirect(w, r, articleURL(id, v.Language, "restored"), http.StatusSeeOther)
}
