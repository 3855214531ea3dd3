package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"vigil/internal/api"
	"vigil/internal/auth"
	"vigil/internal/i18n"
	"vigil/internal/kb"
)

// kbListData is the help-center page: the articles with their languages
// and status, the categories, and import and export.
type kbListData struct {
	Query, Status, Category string
	CategoryOptions         []option
	Statuses                []option
	Rows                    []articleRow
	Categories              []categoryRow
	CanEdit                 bool
	NewCategory             categoryRow
	EditCategory            categoryRow // a refused change, shown as typed
	Import                  *importView
	Notice                  string
}

type articleRow struct {
	ID                  int64
	Slug, Title         string
	Category            string
	Internal            bool
	Langs               []langState
	Updated, UpdatedISO string
}

// langState is an article's state in one language, in words.
type langState struct {
	Lang, Name string
	State      string // published, published_draft, draft or missing
	Label      string
}

// categoryRow is a category as its edit form shows it; after a refused
// change it holds what the editor typed.
type categoryRow struct {
	ID                   int64
	Slug, NameEN, NameZH string
	Position             string
	Articles             int
	Error                string
}

// kbPage lists the articles for every agent; editors (kb:manage) also
// get the forms to add articles and categories and to import and export.
func (c *Console) kbPage(w http.ResponseWriter, r *http.Request, p *page) {
	c.renderKB(w, r, p, http.StatusOK, &kbListData{Notice: kbNotice(r, p)})
}

// kbNotices are the outcomes a redirect back to a help-center page may
// announce, by the value of ?notice=.
var kbNotices = map[string]string{
	"saved": "kb.notice.saved", "published": "kb.notice.published", "unpublished": "kb.notice.unpublished",
	"restored": "kb.notice.restored", "ended": "kb.notice.ended", "settings": "kb.notice.settings", "category": "kb.notice.category",
	"created": "kb.notice.created", "unchanged": "kb.notice.unchanged",
}

func kbNotice(r *http.Request, p *page) string {
	if key, ok := kbNotices[r.URL.Query().Get("notice")]; ok {
		return p.T(key)
	}
	return ""
}

func (c *Console) renderKB(w http.ResponseWriter, r *http.Request, p *page, status int, d *kbListData) {
	p.Title, p.View, p.Data = p.T("kb.title"), "kb", d
	if !c.admit(w, r, p, "kb", p.Principal.Can(auth.PermConversationRead), "auth.forbidden") {
		return
	}
	d.CanEdit = p.Principal.Can(auth.PermKBManage)
	q := r.URL.Query()
	if r.Method == http.MethodGet {
		d.Query, d.Status, d.Category = q.Get("q"), q.Get("status"), q.Get("category")
	}
	f := kb.ArticleFilter{Query: d.Query, Status: d.Status}
	if d.Category != "" {
		f.CategoryID, _ = strconv.ParseInt(d.Category, 10, 64)
	}
	cats, err := c.KB.Categories(r.Context())
	if err != nil {
		c.fail(w, r, err)
		return
	}
	list, err := c.KB.FindArticles(r.Context(), f)
	if err != nil {
		var msg string
		var ok bool
		if status, msg, ok = api.Explain(err, p.Lang); !ok {
			c.fail(w, r, err)
			return
		}
		p.Error = msg
	}
	all := list
	if d.Query != "" || d.Status != "" || d.Category != "" {
		if all, err = c.KB.Articles(r.Context()); err != nil {
			c.fail(w, r, err)
			return
		}
	}
	names := map[int64]string{}
	counts := map[int64]int{}
	for _, a := range all {
		counts[a.CategoryID]++
	}
	d.CategoryOptions = []option{{Value: "", Label: p.T("kb.all_categories")}, {Value: "-1", Label: p.T("help.uncategorised"), Selected: d.Category == "-1"}}
	for _, cat := range cats {
		names[cat.ID] = cat.Name(p.Lang)
		id := strconv.FormatInt(cat.ID, 10)
		d.CategoryOptions = append(d.CategoryOptions, option{Value: id, Label: cat.Name(p.Lang), Selected: d.Category == id})
		d.Categories = append(d.Categories, categoryRow{ID: cat.ID, Slug: cat.Slug, NameEN: cat.Names["en"], NameZH: cat.Names["zh"],
			Position: strconv.Itoa(cat.Position), Articles: counts[cat.ID]})
	}
	for i := range d.Categories {
		if d.EditCategory.ID == d.Categories[i].ID {
			d.EditCategory.Articles = d.Categories[i].Articles
			d.Categories[i] = d.EditCategory
		}
	}
	for _, s := range []string{"", "published", "draft"} {
		d.Statuses = append(d.Statuses, option{Value: s, Label: p.T("kb.status." + orAll(s)), Selected: d.Status == s})
	}
	now := c.Now()
	for _, a := range list {
		row := articleRow{ID: a.ID, Slug: a.Slug, Title: articleTitle(a, p.Lang), Internal: a.Internal, Category: names[a.CategoryID],
			Langs: langStates(p, a), Updated: ago(now, a.UpdatedAt, p.Lang), UpdatedISO: a.UpdatedAt.UTC().Format(time.RFC3339)}
		if row.Category == "" {
			row.Category = p.T("help.uncategorised")
		}
		d.Rows = append(d.Rows, row)
	}
	c.render(w, "kb", status, p)
}

