// Package kb is the knowledge base behind the help center and the bot:
// categories, articles with per-language versions (drafts, published,
// history), example questions, internal-only articles for agents, reader
// feedback, announcements and search.
package kb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"vigil/internal/apperr"
	"vigil/internal/audit"
	"vigil/internal/db"
)

// Languages an article can be written in; the first is the fallback shown
// (and marked) when a reader's language has no published version.
var Languages = []string{"en", "zh"}

// Category groups articles on the help center's home page.
type Category struct {
	ID        int64             `json:"id"`
	Slug      string            `json:"slug"`
	Position  int               `json:"position"`
	Names     map[string]string `json:"names"`
	CreatedAt time.Time         `json:"created_at"`
}

// Name is the category's name in lang, or the English one.
func (c Category) Name(lang string) string {
	if n := c.Names[lang]; n != "" {
		return n
	}
	return c.Names["en"]
}

// Article is one help-center entry and its translations.
type Article struct {
	ID           int64         `json:"id"`
	Slug         string        `json:"slug"`
	CategoryID   int64         `json:"category_id,omitempty"`
	Internal     bool          `json:"internal"`
	Position     int           `json:"position"`
	CreatedAt    time.Time     `json:"created_at"`
	UpdatedAt    time.Time     `json:"updated_at"`
	Translations []Translation `json:"translations"`
}

// Translation is the state of an article in one language: the version
// readers see and a newer draft, either of which may be missing.
type Translation struct {
	Language  string   `json:"language"`
	Published *Version `json:"published,omitempty"`
	Draft     *Version `json:"draft,omitempty"`
}

// Version is one saved text of an article in one language. Versions are
// never changed after they are written, so they are the history.
type Version struct {
	ID          int64      `json:"id"`
	ArticleID   int64      `json:"article_id"`
	Language    string     `json:"language"`
	Number      int        `json:"number"`
	Title       string     `json:"title"`
	Summary     string     `json:"summary"`
	Body        string     `json:"body"`
	Questions   []string   `json:"questions"`
	AuthorID    int64      `json:"author_id,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
	PublishedAt *time.Time `json:"published_at,omitempty"`
}

// Service reads and writes the knowledge base and keeps the search index.
type Service struct {
	db    *db.DB
	audit *audit.Log
	log   *slog.Logger
	now   func() time.Time

	// idx is the current search index; replaced whole after each change,
	// so readers never lock. gen counts rebuilds for those (the bot) who
	// derive their own model from the published articles.
	idx     atomic.Pointer[Index]
	gen     atomic.Uint64
	buildMu sync.Mutex // one rebuild at a time
}

// New returns the service; call Reindex once before serving.
func New(d *db.DB, a *audit.Log, log *slog.Logger, now func() time.Time) *Service {
	s := &Service{db: d, audit: a, log: log, now: now}
	s.idx.Store(Build(nil))
	return s
}

var slugRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,79}$`)

func checkLang(field, lang string) error {
	if !slices.Contains(Languages, lang) {
		return apperr.Field(field, "kb.language_invalid", "must be one of %s", strings.Join(Languages, ", "))
	}
	return nil
}

// CategoryInput is a new or changed category.
type CategoryInput struct {
	Slug     string            `json:"slug"`
	Position int               `json:"position"`
	Names    map[string]string `json:"names"`
}

func (in *CategoryInput) validate() error {
	in.Slug = strings.ToLower(strings.TrimSpace(in.Slug))
	if !slugRE.MatchString(in.Slug) {
		return apperr.Field("slug", "kb.slug_invalid", "use 1-80 lowercase letters, digits and hyphens")
	}
	for lang, n := range in.Names {
		if err := checkLang("names", lang); err != nil {
			return err
		}
		in.Names[lang] = strings.TrimSpace(n)
		if utf8.RuneCountInString(in.Names[lang]) > 80 {
			return apperr.Field("names", "kb.name_invalid", "names must be at most 80 characters")
		}
	}
	if in.Names["en"] == "" {
		return apperr.Field("names", "kb.name_invalid", "an English name is required")
	}
	return nil
}

// CreateCategory adds a category.
func (s *Service) CreateCategory(ctx context.Context, in CategoryInput) (Category, error) {
	if err := in.validate(); err != nil {
		return Category{}, err
	}
	var out Category
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		var id int64
		err := s.db.Q(ctx).QueryRowContext(ctx, `INSERT INTO kb_categories (slug, position, name_en, name_zh, created_at)
			VALUES ($1, $2, $3, $4, $5) RETURNING id`, in.Slug, in.Position, in.Names["en"], in.Names["zh"], db.Millis(s.now())).Scan(&id)
		if db.IsUniqueViolation(err) {
			return apperr.Conflictf("kb.slug_taken", "category %q already exists", in.Slug)
		}
		if err != nil {
			return fmt.Errorf("kb: create category: %w", err)
		}
		if out, err = s.category(ctx, `id = $1`, id); err != nil {
			return err
		}
		return s.audit.Record(ctx, "kb.category_create", "kb_category", id, map[string]any{"slug": in.Slug})
	})
	return out, err
}

