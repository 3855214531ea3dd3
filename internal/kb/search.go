package kb

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sort"
	"sync"
	"time"

	"vigil/internal/db"
)

// Doc is one published article in one language, as the index sees it.
type Doc struct {
	ArticleID  int64
	Slug       string
	CategoryID int64
	Internal   bool
	Language   string
	Title      string
	Summary    string
	Body       string
	Questions  []string
	UpdatedAt  time.Time // when this version was published
}

// Hit is one search result: an article and how well it matched.
type Hit struct {
	ArticleID int64   `json:"article_id"`
	Slug      string  `json:"slug"`
	Language  string  `json:"language"`
	Title     string  `json:"title"`
	Summary   string  `json:"summary"`
	Internal  bool    `json:"internal"`
	Score     float64 `json:"score"`
}

// Index is an in-memory inverted index over titles, summaries, bodies and
// example questions. It is built whole from the database after every
// published change and swapped in atomically; a help center has thousands
// of articles, not millions, so this is simpler and faster than a search
// server, and works the same on SQLite and PostgreSQL.
type Index struct {
	docs     []Doc
	postings map[string][]posting
	// deletes maps each Latin term with one letter removed to the terms it
	// came from (a symmetric-delete dictionary), so a query word one typo
	// away from an indexed word finds it without scanning the vocabulary.
	deletes map[string][]string
	idf     map[string]float32
	// versions lists each article's documents, to show the reader's language;
	// order lists the articles in display order.
	versions map[int64][]int32
	order    []int64
	pool     sync.Pool // []float32 score accumulators, one per doc
}

// scratch is one search's working memory, pooled: a score per document
// and the list of documents that scored.
type scratch struct {
	scores  []float32
	touched []int32
}

type posting struct {
	doc    int32
	weight float32
}

// Field weights: a match in the title says more than one in the body.
const (
	titleWeight    = 3
	questionWeight = 2
	summaryWeight  = 1.5
	bodyWeight     = 1
	// fuzzyPenalty scales matches that needed a typo correction.
	fuzzyPenalty = 0.6
	// minFuzzyLen: shorter words have too many neighbours one edit away.
	minFuzzyLen = 4
)

// Build indexes docs.
func Build(docs []Doc) *Index {
	ix := &Index{docs: docs, postings: map[string][]posting{}, deletes: map[string][]string{}, idf: map[string]float32{},
		versions: map[int64][]int32{}}
	lengths := make([]float64, len(docs))
	tfs := make([]map[string]float64, len(docs))
	var total float64
	for i, d := range docs {
		if _, seen := ix.versions[d.ArticleID]; !seen {
			ix.order = append(ix.order, d.ArticleID)
		}
		ix.versions[d.ArticleID] = append(ix.versions[d.ArticleID], int32(i))
		tf := map[string]float64{}
		add := func(text string, w float64) {
			for _, t := range Terms(text) {
				tf[t] += w
				lengths[i] += w
			}
		}
		add(d.Title, titleWeight)
		add(d.Summary, summaryWeight)
		for _, q := range d.Questions {
			add(q, questionWeight)
		}
		add(d.Body, bodyWeight)
		tfs[i] = tf
		total += lengths[i]
	}
	avg := 1.0
	if len(docs) > 0 && total > 0 {
		avg = total / float64(len(docs))
	}
	// BM25 term weights, with the field weights folded into term frequency.
	const k1, b = 1.2, 0.5
	for i, tf := range tfs {
		norm := k1 * (1 - b + b*lengths[i]/avg)
		for t, f := range tf {
			ix.postings[t] = append(ix.postings[t], posting{doc: int32(i), weight: float32(f * (k1 + 1) / (f + norm))})
		}
	}
	n := float64(len(docs))
	for t, ps := range ix.postings {
		df := float64(len(ps))
		ix.idf[t] = float32(math.Log(1 + (n-df+0.5)/(df+0.5)))
		if !IsHan(t) && len(t) >= minFuzzyLen {
			for _, d := range deletions(t) {
				ix.deletes[d] = append(ix.deletes[d], t)
			}
		}
	}
	ix.pool.New = func() any { return &scratch{scores: make([]float32, len(docs))} }
	return ix
}

