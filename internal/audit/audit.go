// Package audit keeps the append-only, hash-chained record of who did what.
// Entries are written inside the caller's transaction, so a change and its
// audit entry commit together or not at all.
package audit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"vigil/internal/db"
)

// Actor is who caused a change. It travels in the request context.
type Actor struct {
	Kind string // "agent", "customer", "system", "anonymous", "token"
	ID   int64
	IP   string
}

type actorKey struct{}

// WithActor returns ctx carrying the actor for audit entries.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom returns the actor carried by ctx, or the system actor.
func ActorFrom(ctx context.Context) Actor {
	if a, ok := ctx.Value(actorKey{}).(Actor); ok {
		return a
	}
	return Actor{Kind: "system"}
}

// Entry is one audit record.
type Entry struct {
	Seq        int64          `json:"seq"`
	At         time.Time      `json:"at"`
	ActorKind  string         `json:"actor_kind"`
	ActorID    int64          `json:"actor_id"`
	Action     string         `json:"action"`
	ObjectKind string         `json:"object_kind"`
	ObjectID   int64          `json:"object_id"`
	Detail     map[string]any `json:"detail,omitempty"`
	IP         string         `json:"ip,omitempty"`
	PrevHash   string         `json:"prev_hash"`
	Hash       string         `json:"hash"`
	detailJSON string
}

// Log writes and verifies the audit chain.
type Log struct {
	db  *db.DB
	now func() time.Time
	// key signs and checks checkpoints of pruned entries; nil means the
	// log cannot be pruned and a checkpoint cannot be checked.
	key []byte
}

// New returns a Log using the given clock.
func New(d *db.DB, now func() time.Time) *Log { return &Log{db: d, now: now} }

// NewSigned returns a Log that can prune its oldest entries behind a
// checkpoint signed with a key derived from secret (VIGIL_SECRET_KEY).
func NewSigned(d *db.DB, now func() time.Time, secret string) *Log {
	l := New(d, now)
	if secret != "" {
		l.key = checkpointKey(secret)
	}
	return l
}

