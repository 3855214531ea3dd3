package audit

import (
	"context"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"

	"vigil/internal/apperr"
	"vigil/internal/db"
)

// Checkpoint stands for a pruned prefix of the chain: the seq and hash of
// its last entry, signed so that nobody without the secret key can move
// it to hide removed entries.
type Checkpoint struct {
	Seq      int64     `json:"seq"`
	Hash     string    `json:"hash"`
	EntryAt  time.Time `json:"entry_at"`
	PrunedAt time.Time `json:"pruned_at"`
	MAC      string    `json:"mac"`
}

func checkpointKey(secret string) []byte {
	key, err := hkdf.Key(sha256.New, []byte(secret), nil, "vigil audit checkpoint v1", 32)
	if err != nil {
		panic(err) // only for lengths HKDF cannot produce; 32 always works
	}
	return key
}

func (l *Log) sign(cp Checkpoint) string {
	m := hmac.New(sha256.New, l.key)
	for _, f := range []string{strconv.FormatInt(cp.Seq, 10), cp.Hash, strconv.FormatInt(db.Millis(cp.EntryAt), 10),
		strconv.FormatInt(db.Millis(cp.PrunedAt), 10)} {
		fmt.Fprintf(m, "%d:%s;", len(f), f)
	}
	return hex.EncodeToString(m.Sum(nil))
}

func (l *Log) checkCheckpoint(cp Checkpoint) *Break {
	if l.key == nil {
		return &Break{Seq: cp.Seq, Reason: "entries up to here were pruned behind a signed checkpoint; set VIGIL_SECRET_KEY to check it"}
	}
	if !hmac.Equal([]byte(l.sign(cp)), []byte(cp.MAC)) {
		return &Break{Seq: cp.Seq, Reason: "the checkpoint of pruned entries does not match its signature (checkpoint altered)"}
	}
	return nil
}

// LastCheckpoint returns the newest checkpoint; false when nothing was
// ever pruned.
func (l *Log) LastCheckpoint(ctx context.Context) (Checkpoint, bool, error) {
	var cp Checkpoint
	var entryAt, prunedAt int64
	err := l.db.Q(ctx).QueryRowContext(ctx, `SELECT seq, hash, entry_at, pruned_at, mac FROM audit_checkpoints
		ORDER BY seq DESC LIMIT 1`).Scan(&cp.Seq, &cp.Hash, &entryAt, &prunedAt, &cp.MAC)
	if errors.Is(err, sql.ErrNoRows) {
		return Checkpoint{}, false, nil
	}
	if err != nil {
		return Checkpoint{}, false, fmt.Errorf("audit: checkpoint: %w", err)
	}
	cp.EntryAt, cp.PrunedAt = db.Time(entryAt), db.Time(prunedAt)
	return cp, true, nil
}

// Prune deletes the entries recorded before cutoff, after writing a signed
// checkpoint of the last one deleted, and records the pruning as a new
// entry. The newest entry is never pruned, so the chain always has a tip
// to link to. It returns how many entries went.
func (l *Log) Prune(ctx context.Context, cutoff time.Time) (int64, error) {
	if l.key == nil {
		return 0, apperr.New(apperr.Unavailable, "audit.prune_unsigned", "pruning the audit log needs VIGIL_SECRET_KEY to sign its checkpoint")
	}
	var removed int64
	var cp Checkpoint
	err := l.db.WithTx(ctx, func(ctx context.Context) error {
		q := l.db.Q(ctx)
		// The head's row lock keeps writers out while the prefix goes.
		t, err := l.tip(ctx)
		if err != nil {
			return fmt.Errorf("audit: prune: %w", err)
		}
		headSeq := t.seq
		var at int64
		err = q.QueryRowContext(ctx, `SELECT seq, hash, at FROM audit_log WHERE at < $1 AND seq < $2
			ORDER BY seq DESC LIMIT 1`, db.Millis(cutoff), headSeq).Scan(&cp.Seq, &cp.Hash, &at)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("audit: prune: %w", err)
		}
		cp.EntryAt, cp.PrunedAt = db.Time(at), l.now().UTC().Truncate(time.Millisecond)
		cp.MAC = l.sign(cp)
		if _, err := q.ExecContext(ctx, `INSERT INTO audit_checkpoints (seq, hash, entry_at, pruned_at, mac)
			VALUES ($1, $2, $3, $4, $5)`, cp.Seq, cp.Hash, db.Millis(cp.EntryAt), db.Millis(cp.PrunedAt), cp.MAC); err != nil {
			return fmt.Errorf("audit: prune: checkpoint: %w", err)
		}
		res, err := q.ExecContext(ctx, `DELETE FROM audit_log WHERE seq <= $1`, cp.Seq)
		if err != nil {
			return fmt.Errorf("audit: prune: %w", err)
		}
		removed, _ = res.RowsAffected()
		return nil
	})
	if err != nil || removed == 0 {
		return 0, err
	}
	return removed, l.Record(ctx, "audit.prune", "audit", cp.Seq,
		map[string]any{"through_seq": cp.Seq, "through_hash": cp.Hash, "entries": removed})
}
