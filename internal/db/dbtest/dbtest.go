// Package dbtest gives each test a fresh, migrated database: a SQLite file
// in a temporary directory, or a private PostgreSQL schema when
// VIGIL_TEST_DATABASE_URL is set, so the same tests run on both.
package dbtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	"vigil/internal/db"
)

// Open returns a migrated database that is removed when the test ends.
func Open(tb testing.TB) *db.DB {
	tb.Helper()
	ctx := context.Background()
	opts := db.Options{DataDir: tb.TempDir()}
	if base := os.Getenv("VIGIL_TEST_DATABASE_URL"); base != "" {
		opts.URL = freshSchema(tb, base)
	}
	d, err := db.Open(ctx, opts)
	if err != nil {
		tb.Fatalf("open test database: %v", err)
	}
	tb.Cleanup(func() { d.Close() })
	if _, err := d.Migrate(ctx); err != nil {
		tb.Fatalf("migrate test database: %v", err)
	}
	return d
}

// URL returns a database URL for a fresh database that a separate process
// (a vigil binary under test) can open: a PostgreSQL schema when
// VIGIL_TEST_DATABASE_URL is set, otherwise "" (SQLite in the data dir).
func URL(tb testing.TB) string {
	tb.Helper()
	if base := os.Getenv("VIGIL_TEST_DATABASE_URL"); base != "" {
		return freshSchema(tb, base)
	}
	return ""
}

func freshSchema(tb testing.TB, base string) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "t_" + hex.EncodeToString(b[:])
	admin, err := sql.Open("pgx", base)
	if err != nil {
		tb.Fatalf("open %s: %v", "VIGIL_TEST_DATABASE_URL", err)
	}
	defer admin.Close()
	if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
		tb.Fatalf("create test schema: %v", err)
	}
	tb.Cleanup(func() {
		a, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer a.Close()
		_, _ = a.Exec(`DROP SCHEMA ` + schema + ` CASCADE`)
	})
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatalf("parse VIGIL_TEST_DATABASE_URL: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
