package kb

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"unicode/utf8"

	"vigil/internal/apperr"
)

// ArticleFilter narrows the editors' article list: Query matches the slug
// or any version's title or summary (published or draft, any language),
// case-insensitively; Status is "published" (in some language), "draft"
// (with an unpublished draft in some language) or "" for all; CategoryID
// -1 keeps uncategorised articles only.
type ArticleFilter struct {
	Query      string
	Status     string
	CategoryID int64
}

func (f *ArticleFilter) validate() error {
	f.Query = strings.ToLower(strings.TrimSpace(f.Query))
	if utf8.RuneCountInString(f.Query) > 200 {
		return apperr.Field("q", "kb.query_too_long", "must be at most 200 characters")
	}
	if f.Status != "" && f.Status != "published" && f.Status != "draft" {
		return apperr.Field("status", "kb.status_invalid", `must be "published", "draft" or empty`)
	}
	return nil
}

// FindArticles lists the articles an editor looks for, drafts and internal
// ones included, in display order.
func (s *Service) FindArticles(ctx context.Context, f ArticleFilter) ([]Article, error) {
	if err := f.validate(); err != nil {
		return nil, err
	}
	list, err := s.Articles(ctx)
	if err != nil {
		return nil, err
	}
	out := []Article{}
	for _, a := range list {
		if f.matches(a) {
			out = append(out, a)
		}
	}
	return out, nil
}

func (f ArticleFilter) matches(a Article) bool {
	switch {
	case f.CategoryID > 0 && a.CategoryID != f.CategoryID, f.CategoryID < 0 && a.CategoryID != 0:
		return false
	case f.Status == "published" && !a.anyTranslation(func(t Translation) bool { return t.Published != nil }):
		return false
	case f.Status == "draft" && !a.anyTranslation(func(t Translation) bool { return t.Draft != nil }):
		return false
	case f.Query == "" || strings.Contains(a.Slug, f.Query):
		return true
	}
	return a.anyTranslation(func(t Translation) bool {
		for _, v := range []*Version{t.Published, t.Draft} {
			if v != nil && (strings.Contains(strings.ToLower(v.Title), f.Query) || strings.Contains(strings.ToLower(v.Summary), f.Query)) {
				return true
			}
		}
		return false
	})
}

func (a Article) anyTranslation(ok func(Translation) bool) bool {
	for _, t := range a.Translations {
		if ok(t) {
			return true
		}
	}
	return false
}

// CreateArticleWithDraft adds an article and its first draft in lang in
// one transaction: a draft that does not validate creates nothing.
func (s *Service) CreateArticleWithDraft(ctx context.Context, agentID int64, in ArticleInput, lang string, text VersionInput) (Article, error) {
	if err := checkLang("language", lang); err != nil {
		return Article{}, err
	}
	if err := text.validate(); err != nil {
		return Article{}, err
	}
	var out Article
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		a, err := s.CreateArticle(ctx, in)
		if err != nil {
			return err
		}
		if _, err := s.SaveDraft(ctx, agentID, a.ID, lang, text); err != nil {
			return err
		}
		out, err = s.Article(ctx, a.ID)
		return err
	})
	return out, err
}

// SaveAndPublish saves the text as the draft in lang and publishes it in
// one transaction. Text the readers already see publishes nothing new.
func (s *Service) SaveAndPublish(ctx context.Context, agentID, articleID int64, lang string, in VersionInput) (Version, error) {
	var out Version
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		v, err := s.SaveDraft(ctx, agentID, articleID, lang, in)
		if err != nil || v.PublishedAt != nil {
			out = v
			return err
		}
		out, err = s.Publish(ctx, articleID, lang)
		return err
	})
	return out, err
}

// Version returns one saved version of an article, for a look at an
// earlier text.
func (s *Service) Version(ctx context.Context, articleID, versionID int64) (Version, error) {
	v, err := s.version(ctx, versionID)
	if errors.Is(err, sql.ErrNoRows) || err == nil && v.ArticleID != articleID {
		return Version{}, apperr.NotFoundf("kb.version_not_found", "article %d has no version %d", articleID, versionID)
	}
	return v, err
}

// Restore saves an earlier version's text as the article's new draft in
// that version's language; the history keeps every version, so a restore
// is itself undone by restoring again. Publish makes it what readers see.
func (s *Service) Restore(ctx context.Context, agentID, articleID, versionID int64) (Version, error) {
	var out Version
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		old, err := s.Version(ctx, articleID, versionID)
		if err != nil {
			return err
		}
		out, err = s.SaveDraft(ctx, agentID, articleID, old.Language,
			VersionInput{Title: old.Title, Summary: old.Summary, Body: old.Body, Questions: old.Questions})
		return err
	})
	return out, err
}
