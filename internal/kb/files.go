package kb

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"vigil/internal/apperr"
)

// File is one article translation as a Markdown file with front matter,
// the form an exchange keeps its help center in git:
//
//	---
//	slug: "withdrawal-pending"
//	language: "en"
//	category: "withdrawals"
//	category_name: "Withdrawals"
//	status: "published"
//	title: "Why is my withdrawal pending?"
//	questions:
//	  - "Where is my withdrawal?"
//	---
//	Markdown body…
//
// Values are double-quoted with Go/JSON escapes, which YAML reads as well.
type File struct {
	Slug         string
	Language     string
	Category     string
	CategoryName string
	Position     int
	Internal     bool
	Status       string // "published" or "draft"
	Version      VersionInput
}

// Name is the file's name in a directory: slug.language.md.
func (f File) Name() string { return f.Slug + "." + f.Language + ".md" }

// Marshal writes the file.
func (f File) Marshal() []byte {
	var b strings.Builder
	b.WriteString("---\n")
	kv := func(k, v string) { fmt.Fprintf(&b, "%s: %s\n", k, strconv.Quote(v)) }
	kv("slug", f.Slug)
	kv("language", f.Language)
	if f.Category != "" {
		kv("category", f.Category)
		kv("category_name", f.CategoryName)
	}
	fmt.Fprintf(&b, "position: %d\n", f.Position)
	fmt.Fprintf(&b, "internal: %t\n", f.Internal)
	kv("status", f.Status)
	kv("title", f.Version.Title)
	if f.Version.Summary != "" {
		kv("summary", f.Version.Summary)
	}
	if len(f.Version.Questions) > 0 {
		b.WriteString("questions:\n")
		for _, q := range f.Version.Questions {
			fmt.Fprintf(&b, "  - %s\n", strconv.Quote(q))
		}
	}
	b.WriteString("---\n")
	b.WriteString(f.Version.Body)
	b.WriteString("\n")
	return []byte(b.String())
}

// ParseFile reads a file written by Marshal or by hand. Unquoted values
// are taken as they stand; unknown keys are an error, so a typo in a key
// does not silently lose a field.
func ParseFile(name string, data []byte) (File, error) {
	bad := func(line int, code, format string, args ...any) error {
		return lineError(name, line, code, format, args...)
	}
	text := strings.ReplaceAll(string(data), "\r\n", "\n")
	rest, ok := strings.CutPrefix(text, "---\n")
	if !ok {
		return File{}, bad(1, "kb.file.no_front_matter", "must start with a --- front matter line")
	}
	head, body, ok := strings.Cut(rest, "\n---\n")
	if !ok {
		if head, ok = strings.CutSuffix(rest, "\n---"); !ok {
			return File{}, bad(1, "kb.file.no_closing", "front matter has no closing --- line")
		}
	}
	f := File{Status: "published"}
	f.Version.Body = strings.TrimSpace(body)
	inQuestions := false
	sc := bufio.NewScanner(strings.NewReader(head))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 2; sc.Scan(); n++ {
		line := sc.Text()
		if strings.TrimSpace(line) == "" || strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		if item, ok := strings.CutPrefix(strings.TrimSpace(line), "- "); ok && inQuestions && line[0] == ' ' {
			v, ok := value(item)
			if !ok {
				return File{}, bad(n, "kb.file.bad_quote", "bad quoted value %s", item)
			}
			f.Version.Questions = append(f.Version.Questions, v)
			continue
		}
		key, raw, ok := strings.Cut(line, ":")
		if !ok {
			return File{}, bad(n, "kb.file.expected_key", "expected key: value")
		}
		inQuestions = false
		v, ok := value(strings.TrimSpace(raw))
		if !ok {
			return File{}, bad(n, "kb.file.bad_quote", "bad quoted value %s", strings.TrimSpace(raw))
		}
		var err error
		switch strings.TrimSpace(key) {
		case "slug":
			f.Slug = v
		case "language":
			f.Language = v
		case "category":
			f.Category = v
		case "category_name":
			f.CategoryName = v
		case "position":
			if f.Position, err = strconv.Atoi(v); err != nil {
				return File{}, bad(n, "kb.file.whole_number", "%s must be a whole number", "position")
			}
		case "internal":
			if f.Internal, err = strconv.ParseBool(v); err != nil {
				return File{}, bad(n, "kb.file.true_false", "%s must be true or false", "internal")
			}
		case "status":
			if v != "published" && v != "draft" {
				return File{}, bad(n, "kb.file.status", `%s must be "published" or "draft"`, "status")
			}
			f.Status = v
		case "title":
			f.Version.Title = v
		case "summary":
			f.Version.Summary = v
		case "questions":
			inQuestions = true
		default:
			return File{}, bad(n, "kb.file.unknown_key", "unknown key %q", key)
		}
	}
	if f.Slug == "" || f.Language == "" {
		return File{}, bad(1, "kb.file.required", "slug and language are required")
	}
	return f, nil
}

// value reads a front-matter value, quoted or not; false is a quoted
// value that does not unquote.
func value(raw string) (string, bool) {
	if strings.HasPrefix(raw, `"`) {
		v, err := strconv.Unquote(raw)
		return v, err == nil
	}
	return raw, true
}