// UpdateCategory renames or moves a category (the import uses it).
func (s *Service) UpdateCategory(ctx context.Context, id int64, in CategoryInput) (Category, error) {
	if err := in.validate(); err != nil {
		return Category{}, err
	}
	var out Category
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		res, err := s.db.Q(ctx).ExecContext(ctx, `UPDATE kb_categories SET slug = $1, position = $2, name_en = $3, name_zh = $4 WHERE id = $5`,
			in.Slug, in.Position, in.Names["en"], in.Names["zh"], id)
		if db.IsUniqueViolation(err) {
			return apperr.Conflictf("kb.slug_taken", "category %q already exists", in.Slug)
		}
		if err != nil {
			return fmt.Errorf("kb: update category: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return apperr.NotFoundf("kb.category_not_found", "category %d not found", id)
		}
		out, err = s.category(ctx, `id = $1`, id)
		return err
	})
	return out, err
}

// Categories lists every category in display order.
func (s *Service) Categories(ctx context.Context) ([]Category, error) {
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT id, slug, position, name_en, name_zh, created_at FROM kb_categories ORDER BY position, id`)
	if err != nil {
		return nil, fmt.Errorf("kb: categories: %w", err)
	}
	defer rows.Close()
	out := []Category{}
	for rows.Next() {
		c, err := scanCategory(rows)
		if err != nil {
			return nil, fmt.Errorf("kb: categories: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// CategoryBySlug finds a category by its URL name.
func (s *Service) CategoryBySlug(ctx context.Context, slug string) (Category, error) {
	return s.category(ctx, `slug = $1`, slug)
}

func (s *Service) category(ctx context.Context, where string, arg any) (Category, error) {
	c, err := scanCategory(s.db.Q(ctx).QueryRowContext(ctx, `SELECT id, slug, position, name_en, name_zh, created_at FROM kb_categories WHERE `+where, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return Category{}, apperr.NotFoundf("kb.category_not_found", "category %v not found", arg)
	}
	if err != nil {
		return Category{}, fmt.Errorf("kb: category: %w", err)
	}
	return c, nil
}

func scanCategory(row interface{ Scan(...any) error }) (Category, error) {
	var c Category
	var en, zh string
	var created int64
	err := row.Scan(&c.ID, &c.Slug, &c.Position, &en, &zh, &created)
	c.Names, c.CreatedAt = map[string]string{"en": en}, db.Time(created)
	if zh != "" {
		c.Names["zh"] = zh
	}
	return c, err
}

// Feedback records a reader's "was this helpful?" answer.
func (s *Service) Feedback(ctx context.Context, articleID int64, lang string, helpful bool) error {
	if err := checkLang("language", lang); err != nil {
		return err
	}
	_, err := s.db.Q(ctx).ExecContext(ctx, `INSERT INTO kb_feedback (article_id, language, helpful, created_at) VALUES ($1, $2, $3, $4)`,
		articleID, lang, helpful, db.Millis(s.now()))
	if db.IsForeignKeyViolation(err) {
		return apperr.NotFoundf("kb.article_not_found", "article %d not found", articleID)
	}
	if err != nil {
		return fmt.Errorf("kb: feedback: %w", err)
	}
	return nil
}

// Votes counts an article's helpful and unhelpful answers.
type Votes struct {
	Helpful    int `json:"helpful"`
	NotHelpful int `json:"not_helpful"`
}

// FeedbackCounts returns the votes for an article.
func (s *Service) FeedbackCounts(ctx context.Context, articleID int64) (Votes, error) {
	var v Votes
	err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT
		COALESCE(SUM(CASE WHEN helpful THEN 1 ELSE 0 END), 0), COALESCE(SUM(CASE WHEN helpful THEN 0 ELSE 1 END), 0)
		FROM kb_feedback WHERE article_id = $1`, articleID).Scan(&v.Helpful, &v.NotHelpful)
	if err != nil {
		return v, fmt.Errorf("kb: feedback counts: %w", err)
	}
	return v, nil
}

// AddExample records a customer phrasing an agent marked as answered well
// by the article; the bot learns from it.
func (s *Service) AddExample(ctx context.Context, agentID, articleID int64, lang, text string) error {
	text = strings.TrimSpace(text)
	if err := checkLang("language", lang); err != nil {
		return err
	}
	if text == "" || utf8.RuneCountInString(text) > 500 {
		return apperr.Field("text", "kb.example_invalid", "must be 1-500 characters")
	}
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		_, err := s.db.Q(ctx).ExecContext(ctx, `INSERT INTO kb_examples (article_id, language, text, created_by, created_at) VALUES ($1, $2, $3, $4, $5)`,
			articleID, lang, text, db.NullID(agentID), db.Millis(s.now()))
		if db.IsForeignKeyViolation(err) {
			return apperr.NotFoundf("kb.article_not_found", "article %d not found", articleID)
		}
		if err != nil {
			return fmt.Errorf("kb: add example: %w", err)
		}
		s.changed(ctx)
		return s.audit.Record(ctx, "kb.example_add", "kb_article", articleID, map[string]any{"language": lang})
	})
	return err
}
