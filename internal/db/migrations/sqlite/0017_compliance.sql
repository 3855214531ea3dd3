-- Compliance: complaints with their clocks, legal holds, signed audit
-- checkpoints that let retention prune the oldest audit entries while the
-- chain still verifies, and the marks retention and erasure leave behind.

-- complaints is owned by internal/ticket: a conversation marked as a
-- complaint, its acknowledgement and final-response deadlines, and which
-- reminders have fired (fired lists alert keys, comma-separated).
CREATE TABLE complaints (
    conversation_id  INTEGER PRIMARY KEY REFERENCES conversations(id),
    raised_by_kind   TEXT    NOT NULL CHECK (raised_by_kind IN ('agent', 'customer')),
    raised_by_id     INTEGER NOT NULL DEFAULT 0,
    summary          TEXT    NOT NULL DEFAULT '',
    raised_at        INTEGER NOT NULL,
    ack_due_at       INTEGER NOT NULL,
    final_due_at     INTEGER NOT NULL,
    acknowledged_at  INTEGER,
    final_at         INTEGER,
    final_message_id INTEGER REFERENCES messages(id),
    fired            TEXT    NOT NULL DEFAULT '',
    next_alert_at    INTEGER
);
CREATE INDEX complaints_alert ON complaints (next_alert_at) WHERE next_alert_at IS NOT NULL;
CREATE INDEX complaints_open ON complaints (final_at, raised_at);

-- Messages whose content retention or erasure removed keep their place in
-- the thread (sequence, author kind, time) with an empty body.
ALTER TABLE messages ADD COLUMN redacted_at INTEGER;
ALTER TABLE conversations ADD COLUMN redacted_at INTEGER;
ALTER TABLE customers ADD COLUMN erased_at INTEGER;

-- legal_holds is owned by internal/compliance: while a customer is held,
-- retention skips their data and erasure is refused.
CREATE TABLE legal_holds (
    customer_id INTEGER PRIMARY KEY REFERENCES customers(id),
    reason      TEXT    NOT NULL,
    placed_by   INTEGER NOT NULL DEFAULT 0,
    placed_at   INTEGER NOT NULL
);

-- audit_checkpoints is owned by internal/audit. Each row records the last
-- entry of a pruned prefix of the chain (its seq and hash), signed with a
-- key derived from VIGIL_SECRET_KEY; verification starts from the newest.
-- Only entries a checkpoint covers may be deleted; checkpoints themselves
-- are append-only.
CREATE TABLE audit_checkpoints (
    id        INTEGER PRIMARY KEY,
    seq       INTEGER NOT NULL UNIQUE,
    hash      TEXT    NOT NULL,
    entry_at  INTEGER NOT NULL,
    pruned_at INTEGER NOT NULL,
    mac       TEXT    NOT NULL
);

DROP TRIGGER audit_log_no_delete;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
WHEN OLD.seq > (SELECT COALESCE(MAX(seq), 0) FROM audit_checkpoints)
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints
BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only'); END;
CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints
BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only'); END;
