package web_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"vigil/internal/i18n"
	"vigil/internal/kb"
)

// In the Chinese console the import report words each file's mistake in
// Chinese, with its file name, line and field; the English console keeps
// the wording the API and the command line give.
func TestImportErrorsInViewersLanguage(t *testing.T) {
	e := helpEnv(t)
	b := e.supervisor()
	good := []byte("---\nslug: \"staking\"\nlanguage: \"en\"\ntitle: \"How staking works\"\n---\nRewards are paid daily.\n")
	files := map[string][]byte{
		"broken.en.md":   []byte("---\nslug: \"broken\"\nlanguage: \"en\"\ncolour: \"red\"\n---\nBody\n"),
		"position.en.md": []byte("---\nslug: \"pos\"\nlanguage: \"en\"\nposition: first\ntitle: \"x\"\n---\nBody\n"),
		"staking.en.md":  good,
		"staking2.en.md": good,
	}
	tests := []struct {
		lang string
		want []string
	}{
		{"en", []string{`broken.en.md:4: unknown key "colour"`, "position.en.md:4: position must be a whole number",
			"staking.en.md and staking2.en.md are both staking in en"}},
		{"zh", []string{`broken.en.md 第 4 行：未知的键 "colour"`, "position.en.md 第 4 行：position 必须是整数",
			"staking.en.md 和 staking2.en.md 是同一篇文章 staking 的同一语言（en）", "未导入任何内容"}},
	}
	for _, tc := range tests {
		if status, _, _ := b.form("/console/lang", url.Values{"lang": {tc.lang}, "next": {"/console/kb"}}); status != http.StatusSeeOther {
			t.Fatalf("switch to %s: %d", tc.lang, status)
		}
		status, page := b.upload("/console/kb/import", files)
		if status != http.StatusUnprocessableEntity {
			t.Errorf("%s: a bad import answered %d", tc.lang, status)
		}
		page = strings.ReplaceAll(page, "&#34;", `"`)
		for _, want := range tc.want {
			if !strings.Contains(page, want) {
				t.Errorf("%s: the report lacks %q", tc.lang, want)
			}
		}
		if tc.lang == "zh" && strings.Contains(page, "unknown key") {
			t.Error("zh: the report still shows the English detail")
		}
	}

	// A file the import cannot take at all is refused whole, in Chinese too.
	status, page := b.upload("/console/kb/import", map[string][]byte{"notes.txt": []byte("hello")})
	if want := "notes.txt 既不是 .md 文件，也不是 .zip 压缩包"; status != http.StatusUnprocessableEntity || !strings.Contains(page, want) {
		t.Errorf("zh: a .txt upload: %d, lacks %q", status, want)
	}

	// The command line and the API keep the English message.
	_, err := kb.ParseFile("broken.en.md", files["broken.en.md"])
	if err == nil || err.Error() != `broken.en.md:4: unknown key "colour"` {
		t.Errorf("ParseFile error = %v", err)
	}
	zh := i18n.Keys("zh")
	for _, code := range kb.FileCodes {
		if !i18n.Has(code) || !slices.Contains(zh, code) {
			t.Errorf("%s is not in the catalogue in English and Chinese", code)
		}
	}
}
