package kb_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"vigil/internal/audit"
	"vigil/internal/db/dbtest"
	"vigil/internal/kb"
)

// Two instances over one database: an article published on one appears in
// the other's search once it follows the change.
func TestFollowPicksUpAnotherInstancesPublish(t *testing.T) {
	d := dbtest.Open(t)
	clk := dbtest.NewClock(t0)
	ctx := audit.WithActor(context.Background(), audit.Actor{Kind: "system"})
	mk := func() *kb.Service { return kb.New(d, audit.New(d, clk.Now), slog.New(slog.DiscardHandler), clk.Now) }
	a, b := mk(), mk()
	if err := b.Reindex(ctx); err != nil {
		t.Fatal(err)
	}
	fctx, stop := context.WithCancel(ctx)
	defer stop()
	go b.Follow(fctx, 20*time.Millisecond)
	time.Sleep(50 * time.Millisecond) // Follow has taken its first fingerprint

	art, err := a.CreateArticle(ctx, kb.ArticleInput{Slug: "withdrawal-delays"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.SaveDraft(ctx, 0, art.ID, "zh", kb.VersionInput{Title: "提现延迟怎么办", Summary: "网络拥堵时提现会延迟。", Body: "请耐心等待。"}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Publish(ctx, art.ID, "zh"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		if hits := b.Search("提现", kb.SearchOptions{Language: "zh"}); len(hits) == 1 && hits[0].Slug == "withdrawal-delays" {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("the other instance's search never found the article published on the first")
}