func orAll(s string) string {
	if s == "" {
		return "all"
	}
	return s
}

// articleTitle is the title an editor recognises the article by: in their
// language if it has one, else in English, else the slug.
func articleTitle(a kb.Article, lang string) string {
	for _, l := range append([]string{lang}, kb.Languages...) {
		for _, t := range a.Translations {
			if t.Language != l {
				continue
			}
			if t.Draft != nil {
				return t.Draft.Title
			}
			if t.Published != nil {
				return t.Published.Title
			}
		}
	}
	return a.Slug
}

// langStates says, for every language, whether the article is published
// there, has a draft, or is missing.
func langStates(p *page, a kb.Article) []langState {
	out := make([]langState, 0, len(kb.Languages))
	for _, l := range kb.Languages {
		st := "missing"
		for _, t := range a.Translations {
			switch {
			case t.Language != l:
			case t.Published != nil && t.Draft != nil:
				st = "published_draft"
			case t.Published != nil:
				st = "published"
			case t.Draft != nil:
				st = "draft"
			}
		}
		out = append(out, langState{Lang: l, Name: p.T("kb.lang." + l), State: st, Label: p.T("kb.state." + st)})
	}
	return out
}

// kbEditorOnly refuses an editor's form to agents without kb:manage,
// with the help-center page and the reason.
func (c *Console) kbEditorOnly(h func(http.ResponseWriter, *http.Request, *page)) func(http.ResponseWriter, *http.Request, *page) {
	return func(w http.ResponseWriter, r *http.Request, p *page) {
		if !p.Principal.Can(auth.PermKBManage) {
			p.Error = p.T("kb.editors_only")
			c.renderKB(w, r, p, http.StatusForbidden, &kbListData{})
			return
		}
		h(w, r, p)
	}
}

func categoryInput(r *http.Request) (kb.CategoryInput, categoryRow) {
	row := categoryRow{Slug: r.PostFormValue("slug"), NameEN: r.PostFormValue("name_en"), NameZH: r.PostFormValue("name_zh"),
		Position: r.PostFormValue("position")}
	pos, _ := strconv.Atoi(strings.TrimSpace(row.Position))
	names := map[string]string{"en": row.NameEN}
	if strings.TrimSpace(row.NameZH) != "" {
		names["zh"] = row.NameZH
	}
	return kb.CategoryInput{Slug: row.Slug, Position: pos, Names: names}, row
}

func (c *Console) createCategory(w http.ResponseWriter, r *http.Request, p *page) {
	in, row := categoryInput(r)
	if _, err := c.KB.CreateCategory(r.Context(), in); err != nil {
		c.kbRetry(w, r, p, err, &kbListData{NewCategory: row})
		return
	}
	http.Redirect(w, r, "/console/kb?notice=category", http.StatusSeeOther)
}

