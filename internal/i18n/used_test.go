package i18n

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// usedKey finds literal catalogue keys in calls such as i18n.T(lang,
// "bot.name"), p.T("console.saved") and t("help.title").
// templateKey finds {{.T "console.saved"}} and {{$.T "…" …}} in templates.
var templateKey = regexp.MustCompile(`\.T "([a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+)"`)

var usedKey = regexp.MustCompile(`\bT\((?:[A-Za-z_.]+(?:\([^()]*\))?, )?"([a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+)"\s*[,)]`)

// Every key the code asks for by name is in the catalogue in both
// languages: a missing one would show its name to a customer.
func TestEveryUsedKeyExists(t *testing.T) {
	root := filepath.Join("..")
	seen := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(path, "_test.go") {
			return err
		}
		re := usedKey
		switch {
		case strings.HasSuffix(path, ".html"):
			re = templateKey
		case !strings.HasSuffix(path, ".go"):
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range re.FindAllStringSubmatch(string(src), -1) {
			seen++
			if !Has(m[1]) {
				t.Errorf("%s asks for %q, which the catalogue lacks", path, m[1])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if seen < 50 {
		t.Fatalf("found only %d keys in use; the pattern is broken", seen)
	}
}
