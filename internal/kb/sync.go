package kb

import (
	"context"
	"fmt"
	"time"
)

// fingerprint summarises what the search index is built from: articles,
// which versions are published, categories and marked examples. Another
// instance's publish changes it.
func (s *Service) fingerprint(ctx context.Context) (string, error) {
	var a, aMax, t, tSum, c, cName, e, eMax int64
	err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT
		(SELECT COUNT(*) FROM kb_articles), (SELECT COALESCE(MAX(updated_at), 0) FROM kb_articles),
		(SELECT COUNT(*) FROM kb_translations), (SELECT COALESCE(SUM(COALESCE(published_id, 0)), 0) FROM kb_translations),
		(SELECT COUNT(*) FROM kb_categories), (SELECT COALESCE(SUM(LENGTH(name_en) + LENGTH(name_zh) + position), 0) FROM kb_categories),
		(SELECT COUNT(*) FROM kb_examples), (SELECT COALESCE(MAX(id), 0) FROM kb_examples)`).
		Scan(&a, &aMax, &t, &tSum, &c, &cName, &e, &eMax)
	if err != nil {
		return "", fmt.Errorf("kb: fingerprint: %w", err)
	}
	return fmt.Sprint(a, aMax, t, tSum, c, cName, e, eMax), nil
}

// Follow rebuilds this instance's index when the help center changed on
// another instance (or in the database by `vigil kb import`), checking
// every interval until ctx ends. A single instance rebuilds on its own
// publishes already; this is what keeps several instances in step.
func (s *Service) Follow(ctx context.Context, every time.Duration) {
	last, _ := s.fingerprint(ctx)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		fp, err := s.fingerprint(ctx)
		if err != nil {
			s.log.Warn("checking the help center for changes failed", "err", err)
			continue
		}
		if fp == last {
			continue
		}
		if err := s.Reindex(ctx); err != nil {
			s.log.Warn("rebuilding the search index failed", "err", err)
			continue
		}
		last = fp
	}
}
