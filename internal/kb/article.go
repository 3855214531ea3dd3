package kb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"vigil/internal/apperr"
	"vigil/internal/db"
	"vigil/internal/markup"
)

// ArticleInput is a new article or a change to one. CategoryID 0 leaves
// the article uncategorised.
type ArticleInput struct {
	Slug       string `json:"slug"`
	CategoryID int64  `json:"category_id"`
	Internal   bool   `json:"internal"`
	Position   int    `json:"position"`
}

func (in *ArticleInput) validate() error {
	in.Slug = strings.ToLower(strings.TrimSpace(in.Slug))
	if !slugRE.MatchString(in.Slug) {
		return apperr.Field("slug", "kb.slug_invalid", "use 1-80 lowercase letters, digits and hyphens")
	}
	return nil
}

// VersionInput is the text of a draft.
type VersionInput struct {
	Title     string   `json:"title"`
	Summary   string   `json:"summary"`
	Body      string   `json:"body"`
	Questions []string `json:"questions"`
}

// MaxBody is the largest article body accepted, in bytes.
const MaxBody = 100 << 10

func (in *VersionInput) validate() error {
	in.Title = strings.TrimSpace(in.Title)
	in.Summary = strings.TrimSpace(in.Summary)
	in.Body = strings.TrimSpace(in.Body)
	qs := []string{}
	for _, q := range in.Questions {
		q = strings.Join(strings.Fields(q), " ")
		if q == "" {
			continue
		}
		if utf8.RuneCountInString(q) > 300 {
			return apperr.Field("questions", "kb.question_invalid", "each question must be at most 300 characters")
		}
		qs = append(qs, q)
	}
	in.Questions = qs
	switch {
	case in.Title == "" || utf8.RuneCountInString(in.Title) > 200 || strings.ContainsAny(in.Title, "\r\n"):
		return apperr.Field("title", "kb.title_invalid", "must be one line of 1-200 characters")
	case utf8.RuneCountInString(in.Summary) > 500 || strings.ContainsAny(in.Summary, "\r\n"):
		return apperr.Field("summary", "kb.summary_invalid", "must be one line of at most 500 characters")
	case in.Body == "" || len(in.Body) > MaxBody || !utf8.ValidString(in.Body):
		return apperr.Field("body", "kb.body_invalid", "must be 1 byte to 100 KiB of UTF-8 Markdown")
	case len(in.Questions) > 50:
		return apperr.Field("questions", "kb.question_invalid", "at most 50 example questions")
	}
	return nil
}

func (in VersionInput) same(v *Version) bool {
	return v != nil && v.Title == in.Title && v.Summary == in.Summary && v.Body == in.Body &&
		strings.Join(v.Questions, "\n") == strings.Join(in.Questions, "\n")
}

// CreateArticle adds an article with no text yet; SaveDraft writes it.
func (s *Service) CreateArticle(ctx context.Context, in ArticleInput) (Article, error) {
	if err := in.validate(); err != nil {
		return Article{}, err
	}
	var out Article
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		now := db.Millis(s.now())
		var id int64
		err := s.db.Q(ctx).QueryRowContext(ctx, `INSERT INTO kb_articles (slug, category_id, internal, position, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $5) RETURNING id`, in.Slug, db.NullID(in.CategoryID), in.Internal, in.Position, now).Scan(&id)
		switch {
		case db.IsUniqueViolation(err):
			return apperr.Conflictf("kb.slug_taken", "an article %q already exists", in.Slug)
		case db.IsForeignKeyViolation(err):
			return apperr.Field("category_id", "kb.category_not_found", "no such category")
		case err != nil:
			return fmt.Errorf("kb: create article: %w", err)
		}
		// The slug is this article's now, even if it once redirected.
		if _, err := s.db.Q(ctx).ExecContext(ctx, `DELETE FROM kb_redirects WHERE slug = $1`, in.Slug); err != nil {
			return fmt.Errorf("kb: create article: %w", err)
		}
		if out, err = s.Article(ctx, id); err != nil {
			return err
		}
		return s.audit.Record(ctx, "kb.article_create", "kb_article", id, map[string]any{"slug": in.Slug, "internal": in.Internal})
	})
	return out, err
}

