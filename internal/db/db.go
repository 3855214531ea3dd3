// Package db opens the database (SQLite or PostgreSQL), applies migrations
// and carries transactions in a context so domain calls compose inside one.
package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	_ "modernc.org/sqlite"             // registers the "sqlite" driver
)

// Dialect names the SQL flavour behind a DB.
type Dialect string

const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// Querier is what both *sql.DB and *sql.Tx offer; stores take it from Q.
type Querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// DB is the application's handle on storage. On SQLite writes go through a
// single connection (SQLite has one writer anyway, and queueing in Go is
// cheaper than spinning on SQLITE_BUSY); reads use a pool.
type DB struct {
	Dialect Dialect
	write   *sql.DB
	read    *sql.DB
	// Statement caches, SQLite only (nil on PostgreSQL).
	writeStmts *stmtCache
	readStmts  *stmtCache
	// group batches WithGroupTx calls (SQLite only; nil on PostgreSQL).
	group *group
}

// Options select the database.
type Options struct {
	URL     string // postgres://... ; empty means SQLite in DataDir
	DataDir string
	// MemoryName opens a private in-memory SQLite database (tests).
	MemoryName string
}

// Open connects and checks the connection; it does not migrate.
func Open(ctx context.Context, o Options) (*DB, error) {
	switch {
	case strings.HasPrefix(o.URL, "postgres://"), strings.HasPrefix(o.URL, "postgresql://"):
		return openPostgres(ctx, o.URL)
	case o.URL == "" || strings.HasPrefix(o.URL, "sqlite:"):
		path := strings.TrimPrefix(o.URL, "sqlite:")
		if path == "" && o.MemoryName == "" {
			if o.DataDir == "" {
				return nil, errors.New("db: data dir is empty")
			}
			if err := os.MkdirAll(o.DataDir, 0o750); err != nil {
				return nil, fmt.Errorf("db: create data dir: %w", err)
			}
			path = filepath.Join(o.DataDir, "vigil.db")
		}
		return openSQLite(ctx, path, o.MemoryName)
	default:
		return nil, fmt.Errorf("db: unsupported database URL scheme in %q (want postgres:// or sqlite:)", redact(o.URL))
	}
}