// Record appends an entry for the actor in ctx. It joins the transaction in
// ctx, or opens its own.
func (l *Log) Record(ctx context.Context, action, objectKind string, objectID int64, detail map[string]any) error {
	a := ActorFrom(ctx)
	e := Entry{
		At: l.now().UTC().Truncate(time.Millisecond), ActorKind: a.Kind, ActorID: a.ID, IP: a.IP,
		Action: action, ObjectKind: objectKind, ObjectID: objectID, Detail: detail,
	}
	b, err := json.Marshal(detail)
	if err != nil {
		return fmt.Errorf("audit: encode detail: %w", err)
	}
	if detail == nil {
		b = []byte("{}")
	}
	e.detailJSON = string(b)
	return l.db.WithTx(ctx, func(ctx context.Context) error {
		t, err := l.tip(ctx)
		if err != nil {
			return err
		}
		e.Seq, e.PrevHash = t.seq+1, t.hash
		e.Hash = e.digest()
		if _, err := l.db.Q(ctx).ExecContext(ctx, `INSERT INTO audit_log
			(seq, at, actor_kind, actor_id, action, object_kind, object_id, detail, ip, prev_hash, hash)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
			e.Seq, db.Millis(e.At), e.ActorKind, e.ActorID, e.Action, e.ObjectKind, e.ObjectID,
			e.detailJSON, e.IP, e.PrevHash, e.Hash); err != nil {
			return fmt.Errorf("audit: insert: %w", err)
		}
		db.SetTxValue(ctx, tipKey{}, chainTip{seq: e.Seq, hash: e.Hash})
		return nil
	})
}

// chainTip is the newest entry of the chain as a transaction sees it.
type chainTip struct {
	seq  int64
	hash string
}

type tipKey struct{}

// tip returns the chain's tip for the transaction in ctx. The first call
// in a transaction reads audit_head and locks it until commit, so
// concurrent writers append one after another; the transaction then keeps
// the tip itself and writes it back once, just before it commits. A chat
// message's entry costs one INSERT, however many share the commit.
func (l *Log) tip(ctx context.Context) (chainTip, error) {
	if t, ok := db.TxValue(ctx, tipKey{}).(chainTip); ok {
		return t, nil
	}
	var t chainTip
	lock := `SELECT seq, hash FROM audit_head WHERE id = 1` // SQLite's write transaction is already exclusive
	if l.db.Dialect == db.Postgres {
		lock += ` FOR UPDATE`
	}
	if err := l.db.Q(ctx).QueryRowContext(ctx, lock).Scan(&t.seq, &t.hash); err != nil {
		return t, fmt.Errorf("audit: lock head: %w", err)
	}
	db.SetTxValue(ctx, tipKey{}, t)
	return t, db.BeforeCommit(ctx, func(ctx context.Context) error {
		t, _ := db.TxValue(ctx, tipKey{}).(chainTip)
		if _, err := l.db.Q(ctx).ExecContext(ctx, `UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1`, t.seq, t.hash); err != nil {
			return fmt.Errorf("audit: move head: %w", err)
		}
		return nil
	})
}

// digest hashes the entry's content together with the previous hash. The
// encoding is fixed-order and length-prefixed so no two entries collide.
func (e *Entry) digest() string {
	h := sha256.New()
	for _, f := range []string{
		e.PrevHash, strconv.FormatInt(e.Seq, 10), strconv.FormatInt(db.Millis(e.At), 10),
		e.ActorKind, strconv.FormatInt(e.ActorID, 10), e.Action, e.ObjectKind,
		strconv.FormatInt(e.ObjectID, 10), e.detailJSON, e.IP,
	} {
		fmt.Fprintf(h, "%d:%s;", len(f), f)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Break describes the first entry whose chain does not verify.
type Break struct {
	Seq    int64
	Reason string
}

// Verify walks the chain in order and returns the number of entries checked
// and the first break, if any.
//
// When older entries were pruned, the walk starts from the newest signed
// checkpoint: the first entry left must follow the checkpoint's entry and
// link to its hash.
func (l *Log) Verify(ctx context.Context) (int64, *Break, error) {
	cp, ok, err := l.LastCheckpoint(ctx)
	if err != nil {
		return 0, nil, err
	}
	var want int64
	prev := ""
	if ok {
		if brk := l.checkCheckpoint(cp); brk != nil {
			return 0, brk, nil
		}
		want, prev = cp.Seq, cp.Hash
	}
	rows, err := l.db.Q(ctx).QueryContext(ctx, `SELECT seq, at, actor_kind, actor_id, action, object_kind, object_id,
		detail, ip, prev_hash, hash FROM audit_log WHERE seq > $1 ORDER BY seq`, want)
	if err != nil {
		return 0, nil, fmt.Errorf("audit: verify: %w", err)
	}
	defer rows.Close()
	var n int64
	for rows.Next() {
		var e Entry
		var at int64
		if err := rows.Scan(&e.Seq, &at, &e.ActorKind, &e.ActorID, &e.Action, &e.ObjectKind, &e.ObjectID,
			&e.detailJSON, &e.IP, &e.PrevHash, &e.Hash); err != nil {
			return n, nil, fmt.Errorf("audit: verify: %w", err)
		}
		e.At = db.Time(at)
		want++
		n++
		switch {
		case e.Seq != want:
			return n, &Break{Seq: e.Seq, Reason: fmt.Sprintf("sequence gap: expected entry %d", want)}, nil
		case e.PrevHash != prev:
			return n, &Break{Seq: e.Seq, Reason: "previous-hash link does not match the entry before it"}, nil
		case e.digest() != e.Hash:
			return n, &Break{Seq: e.Seq, Reason: "content does not match its hash (entry altered)"}, nil
		}
		prev = e.Hash
	}
	if err := rows.Err(); err != nil {
		return n, nil, fmt.Errorf("audit: verify: %w", err)
	}
	var headSeq int64
	var headHash string
	if err := l.db.Q(ctx).QueryRowContext(ctx, `SELECT seq, hash FROM audit_head WHERE id = 1`).Scan(&headSeq, &headHash); err != nil {
		return n, nil, fmt.Errorf("audit: verify head: %w", err)
	}
	if headSeq != want || headHash != prev {
		return n, &Break{Seq: want + 1, Reason: fmt.Sprintf("chain ends at entry %d but the head records entry %d (entries removed from the end)", want, headSeq)}, nil
	}
	return n, nil, nil
}

// Filter selects entries for listing.
type Filter struct {
	ObjectKind string
	ObjectID   int64
	ActorID    int64
	Before     int64 // seq cursor; 0 means from the newest
	Limit      int
}

// List returns entries newest first.
func (l *Log) List(ctx context.Context, f Filter) ([]Entry, error) {
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	q := `SELECT seq, at, actor_kind, actor_id, action, object_kind, object_id, detail, ip, prev_hash, hash
		FROM audit_log WHERE 1 = 1`
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		q += fmt.Sprintf(" AND %s $%d", cond, len(args))
	}
	if f.ObjectKind != "" {
		add("object_kind =", f.ObjectKind)
	}
	if f.ObjectID != 0 {
		add("object_id =", f.ObjectID)
	}
	if f.ActorID != 0 {
		add("actor_id =", f.ActorID)
	}
	if f.Before > 0 {
		add("seq <", f.Before)
	}
	args = append(args, f.Limit)
	q += fmt.Sprintf(" ORDER BY seq DESC LIMIT $%d", len(args))
	rows, err := l.db.Q(ctx).QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("audit: list: %w", err)
	}
	defer rows.Close()
	var out []Entry
	for rows.Next() {
		var e Entry
		var at int64
		if err := rows.Scan(&e.Seq, &at, &e.ActorKind, &e.ActorID, &e.Action, &e.ObjectKind, &e.ObjectID,
			&e.detailJSON, &e.IP, &e.PrevHash, &e.Hash); err != nil {
			return nil, fmt.Errorf("audit: list: %w", err)
		}
		e.At = db.Time(at)
		_ = json.Unmarshal([]byte(e.detailJSON), &e.Detail)
		out = append(out, e)
	}
	return out, rows.Err()
}