// UpdateArticle changes an article's slug, category, audience or position.
// Changing the slug changes its URL; the help center links by slug.
func (s *Service) UpdateArticle(ctx context.Context, id int64, in ArticleInput) (Article, error) {
	if err := in.validate(); err != nil {
		return Article{}, err
	}
	var out Article
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		before, err := s.Article(ctx, id)
		if err != nil {
			return err
		}
		res, err := s.db.Q(ctx).ExecContext(ctx, `UPDATE kb_articles SET slug = $1, category_id = $2, internal = $3, position = $4, updated_at = $5
			WHERE id = $6`, in.Slug, db.NullID(in.CategoryID), in.Internal, in.Position, db.Millis(s.now()), id)
		switch {
		case db.IsUniqueViolation(err):
			return apperr.Conflictf("kb.slug_taken", "an article %q already exists", in.Slug)
		case db.IsForeignKeyViolation(err):
			return apperr.Field("category_id", "kb.category_not_found", "no such category")
		case err != nil:
			return fmt.Errorf("kb: update article: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errArticleNotFound(id)
		}
		if before.Slug != in.Slug {
			if err := s.redirect(ctx, before.Slug, in.Slug, id); err != nil {
				return err
			}
		}
		if out, err = s.Article(ctx, id); err != nil {
			return err
		}
		s.changed(ctx)
		return s.audit.Record(ctx, "kb.article_update", "kb_article", id, map[string]any{"slug": in.Slug, "internal": in.Internal})
	})
	return out, err
}

// redirect keeps the old slug pointing at the article; the new slug is
// the article's own again if it once redirected.
func (s *Service) redirect(ctx context.Context, from, to string, id int64) error {
	q := s.db.Q(ctx)
	if _, err := q.ExecContext(ctx, `DELETE FROM kb_redirects WHERE slug = $1 OR slug = $2`, from, to); err != nil {
		return fmt.Errorf("kb: redirect: %w", err)
	}
	if _, err := q.ExecContext(ctx, `INSERT INTO kb_redirects (slug, article_id) VALUES ($1, $2)`, from, id); err != nil {
		return fmt.Errorf("kb: redirect: %w", err)
	}
	return nil
}

// Renamed returns the current slug of an article once published as slug;
// not found when slug never belonged to a renamed article.
func (s *Service) Renamed(ctx context.Context, slug string) (string, error) {
	var now string
	err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT a.slug FROM kb_redirects r JOIN kb_articles a ON a.id = r.article_id WHERE r.slug = $1`,
		slug).Scan(&now)
	if errors.Is(err, sql.ErrNoRows) {
		return "", errArticleNotFound(slug)
	}
	if err != nil {
		return "", fmt.Errorf("kb: renamed: %w", err)
	}
	return now, nil
}

func errArticleNotFound(id any) error {
	return apperr.NotFoundf("kb.article_not_found", "article %v not found", id)
}

// SaveDraft writes a new version of the article in lang as its draft. The
// published version, if any, stays what readers see until Publish. Saving
// the text the draft (or, with no draft, the published version) already
// has writes nothing.
func (s *Service) SaveDraft(ctx context.Context, agentID, articleID int64, lang string, in VersionInput) (Version, error) {
	if err := checkLang("language", lang); err != nil {
		return Version{}, err
	}
	if err := in.validate(); err != nil {
		return Version{}, err
	}
	var out Version
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		a, err := s.Article(ctx, articleID)
		if err != nil {
			return err
		}
		tr := a.translation(lang)
		switch {
		case in.same(tr.Draft):
			out = *tr.Draft
			return nil
		case tr.Draft == nil && in.same(tr.Published):
			out = *tr.Published
			return nil
		}
		var number int
		if err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT COALESCE(MAX(number), 0) + 1 FROM kb_versions WHERE article_id = $1 AND language = $2`,
			articleID, lang).Scan(&number); err != nil {
			return fmt.Errorf("kb: save draft: %w", err)
		}
		now := db.Millis(s.now())
		var id int64
		if err := s.db.Q(ctx).QueryRowContext(ctx, `INSERT INTO kb_versions (article_id, language, number, title, summary, body, questions, author_id, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`, articleID, lang, number, in.Title, in.Summary, in.Body,
			strings.Join(in.Questions, "\n"), db.NullID(agentID), now).Scan(&id); err != nil {
			return fmt.Errorf("kb: save draft: %w", err)
		}
		if tr.Published == nil && tr.Draft == nil {
			_, err = s.db.Q(ctx).ExecContext(ctx, `INSERT INTO kb_translations (article_id, language, draft_id) VALUES ($1, $2, $3)`, articleID, lang, id)
		} else {
			_, err = s.db.Q(ctx).ExecContext(ctx, `UPDATE kb_translations SET draft_id = $1 WHERE article_id = $2 AND language = $3`, id, articleID, lang)
		}
		if err != nil {
			return fmt.Errorf("kb: save draft: %w", err)
		}
		if _, err := s.db.Q(ctx).ExecContext(ctx, `UPDATE kb_articles SET updated_at = $1 WHERE id = $2`, now, articleID); err != nil {
			return fmt.Errorf("kb: save draft: %w", err)
		}
		if out, err = s.version(ctx, id); err != nil {
			return err
		}
		return s.audit.Record(ctx, "kb.draft_save", "kb_article", articleID, map[string]any{"language": lang, "version": number})
	})
	return out, err
}

