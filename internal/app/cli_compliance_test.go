package app

import (
	"archive/zip"
	"io"
	"path/filepath"
	"strings"
	"testing"
)

func TestCustomerExportAndRetentionCommands(t *testing.T) {
	env := testEnv(t, map[string]string{"VIGIL_SECRET_KEY": "0123456789abcdef0123456789abcdef",
		"VIGIL_RETENTION_MESSAGES": "1d", "VIGIL_RETENTION_AUDIT": "30d"})
	if code, _, errs := run(t, env, "", "demo"); code != 0 {
		t.Fatalf("demo: %d %s", code, errs)
	}
	dir := t.TempDir()
	code, out, errs := run(t, env, "", "customer", "export", "U10000001", dir)
	if code != 0 || !strings.Contains(out, "exported customer") {
		t.Fatalf("export: %d %q %q", code, out, errs)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "customer-*.zip"))
	if len(files) != 1 {
		t.Fatalf("archives: %v", files)
	}
	zr, err := zip.OpenReader(files[0])
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var names []string
	var profile string
	for _, f := range zr.File {
		names = append(names, f.Name)
		if f.Name == "customer.json" {
			r, _ := f.Open()
			b, _ := io.ReadAll(r)
			r.Close()
			profile = string(b)
		}
	}
	if !strings.Contains(profile, "alice@example.com") || !strings.Contains(strings.Join(names, " "), "conversations.json") {
		t.Fatalf("archive %v, customer.json %s", names, profile)
	}
	if code, _, errs := run(t, env, "", "customer", "export", "U-nobody", dir); code != 1 || !strings.Contains(errs, "no customer") {
		t.Fatalf("unknown customer: %d %q", code, errs)
	}
	if code, _, _ := run(t, env, "", "customer", "erase"); code != 1 {
		t.Fatalf("bad usage accepted")
	}
	// Demo conversations are fresh: nothing is old enough to go yet.
	code, out, errs = run(t, env, "", "retention", "run")
	if code != 0 || !strings.Contains(out, "retention: 0 conversations emptied") {
		t.Fatalf("retention run: %d %q %q", code, out, errs)
	}
	if code, out, _ := run(t, env, "", "audit", "verify"); code != 0 || !strings.Contains(out, "intact") {
		t.Fatalf("audit verify after retention: %d %q", code, out)
	}
}
