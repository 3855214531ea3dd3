package db

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func openGroupTest(t *testing.T) *DB {
	t.Helper()
	d, err := Open(context.Background(), Options{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	err = d.WithTx(context.Background(), func(ctx context.Context) error {
		_, err := d.Q(ctx).ExecContext(ctx, `CREATE TABLE items (id INTEGER PRIMARY KEY, note TEXT NOT NULL)`)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func (d *DB) itemIDs(t *testing.T) map[int]bool {
	t.Helper()
	rows, err := d.Q(context.Background()).QueryContext(context.Background(), `SELECT id FROM items`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	ids := map[int]bool{}
	for rows.Next() {
		var id int
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids[id] = true
	}
	return ids
}

var errRefused = errors.New("refused")

// TestGroupTx: concurrent callers share commits, yet each sees only its own
// error, and a failed call leaves neither rows nor AfterCommit calls.
func TestGroupTx(t *testing.T) {
	d := openGroupTest(t)
	const n = 200
	var hooks atomic.Int64
	var mu sync.Mutex
	txs := map[any]int{}
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = d.WithGroupTx(context.Background(), func(ctx context.Context) error {
				mu.Lock()
				txs[ctx.Value(txKey{})]++
				mu.Unlock()
				// A nested WithTx joins the shared transaction.
				err := d.WithTx(ctx, func(ctx context.Context) error {
					_, err := d.Q(ctx).ExecContext(ctx, `INSERT INTO items (id, note) VALUES ($1, $2)`, i, fmt.Sprint("call ", i))
					return err
				})
				if err != nil {
					return err
				}
				AfterCommit(ctx, func() { hooks.Add(1) })
				time.Sleep(100 * time.Microsecond) // let others queue up
				if i%5 == 0 {
					return fmt.Errorf("call %d: %w", i, errRefused)
				}
				return nil
			})
		}()
	}
	wg.Wait()
	ids := d.itemIDs(t)
	for i, err := range errs {
		switch {
		case i%5 == 0 && !errors.Is(err, errRefused):
			t.Errorf("call %d: err = %v, want its own refusal", i, err)
		case i%5 != 0 && err != nil:
			t.Errorf("call %d: err = %v, want nil", i, err)
		}
		if ids[i] != (i%5 != 0) {
			t.Errorf("call %d: row stored = %v, want %v", i, ids[i], i%5 != 0)
		}
	}
	if want := int64(n - n/5); hooks.Load() != want {
		t.Errorf("AfterCommit ran %d times, want %d (successful calls only)", hooks.Load(), want)
	}
	if len(txs) >= n {
		t.Errorf("%d calls used %d transactions; want some shared", n, len(txs))
	}
}

// TestGroupTxPanic: a panic reaches the caller whose fn panicked; the
// others commit, and the group keeps working afterwards.
func TestGroupTxPanic(t *testing.T) {
	d := openGroupTest(t)
	const n = 40
	panics := make([]any, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { panics[i] = recover() }()
			errs[i] = d.WithGroupTx(context.Background(), func(ctx context.Context) error {
				if _, err := d.Q(ctx).ExecContext(ctx, `INSERT INTO items (id, note) VALUES ($1, 'x')`, i); err != nil {
					return err
				}
				time.Sleep(100 * time.Microsecond)
				if i == 7 {
					panic("boom")
				}
				return nil
			})
		}()
	}
	wg.Wait()
	ids := d.itemIDs(t)
	for i := range n {
		if want := any(nil); i == 7 {
			if panics[i] != "boom" || ids[i] {
				t.Errorf("call 7: panic %v, row stored %v; want the panic and no row", panics[i], ids[i])
			}
		} else if panics[i] != want || errs[i] != nil || !ids[i] {
			t.Errorf("call %d: panic %v, err %v, row stored %v; want a stored row", i, panics[i], errs[i], ids[i])
		}
	}
	done := make(chan error, 1)
	go func() {
		done <- d.WithGroupTx(context.Background(), func(ctx context.Context) error {
			_, err := d.Q(ctx).ExecContext(ctx, `INSERT INTO items (id, note) VALUES (1000, 'after')`)
			return err
		})
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("call after the panic: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("call after the panic never ran: the group lost its leader")
	}
}

// TestGroupTxCancelled: a call whose context has ended runs nothing.
func TestGroupTxCancelled(t *testing.T) {
	d := openGroupTest(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ran := false
	err := d.WithGroupTx(ctx, func(ctx context.Context) error { ran = true; return nil })
	if !errors.Is(err, context.Canceled) || ran {
		t.Errorf("err = %v, ran = %v; want context.Canceled and fn not run", err, ran)
	}
}

type counterKey struct{}

// TestGroupTxValuesAndBeforeCommit: what a call keeps for the transaction
// (TxValue) and the BeforeCommit work it schedules go with its savepoint
// when it fails, so the flushed total counts only the calls that stored a
// row; a failing BeforeCommit rolls everything back.
func TestGroupTxValuesAndBeforeCommit(t *testing.T) {
	d := openGroupTest(t)
	ctx := context.Background()
	if err := d.WithTx(ctx, func(ctx context.Context) error {
		_, err := d.Q(ctx).ExecContext(ctx, `CREATE TABLE totals (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	const n = 120
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			_ = d.WithGroupTx(ctx, func(ctx context.Context) error {
				if _, err := d.Q(ctx).ExecContext(ctx, `INSERT INTO items (id, note) VALUES ($1, 'x')`, i); err != nil {
					return err
				}
				count, seen := TxValue(ctx, counterKey{}).(int)
				if !seen {
					if err := BeforeCommit(ctx, func(ctx context.Context) error {
						total, _ := TxValue(ctx, counterKey{}).(int)
						_, err := d.Q(ctx).ExecContext(ctx, `INSERT INTO totals (n) VALUES ($1)`, total)
						return err
					}); err != nil {
						return err
					}
				}
				SetTxValue(ctx, counterKey{}, count+1)
				time.Sleep(50 * time.Microsecond)
				if i%4 == 0 {
					return errRefused
				}
				return nil
			})
		})
	}
	wg.Wait()
	var sum, rows int
	if err := d.Q(ctx).QueryRowContext(ctx, `SELECT COALESCE(SUM(n), 0), COUNT(*) FROM totals`).Scan(&sum, &rows); err != nil {
		t.Fatal(err)
	}
	if want := len(d.itemIDs(t)); sum != want || want != n-n/4 {
		t.Errorf("flushed totals add up to %d, rows stored %d, want both %d", sum, want, n-n/4)
	}
	if rows >= n-n/4 {
		t.Errorf("%d flushes for %d calls: want one per shared transaction", rows, n-n/4)
	}

	err := d.WithTx(ctx, func(ctx context.Context) error {
		if _, err := d.Q(ctx).ExecContext(ctx, `INSERT INTO items (id, note) VALUES (1000, 'kept?')`); err != nil {
			return err
		}
		return BeforeCommit(ctx, func(context.Context) error { return errRefused })
	})
	if !errors.Is(err, errRefused) || d.itemIDs(t)[1000] {
		t.Errorf("failing BeforeCommit: err = %v, row stored = %v; want the refusal and no row", err, d.itemIDs(t)[1000])
	}
}