// Publish makes the article's draft in lang the version readers see.
func (s *Service) Publish(ctx context.Context, articleID int64, lang string) (Version, error) {
	if err := checkLang("language", lang); err != nil {
		return Version{}, err
	}
	var out Version
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		a, err := s.Article(ctx, articleID)
		if err != nil {
			return err
		}
		tr := a.translation(lang)
		if tr.Draft == nil {
			return apperr.Conflictf("kb.no_draft", "the article has no draft in %s to publish", lang)
		}
		now := db.Millis(s.now())
		if _, err := s.db.Q(ctx).ExecContext(ctx, `UPDATE kb_versions SET published_at = $1 WHERE id = $2`, now, tr.Draft.ID); err != nil {
			return fmt.Errorf("kb: publish: %w", err)
		}
		if _, err := s.db.Q(ctx).ExecContext(ctx, `UPDATE kb_translations SET published_id = draft_id, draft_id = NULL WHERE article_id = $1 AND language = $2`,
			articleID, lang); err != nil {
			return fmt.Errorf("kb: publish: %w", err)
		}
		if _, err := s.db.Q(ctx).ExecContext(ctx, `UPDATE kb_articles SET updated_at = $1 WHERE id = $2`, now, articleID); err != nil {
			return fmt.Errorf("kb: publish: %w", err)
		}
		if out, err = s.version(ctx, tr.Draft.ID); err != nil {
			return err
		}
		s.changed(ctx)
		return s.audit.Record(ctx, "kb.publish", "kb_article", articleID, map[string]any{"language": lang, "version": out.Number})
	})
	return out, err
}

// Unpublish takes the article in lang off the help center; its versions
// stay in the history.
func (s *Service) Unpublish(ctx context.Context, articleID int64, lang string) error {
	if err := checkLang("language", lang); err != nil {
		return err
	}
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		res, err := s.db.Q(ctx).ExecContext(ctx, `UPDATE kb_translations SET published_id = NULL WHERE article_id = $1 AND language = $2 AND published_id IS NOT NULL`,
			articleID, lang)
		if err != nil {
			return fmt.Errorf("kb: unpublish: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return apperr.NotFoundf("kb.not_published", "article %d is not published in %s", articleID, lang)
		}
		s.changed(ctx)
		return s.audit.Record(ctx, "kb.unpublish", "kb_article", articleID, map[string]any{"language": lang})
	})
}