// Export writes every article translation that has text (its published
// version, or its draft when never published) as files in dir.
func (s *Service) Export(ctx context.Context, dir string) (int, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, fmt.Errorf("kb: export: %w", err)
	}
	files, err := s.Files(ctx)
	if err != nil {
		return 0, err
	}
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(dir, f.Name()), f.Marshal(), 0o644); err != nil {
			return 0, fmt.Errorf("kb: export: %w", err)
		}
	}
	return len(files), nil
}

// Files returns the knowledge base as files, in name order. A translation
// with a draft newer than its published version exports the draft with
// status "draft" only when nothing is published: git holds what readers
// see.
func (s *Service) Files(ctx context.Context) ([]File, error) {
	cats, err := s.Categories(ctx)
	if err != nil {
		return nil, err
	}
	catByID := map[int64]Category{}
	for _, c := range cats {
		catByID[c.ID] = c
	}
	list, err := s.Articles(ctx)
	if err != nil {
		return nil, err
	}
	var out []File
	for _, a := range list {
		for _, t := range a.Translations {
			v, status := t.Published, "published"
			if v == nil {
				v, status = t.Draft, "draft"
			}
			if v == nil {
				continue
			}
			f := File{Slug: a.Slug, Language: t.Language, Position: a.Position, Internal: a.Internal, Status: status,
				Version: VersionInput{Title: v.Title, Summary: v.Summary, Body: v.Body, Questions: v.Questions}}
			if c, ok := catByID[a.CategoryID]; ok {
				f.Category, f.CategoryName = c.Slug, c.Name(t.Language)
			}
			out = append(out, f)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name() < out[j].Name() })
	return out, nil
}

// ImportResult counts what an import changed.
type ImportResult struct {
	Files     int
	Versions  int // new versions written
	Published int
}

// Import reads every *.md file in dir and brings the knowledge base in
// line with it: missing categories and articles are created, changed text
// becomes a new version (published when the file says so), unchanged text
// writes nothing, so importing the same directory twice is harmless. All
// files are checked before anything is written; a bad file stops the
// import with its name and line (ImportFiles reports every one).
func (s *Service) Import(ctx context.Context, agentID int64, dir string) (ImportResult, error) {
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return ImportResult{}, apperr.Invalidf("kb.import_dir", "%s is not a directory", dir)
	}
	names, err := filepath.Glob(filepath.Join(dir, "*.md"))
	if err != nil {
		return ImportResult{}, fmt.Errorf("kb: import: %w", err)
	}
	var uploads []Upload
	for _, name := range names {
		data, err := os.ReadFile(name)
		if err != nil {
			return ImportResult{}, fmt.Errorf("kb: import: %w", err)
		}
		uploads = append(uploads, Upload{Name: filepath.Base(name), Data: data})
	}
	rep, err := s.ImportFiles(ctx, agentID, uploads)
	if err != nil {
		return ImportResult{}, err
	}
	for _, f := range rep.Files {
		if f.Err != nil {
			return ImportResult{}, f.Err
		}
	}
	return rep.ImportResult, nil
}

// importFile writes one file and says what it did: "created",
// "updated", "published" or "unchanged".
func (s *Service) importFile(ctx context.Context, agentID int64, f File, res *ImportResult) (string, error) {
	var catID int64
	if f.Category != "" {
		c, err := s.CategoryBySlug(ctx, f.Category)
		name := f.CategoryName
		if name == "" {
			name = f.Category
		}
		switch {
		case apperr.Is(err, apperr.NotFound):
			if f.Language != "en" {
				c, err = s.CreateCategory(ctx, CategoryInput{Slug: f.Category, Names: map[string]string{"en": f.Category, f.Language: name}})
			} else {
				c, err = s.CreateCategory(ctx, CategoryInput{Slug: f.Category, Names: map[string]string{"en": name}})
			}
		case err == nil && c.Names[f.Language] != name:
			c.Names[f.Language] = name
			c, err = s.UpdateCategory(ctx, c.ID, CategoryInput{Slug: c.Slug, Position: c.Position, Names: c.Names})
		}
		if err != nil {
			return "", err
		}
		catID = c.ID
	}
	in := ArticleInput{Slug: f.Slug, CategoryID: catID, Internal: f.Internal, Position: f.Position}
	outcome := "unchanged"
	a, err := s.ArticleBySlug(ctx, f.Slug)
	switch {
	case apperr.Is(err, apperr.NotFound):
		a, err = s.CreateArticle(ctx, in)
		outcome = "created"
	case err == nil && (a.CategoryID != catID || a.Internal != f.Internal || a.Position != f.Position):
		a, err = s.UpdateArticle(ctx, a.ID, in)
		outcome = "updated"
	}
	if err != nil {
		return "", err
	}
	before := a.translation(f.Language)
	v, err := s.SaveDraft(ctx, agentID, a.ID, f.Language, f.Version)
	if err != nil {
		return "", err
	}
	if (before.Draft == nil || v.ID != before.Draft.ID) && (before.Published == nil || v.ID != before.Published.ID) {
		res.Versions++
		if outcome == "unchanged" {
			outcome = "updated"
		}
	}
	if f.Status == "published" && v.PublishedAt == nil {
		if _, err := s.Publish(ctx, a.ID, f.Language); err != nil {
			return "", err
		}
		res.Published++
		if outcome != "created" {
			outcome = "published"
		}
	}
	return outcome, nil
}