func openSQLite(ctx context.Context, path, memory string) (*DB, error) {
	pragmas := "_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_pragma=journal_mode(WAL)&_txlock=immediate"
	dsn := "file:" + path + "?" + pragmas
	if memory != "" {
		// A shared-cache in-memory database shared by the pools of this DB only.
		dsn = "file:" + memory + "?mode=memory&cache=shared&" + strings.Replace(pragmas, "&_pragma=journal_mode(WAL)", "", 1)
	}
	w, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("db: open sqlite: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	r := w
	if memory == "" {
		r, err = sql.Open("sqlite", dsn)
		if err != nil {
			return nil, fmt.Errorf("db: open sqlite: %w", err)
		}
		r.SetMaxOpenConns(8)
		r.SetMaxIdleConns(8)
	}
	d := &DB{Dialect: SQLite, write: w, read: r, writeStmts: newStmtCache(w), readStmts: newStmtCache(r)}
	if r == w {
		d.readStmts = d.writeStmts
	}
	d.group = &group{d: d}
	if err := d.ping(ctx); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

func openPostgres(ctx context.Context, url string) (*DB, error) {
	p, err := sql.Open("pgx", url)
	if err != nil {
		return nil, fmt.Errorf("db: open postgres: %w", err)
	}
	p.SetMaxOpenConns(32)
	p.SetMaxIdleConns(16)
	p.SetConnMaxIdleTime(5 * time.Minute)
	d := &DB{Dialect: Postgres, write: p, read: p}
	if err := d.ping(ctx); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

func (d *DB) ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := d.write.PingContext(ctx); err != nil {
		return fmt.Errorf("db: connect to %s: %w", d.Dialect, err)
	}
	return nil
}

// Ping reports whether the database answers; /readyz uses it.
func (d *DB) Ping(ctx context.Context) error { return d.ping(ctx) }

// Close closes the pools.
func (d *DB) Close() error {
	if d.writeStmts != nil {
		d.writeStmts.close()
		d.readStmts.close()
	}
	err := d.write.Close()
	if d.read != d.write {
		err = errors.Join(err, d.read.Close())
	}
	return err
}

// Stats exposes pool statistics for metrics.
func (d *DB) Stats() sql.DBStats { return d.write.Stats() }

type txKey struct{}

type txState struct {
	tx           *sql.Tx
	afterCommit  []func()
	beforeCommit []func(context.Context) error
	// values are what packages keep for the length of the transaction
	// (TxValue). A group call rolled back to its savepoint gets them back
	// as they were when it began.
	values map[any]any
}

// mark is what a savepoint restores: the values and hooks as they were.
type mark struct {
	after, before int
	values        map[any]any
}

func (s *txState) mark() mark {
	m := mark{after: len(s.afterCommit), before: len(s.beforeCommit)}
	if len(s.values) > 0 {
		m.values = maps.Clone(s.values)
	}
	return m
}

func (s *txState) restore(m mark) {
	s.afterCommit, s.beforeCommit, s.values = s.afterCommit[:m.after], s.beforeCommit[:m.before], m.values
}

// finish runs the BeforeCommit functions in order; the first error stops
// them and the transaction must be rolled back.
func (s *txState) finish(ctx context.Context) error {
	for _, f := range s.beforeCommit {
		if err := f(context.WithValue(ctx, txKey{}, s)); err != nil {
			return err
		}
	}
	return nil
}

// Q returns the transaction carried by ctx, or the read pool. Writes belong
// inside WithTx.
func (d *DB) Q(ctx context.Context) Querier {
	if s, ok := ctx.Value(txKey{}).(*txState); ok {
		if d.writeStmts != nil {
			return cachedTx{tx: s.tx, c: d.writeStmts}
		}
		return s.tx
	}
	if d.readStmts != nil {
		return cachedPool{c: d.readStmts}
	}
	return d.read
}

// WithTx runs fn in a transaction carried by the context passed to fn. A
// nested call reuses the outer transaction. Functions registered with
// AfterCommit run once the outermost transaction has committed.
func (d *DB) WithTx(ctx context.Context, fn func(ctx context.Context) error) (err error) {
	if _, ok := ctx.Value(txKey{}).(*txState); ok {
		return fn(ctx)
	}
	tx, err := d.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("db: begin: %w", err)
	}
	s := &txState{tx: tx}
	defer func() {
		if p := recover(); p != nil {
			_ = tx.Rollback()
			panic(p)
		}
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	if err = fn(context.WithValue(ctx, txKey{}, s)); err != nil {
		return err
	}
	if err = s.finish(ctx); err != nil {
		return err
	}
	if err = tx.Commit(); err != nil {
		return fmt.Errorf("db: commit: %w", err)
	}
	if d.writeStmts != nil {
		d.writeStmts.preparePending(ctx)
	}
	for _, f := range s.afterCommit {
		f()
	}
	return nil
}

// AfterCommit schedules f to run after the transaction in ctx commits, or
// at once when ctx carries no transaction. Events are published this way.
func AfterCommit(ctx context.Context, f func()) {
	if s, ok := ctx.Value(txKey{}).(*txState); ok {
		s.afterCommit = append(s.afterCommit, f)
		return
	}
	f()
}

// BeforeCommit schedules f to run in the transaction in ctx just before it
// commits, after everything else the transaction does; an error from f
// rolls the transaction back. A package that batches its writes over a
// transaction (the audit chain's tip) flushes them this way. Without a
// transaction in ctx, f runs at once.
func BeforeCommit(ctx context.Context, f func(ctx context.Context) error) error {
	if s, ok := ctx.Value(txKey{}).(*txState); ok {
		s.beforeCommit = append(s.beforeCommit, f)
		return nil
	}
	return f(ctx)
}

// TxValue returns what SetTxValue stored under key in the transaction in
// ctx, or nil.
func TxValue(ctx context.Context, key any) any {
	if s, ok := ctx.Value(txKey{}).(*txState); ok {
		return s.values[key]
	}
	return nil
}

// SetTxValue keeps v under key until the transaction in ctx ends; it does
// nothing without a transaction. Store values, not pointers to what changes
// later: a rollback to a savepoint restores the earlier value.
func SetTxValue(ctx context.Context, key, v any) {
	if s, ok := ctx.Value(txKey{}).(*txState); ok {
		if s.values == nil {
			s.values = map[any]any{}
		}
		s.values[key] = v
	}
}

// InTx reports whether ctx carries a transaction.
func InTx(ctx context.Context) bool {
	_, ok := ctx.Value(txKey{}).(*txState)
	return ok
}

// IsUniqueViolation reports whether err is a unique-constraint failure on
// either database.
func IsUniqueViolation(err error) bool {
	if err == nil {
		return false
	}
	s := err.Error()
	return strings.Contains(s, "UNIQUE constraint failed") || strings.Contains(s, "SQLSTATE 23505")
}

// IsForeignKeyViolation reports whether err is a foreign-key failure.
func IsForeignKeyViolation(err error) bool {
	if err == nil {
		return false
	}
	s := err.Error()
	return strings.Contains(s, "FOREIGN KEY constraint failed") || strings.Contains(s, "SQLSTATE 23503")
}

func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "<unparseable>"
	}
	return u.Redacted()
}

// Millis converts a time to the integer milliseconds stored in every
// timestamp column; both databases share that representation.
func Millis(t time.Time) int64 { return t.UnixMilli() }

// Time converts stored milliseconds back to a UTC time.
func Time(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

// NullTime converts a nullable column to a time pointer.
func NullTime(n sql.NullInt64) *time.Time {
	if !n.Valid {
		return nil
	}
	t := Time(n.Int64)
	return &t
}

// NullMillis converts an optional time for storage.
func NullMillis(t *time.Time) sql.NullInt64 {
	if t == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixMilli(), Valid: true}
}

// NullID converts an optional id for storage (0 means none).
func NullID(id int64) sql.NullInt64 { return sql.NullInt64{Int64: id, Valid: id != 0} }

// Lock keys for cluster-wide locks (PostgreSQL advisory locks).
const (
	LockRouting   int64 = 0x76_69_67_01 // one instance assigns at a time
	LockRetention int64 = 0x76_69_67_02 // one instance runs retention at a time
)

// TryLock takes a cluster-wide lock if no other instance holds it; release
// gives it back. On SQLite, with a single process, it always succeeds.
// On PostgreSQL it is a session advisory lock held on a connection of its
// own, so it also ends if this process dies.
func (d *DB) TryLock(ctx context.Context, key int64) (release func(), ok bool, err error) {
	if d.Dialect != Postgres {
		return func() {}, true, nil
	}
	conn, err := d.write.Conn(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("db: lock connection: %w", err)
	}
	if err := conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock($1)`, key).Scan(&ok); err != nil || !ok {
		conn.Close()
		if err != nil {
			err = fmt.Errorf("db: try lock: %w", err)
		}
		return nil, false, err
	}
	return func() {
		_, _ = conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, key)
		conn.Close()
	}, true, nil
}