func (c *Console) updateCategory(w http.ResponseWriter, r *http.Request, p *page) {
	id, err := pathNumber(r, "id", "kb.category_not_found")
	in, row := categoryInput(r)
	if err == nil {
		_, err = c.KB.UpdateCategory(r.Context(), id, in)
	}
	if err != nil {
		status, msg, ok := api.Explain(err, p.Lang)
		if !ok {
			c.fail(w, r, err)
			return
		}
		row.ID, row.Error = id, msg
		c.renderKB(w, r, p, status, &kbListData{EditCategory: row})
		return
	}
	http.Redirect(w, r, "/console/kb?notice=category", http.StatusSeeOther)
}

// kbRetry shows the help-center page again with a known error.
func (c *Console) kbRetry(w http.ResponseWriter, r *http.Request, p *page, err error, d *kbListData) {
	status, msg, ok := api.Explain(err, p.Lang)
	if !ok {
		c.fail(w, r, err)
		return
	}
	var fe *kb.FileError
	if errors.As(err, &fe) {
		msg = i18n.T(p.Lang, fe.Code, fe.Args...)
	}
	p.Error = msg
	c.renderKB(w, r, p, status, d)
}

// registerKB adds the help-center editor, announcements, import and
// export, and the bot log. Editors' forms need kb:manage, the bot log
// report:read; the body of every form is limited.
func (c *Console) registerKB(mux *http.ServeMux) {
	form := func(h func(http.ResponseWriter, *http.Request, *page)) http.HandlerFunc {
		return limitForm(c.agentOnly(c.kbEditorOnly(h)))
	}
	mux.HandleFunc("GET /console/kb", c.agentOnly(c.kbPage))
	mux.HandleFunc("POST /console/kb/categories", form(c.createCategory))
	mux.HandleFunc("POST /console/kb/categories/{id}", form(c.updateCategory))
	mux.HandleFunc("GET /console/kb/articles/new", c.agentOnly(c.newArticlePage))
	mux.HandleFunc("POST /console/kb/articles", form(c.createArticle))
	mux.HandleFunc("GET /console/kb/articles/{id}", c.agentOnly(c.articlePage))
	mux.HandleFunc("POST /console/kb/articles/{id}", form(c.saveArticleSettings))
	mux.HandleFunc("POST /console/kb/articles/{id}/text/{lang}", form(c.saveText))
	mux.HandleFunc("POST /console/kb/articles/{id}/text/{lang}/unpublish", form(c.unpublishText))
	mux.HandleFunc("GET /console/kb/articles/{id}/versions/{vid}", c.agentOnly(c.versionPage))
	mux.HandleFunc("POST /console/kb/articles/{id}/versions/{vid}/restore", form(c.restoreVersion))
	mux.HandleFunc("GET /console/kb/export.zip", c.agentOnly(c.kbEditorOnly(c.exportKB)))
	mux.HandleFunc("POST /console/kb/import", limitUpload(c.agentOnly(c.kbEditorOnly(c.importKB))))
	mux.HandleFunc("GET /console/announcements", c.agentOnly(c.announcementsPage))
	mux.HandleFunc("POST /console/announcements", form(c.saveAnnouncement))
	mux.HandleFunc("GET /console/announcements/{id}", c.agentOnly(c.announcementPage))
	mux.HandleFunc("POST /console/announcements/{id}", form(c.saveAnnouncement))
	mux.HandleFunc("POST /console/announcements/{id}/end", form(c.endAnnouncement))
	mux.HandleFunc("GET /console/bot", c.agentOnly(c.botLogPage))
}

// maxForm is the largest editor's form: an article body of kb.MaxBody
// with its title, summary and questions, and room to spare.
const maxForm = kb.MaxBody + 64<<10

func limitForm(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, maxForm)
		h(w, r)
	}
}
