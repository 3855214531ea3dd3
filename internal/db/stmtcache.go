package db

import (
	"context"
	"database/sql"
	"sync"
)

// stmtCache keeps prepared statements for a SQLite pool. The pure-Go
// driver parses every query string anew, which was a fifth of the CPU of an
// API request; a prepared statement is parsed once per connection. pgx
// caches statements itself, so PostgreSQL does not use this.
type stmtCache struct {
	db *sql.DB
	mu sync.RWMutex // guards stmts
	// stmts is bounded: queries built from filters have many shapes, and
	// only the first maxCached distinct strings are kept.
	stmts map[string]*sql.Stmt
	// pending holds queries first seen inside a transaction. The writer
	// has one connection, which the transaction holds, so they are
	// prepared after it commits.
	pending map[string]bool
}

const maxCached = 512

func newStmtCache(d *sql.DB) *stmtCache {
	return &stmtCache{db: d, stmts: map[string]*sql.Stmt{}, pending: map[string]bool{}}
}

// cached returns a prepared statement without preparing one; a miss is
// remembered for preparePending.
func (c *stmtCache) cached(query string) *sql.Stmt {
	c.mu.RLock()
	st, ok := c.stmts[query]
	c.mu.RUnlock()
	if ok {
		return st
	}
	c.mu.Lock()
	if len(c.stmts)+len(c.pending) < maxCached {
		c.pending[query] = true
	}
	c.mu.Unlock()
	return nil
}

// preparePending prepares the queries remembered by cached. It runs when
// no transaction holds the writer.
func (c *stmtCache) preparePending(ctx context.Context) {
	c.mu.Lock()
	if len(c.pending) == 0 {
		c.mu.Unlock()
		return
	}
	queries := make([]string, 0, len(c.pending))
	for q := range c.pending {
		queries = append(queries, q)
	}
	clear(c.pending)
	c.mu.Unlock()
	// Preparing waits for the writer connection; the lock is not held
	// meanwhile, because the transaction holding it needs the cache.
	for _, q := range queries {
		st, err := c.db.PrepareContext(ctx, q)
		if err != nil {
			continue
		}
		c.mu.Lock()
		if _, dup := c.stmts[q]; dup {
			st.Close()
		} else {
			c.stmts[q] = st
		}
		c.mu.Unlock()
	}
}

func (c *stmtCache) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	c.mu.RLock()
	st, ok := c.stmts[query]
	c.mu.RUnlock()
	if ok {
		return st, nil
	}
	c.mu.RLock()
	full := len(c.stmts) >= maxCached
	c.mu.RUnlock()
	if full {
		return nil, nil
	}
	st, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if prev, ok := c.stmts[query]; ok {
		st.Close()
		return prev, nil
	}
	c.stmts[query] = st
	return st, nil
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, st := range c.stmts {
		st.Close()
	}
	c.stmts = map[string]*sql.Stmt{}
}

// cachedPool runs queries on a pool through the cache.
type cachedPool struct{ c *stmtCache }

func (p cachedPool) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := p.c.stmt(ctx, query)
	if err != nil || st == nil {
		return p.c.db.ExecContext(ctx, query, args...)
	}
	return st.ExecContext(ctx, args...)
}

func (p cachedPool) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := p.c.stmt(ctx, query)
	if err != nil || st == nil {
		return p.c.db.QueryContext(ctx, query, args...)
	}
	return st.QueryContext(ctx, args...)
}

func (p cachedPool) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := p.c.stmt(ctx, query)
	if err != nil || st == nil {
		return p.c.db.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

// cachedTx runs queries in a transaction with statements prepared on the
// writer; database/sql reuses the writer connection's prepared copy.
type cachedTx struct {
	tx *sql.Tx
	c  *stmtCache
}

func (t cachedTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st := t.c.cached(query)
	if st == nil {
		return t.tx.ExecContext(ctx, query, args...)
	}
	return t.tx.StmtContext(ctx, st).ExecContext(ctx, args...)
}

func (t cachedTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st := t.c.cached(query)
	if st == nil {
		return t.tx.QueryContext(ctx, query, args...)
	}
	return t.tx.StmtContext(ctx, st).QueryContext(ctx, args...)
}

func (t cachedTx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	st := t.c.cached(query)
	if st == nil {
		return t.tx.QueryRowContext(ctx, query, args...)
	}
	return t.tx.StmtContext(ctx, st).QueryRowContext(ctx, args...)
}