// deletions returns w with each single byte removed (words are ASCII
// after Terms, except accented letters, for which a byte cut only
// lowers recall).
func deletions(w string) []string {
	out := make([]string, 0, len(w))
	for i := range len(w) {
		d := w[:i] + w[i+1:]
		if i > 0 && w[i] == w[i-1] {
			continue // "committed" minus either t is the same word
		}
		out = append(out, d)
	}
	return out
}

// SearchOptions narrow a search.
type SearchOptions struct {
	// Language is the reader's language: among an article's versions the
	// one in this language is the result shown.
	Language string
	// Internal includes agent-only articles.
	Internal bool
	Limit    int
}

// Search returns the best matching articles, one hit per article. Each
// query word matches exactly; a Latin word that is not in the index also
// matches indexed words one typo away (a letter missing, extra, wrong or
// two swapped), at a lower weight.
func (ix *Index) Search(query string, o SearchOptions) []Hit {
	if o.Limit <= 0 || o.Limit > 50 {
		o.Limit = 10
	}
	terms := Terms(query)
	if len(terms) == 0 || len(ix.docs) == 0 {
		return []Hit{}
	}
	acc := ix.pool.Get().(*scratch)
	scores := acc.scores
	touched := acc.touched[:0]
	defer func() {
		clear(scores)
		acc.touched = touched[:0]
		ix.pool.Put(acc)
	}()
	addTerm := func(t string, factor float32) {
		idf := ix.idf[t] * factor
		for _, p := range ix.postings[t] {
			if scores[p.doc] == 0 {
				touched = append(touched, p.doc)
			}
			scores[p.doc] += idf * p.weight
		}
	}
	var seen []string
	for _, t := range terms {
		if slices.Contains(seen, t) {
			continue
		}
		seen = append(seen, t)
		if _, ok := ix.postings[t]; ok || IsHan(t) || len(t) < minFuzzyLen {
			addTerm(t, 1)
			continue
		}
		for _, c := range ix.corrections(t) {
			addTerm(c, fuzzyPenalty)
		}
	}
	// Keep the best documents in a small sorted array instead of sorting
	// every match: an article has at most one document per language, so
	// Limit × languages documents hold the best Limit articles.
	k := o.Limit * len(Languages)
	top := make([]int32, 0, k+1)
	for _, i := range touched {
		if ix.docs[i].Internal && !o.Internal {
			continue
		}
		if len(top) == k && scores[i] <= scores[top[k-1]] {
			continue
		}
		at, _ := slices.BinarySearchFunc(top, scores[i], func(d int32, s float32) int {
			if scores[d] > s {
				return -1
			}
			return 1
		})
		top = slices.Insert(top, at, i)
		if len(top) > k {
			top = top[:k]
		}
	}
	// One hit per article, scored by its best-matching version and shown
	// in the reader's language when the article has it.
	hits := make([]Hit, 0, o.Limit)
	for _, i := range top {
		id := ix.docs[i].ArticleID
		if slices.ContainsFunc(hits, func(h Hit) bool { return h.ArticleID == id }) {
			continue
		}
		d := ix.docs[ix.display(id, o.Language)]
		hits = append(hits, Hit{ArticleID: d.ArticleID, Slug: d.Slug, Language: d.Language, Title: d.Title, Summary: d.Summary,
			Internal: d.Internal, Score: math.Round(float64(scores[i])*1000) / 1000})
	}
	sort.Slice(hits, func(i, j int) bool {
		if hits[i].Score != hits[j].Score {
			return hits[i].Score > hits[j].Score
		}
		return hits[i].ArticleID < hits[j].ArticleID
	})
	if len(hits) > o.Limit {
		hits = hits[:o.Limit]
	}
	return hits
}

// display picks the document shown for an article: the reader's language,
// then the fallback language, then whatever there is.
func (ix *Index) display(articleID int64, lang string) int32 {
	vs := ix.versions[articleID]
	for _, l := range append([]string{lang}, Languages...) {
		for _, i := range vs {
			if ix.docs[i].Language == l {
				return i
			}
		}
	}
	return vs[0]
}