// History lists every version of the article in lang, newest first.
func (s *Service) History(ctx context.Context, articleID int64, lang string) ([]Version, error) {
	if err := checkLang("language", lang); err != nil {
		return nil, err
	}
	if _, err := s.Article(ctx, articleID); err != nil {
		return nil, err
	}
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT `+versionColumns+` FROM kb_versions WHERE article_id = $1 AND language = $2 ORDER BY number DESC`,
		articleID, lang)
	if err != nil {
		return nil, fmt.Errorf("kb: history: %w", err)
	}
	defer rows.Close()
	out := []Version{}
	for rows.Next() {
		v, err := scanVersion(rows)
		if err != nil {
			return nil, fmt.Errorf("kb: history: %w", err)
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

const versionColumns = `id, article_id, language, number, title, summary, body, questions, author_id, created_at, published_at`

func scanVersion(row interface{ Scan(...any) error }) (Version, error) {
	var v Version
	var qs string
	var author, published sql.NullInt64
	var created int64
	err := row.Scan(&v.ID, &v.ArticleID, &v.Language, &v.Number, &v.Title, &v.Summary, &v.Body, &qs, &author, &created, &published)
	v.AuthorID, v.CreatedAt, v.PublishedAt = author.Int64, db.Time(created), db.NullTime(published)
	v.Questions = []string{}
	if qs != "" {
		v.Questions = strings.Split(qs, "\n")
	}
	return v, err
}

func (s *Service) version(ctx context.Context, id int64) (Version, error) {
	v, err := scanVersion(s.db.Q(ctx).QueryRowContext(ctx, `SELECT `+versionColumns+` FROM kb_versions WHERE id = $1`, id))
	if err != nil {
		return Version{}, fmt.Errorf("kb: version %d: %w", id, err)
	}
	return v, nil
}

// Article returns one article with its translations' published and draft
// versions.
func (s *Service) Article(ctx context.Context, id int64) (Article, error) {
	list, err := s.articles(ctx, `a.id = $1`, id)
	if err != nil {
		return Article{}, err
	}
	if len(list) == 0 {
		return Article{}, errArticleNotFound(id)
	}
	return list[0], nil
}

// ArticleBySlug finds an article by its URL name.
func (s *Service) ArticleBySlug(ctx context.Context, slug string) (Article, error) {
	list, err := s.articles(ctx, `a.slug = $1`, slug)
	if err != nil {
		return Article{}, err
	}
	if len(list) == 0 {
		return Article{}, errArticleNotFound(slug)
	}
	return list[0], nil
}

// Articles lists every article, drafts and internal ones included.
func (s *Service) Articles(ctx context.Context) ([]Article, error) {
	return s.articles(ctx, `1 = 1`)
}

func (s *Service) articles(ctx context.Context, where string, args ...any) ([]Article, error) {
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT a.id, a.slug, a.category_id, a.internal, a.position, a.created_at, a.updated_at,
		t.language, t.published_id, t.draft_id
		FROM kb_articles a LEFT JOIN kb_translations t ON t.article_id = a.id
		WHERE `+where+` ORDER BY a.position, a.id, t.language`, args...)
	if err != nil {
		return nil, fmt.Errorf("kb: articles: %w", err)
	}
	type ref struct {
		article, tr int
		pub, draft  sql.NullInt64
	}
	var out []Article
	var refs []ref
	for rows.Next() {
		var a Article
		var cat, pub, draft sql.NullInt64
		var lang sql.NullString
		var created, updated int64
		if err := rows.Scan(&a.ID, &a.Slug, &cat, &a.Internal, &a.Position, &created, &updated, &lang, &pub, &draft); err != nil {
			rows.Close()
			return nil, fmt.Errorf("kb: articles: %w", err)
		}
		if len(out) == 0 || out[len(out)-1].ID != a.ID {
			a.CategoryID, a.CreatedAt, a.UpdatedAt, a.Translations = cat.Int64, db.Time(created), db.Time(updated), []Translation{}
			out = append(out, a)
		}
		if lang.Valid {
			last := &out[len(out)-1]
			last.Translations = append(last.Translations, Translation{Language: lang.String})
			refs = append(refs, ref{len(out) - 1, len(last.Translations) - 1, pub, draft})
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("kb: articles: %w", err)
	}
	if len(refs) == 0 {
		return out, nil
	}
	// The versions the translations point at, in one query.
	vrows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT `+versionColumns+` FROM kb_versions v WHERE v.id IN
		(SELECT published_id FROM kb_translations t JOIN kb_articles a ON a.id = t.article_id WHERE `+where+`)
		OR v.id IN (SELECT draft_id FROM kb_translations t JOIN kb_articles a ON a.id = t.article_id WHERE `+where+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("kb: article versions: %w", err)
	}
	defer vrows.Close()
	byID := map[int64]*Version{}
	for vrows.Next() {
		v, err := scanVersion(vrows)
		if err != nil {
			return nil, fmt.Errorf("kb: article versions: %w", err)
		}
		byID[v.ID] = &v
	}
	if err := vrows.Err(); err != nil {
		return nil, fmt.Errorf("kb: article versions: %w", err)
	}
	for _, r := range refs {
		tr := &out[r.article].Translations[r.tr]
		if r.pub.Valid {
			tr.Published = byID[r.pub.Int64]
		}
		if r.draft.Valid {
			tr.Draft = byID[r.draft.Int64]
		}
	}
	return out, nil
}

func (a Article) translation(lang string) Translation {
	for _, t := range a.Translations {
		if t.Language == lang {
			return t
		}
	}
	return Translation{Language: lang}
}

// Audience says who is reading: the public help center, or a signed-in
// agent who may also read internal articles.
type Audience int

const (
	Public Audience = iota
	Agents
)

// Page is an article as a reader sees it in one language. When the
// reader's language has no published version, Language is the one shown
// and Fallback is true, so the page can say so.
type Page struct {
	ArticleID  int64
	Slug       string
	CategoryID int64
	Internal   bool
	Requested  string
	Language   string
	Fallback   bool
	Title      string
	Summary    string
	Body       string
	BodyHTML   string
	Questions  []string
	UpdatedAt  time.Time
	// Languages lists the languages the article is published in.
	Languages []string
}

// Read returns the published article for a reader: drafts never show,
// internal articles only to agents, and a missing translation falls back
// to English (or any published language), marked as a fallback.
func (s *Service) Read(ctx context.Context, slug, lang string, who Audience) (Page, error) {
	a, err := s.ArticleBySlug(ctx, slug)
	if err != nil {
		return Page{}, err
	}
	if a.Internal && who != Agents {
		return Page{}, errArticleNotFound(slug)
	}
	p, ok := pageOf(a, lang)
	if !ok {
		return Page{}, errArticleNotFound(slug)
	}
	p.BodyHTML = markup.Render(p.Body)
	return p, nil
}

// pageOf picks the version a reader of lang sees; ok is false when the
// article is published in no language.
func pageOf(a Article, lang string) (Page, bool) {
	p := Page{ArticleID: a.ID, Slug: a.Slug, CategoryID: a.CategoryID, Internal: a.Internal, Requested: lang}
	var shown *Version
	for _, l := range append([]string{lang}, Languages...) {
		if v := a.translation(l).Published; v != nil {
			shown = v
			break
		}
	}
	if shown == nil {
		return p, false
	}
	for _, t := range a.Translations {
		if t.Published != nil {
			p.Languages = append(p.Languages, t.Language)
		}
	}
	p.Language, p.Fallback = shown.Language, shown.Language != lang
	p.Title, p.Summary, p.Body, p.Questions = shown.Title, shown.Summary, shown.Body, shown.Questions
	p.UpdatedAt = *shown.PublishedAt
	return p, true
}

// Published returns every article a reader of lang can see, in display
// order, as pages without rendered bodies (category listings). It reads
// the in-memory index, not the database, so a public page that lists
// articles costs no query.
func (s *Service) Published(ctx context.Context, lang string, who Audience) ([]Page, error) {
	return s.idx.Load().pages(lang, who == Agents), nil
}