// pages lists every indexed article as a reader of lang sees it.
func (ix *Index) pages(lang string, internal bool) []Page {
	out := make([]Page, 0, len(ix.order))
	for _, id := range ix.order {
		d := ix.docs[ix.display(id, lang)]
		if d.Internal && !internal {
			continue
		}
		var langs []string
		for _, i := range ix.versions[id] {
			langs = append(langs, ix.docs[i].Language)
		}
		out = append(out, Page{ArticleID: d.ArticleID, Slug: d.Slug, CategoryID: d.CategoryID, Internal: d.Internal, Requested: lang,
			Language: d.Language, Fallback: d.Language != lang, Title: d.Title, Summary: d.Summary, Body: d.Body, Questions: d.Questions,
			UpdatedAt: d.UpdatedAt, Languages: langs})
	}
	return out
}

// corrections lists indexed words within one edit of t.
func (ix *Index) corrections(t string) []string {
	var out []string
	add := func(c string) {
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	out = append(out, ix.deletes[t]...) // t is missing a letter
	for _, d := range deletions(t) {
		if _, ok := ix.postings[d]; ok { // t has an extra letter
			add(d)
		}
		for _, c := range ix.deletes[d] { // a wrong or swapped letter
			add(c)
		}
	}
	return out
}

// Len is the number of indexed documents.
func (ix *Index) Len() int { return len(ix.docs) }

// Search searches the current index.
func (s *Service) Search(query string, o SearchOptions) []Hit {
	return s.idx.Load().Search(query, o)
}

// Generation changes whenever the published knowledge base changes.
func (s *Service) Generation() uint64 { return s.gen.Load() }

// changed schedules a rebuild of the index once the transaction commits.
func (s *Service) changed(ctx context.Context) {
	// A fresh context: ctx still carries the finished transaction.
	db.AfterCommit(ctx, func() {
		if err := s.Reindex(context.Background()); err != nil {
			s.log.Error("search index not rebuilt; the previous one stays", "component", "kb", "err", err)
		}
	})
}

// Reindex rebuilds the search index from the published articles. It runs
// after every publish, unpublish or article change on this node; a node
// that did not make the change picks it up at its next start (or Reindex
// call).
func (s *Service) Reindex(ctx context.Context) error {
	s.buildMu.Lock()
	defer s.buildMu.Unlock()
	docs, err := s.docs(ctx)
	if err != nil {
		return err
	}
	s.idx.Store(Build(docs))
	s.gen.Add(1)
	return nil
}

// Docs returns every published article version, with agents' marked
// examples added to its questions; the bot trains on the same data.
func (s *Service) Docs(ctx context.Context) ([]Doc, error) { return s.docs(ctx) }

func (s *Service) docs(ctx context.Context) ([]Doc, error) {
	list, err := s.Articles(ctx)
	if err != nil {
		return nil, err
	}
	examples, err := s.examples(ctx)
	if err != nil {
		return nil, err
	}
	var docs []Doc
	for _, a := range list {
		for _, t := range a.Translations {
			v := t.Published
			if v == nil {
				continue
			}
			docs = append(docs, Doc{ArticleID: a.ID, Slug: a.Slug, CategoryID: a.CategoryID, Internal: a.Internal, Language: t.Language,
				Title: v.Title, Summary: v.Summary, Body: v.Body, UpdatedAt: *v.PublishedAt,
				Questions: append(slices.Clone(v.Questions), examples[exampleKey{a.ID, t.Language}]...)})
		}
	}
	return docs, nil
}

type exampleKey struct {
	article int64
	lang    string
}

func (s *Service) examples(ctx context.Context) (map[exampleKey][]string, error) {
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT article_id, language, text FROM kb_examples ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("kb: examples: %w", err)
	}
	defer rows.Close()
	out := map[exampleKey][]string{}
	for rows.Next() {
		var k exampleKey
		var text string
		if err := rows.Scan(&k.article, &k.lang, &text); err != nil {
			return nil, fmt.Errorf("kb: examples: %w", err)
		}
		out[k] = append(out[k], text)
	}
	return out, rows.Err()
}
