-- Durable jobs (the outbox), the external ids channels thread by, email
-- addresses that bounced, and the customer's anti-phishing code.

-- jobs is owned by internal/job. A job is written in the transaction of
-- the change that caused it; key makes enqueueing idempotent. A claimed
-- job holds a lease (locked_until): a worker that dies mid-job loses the
-- lease and another worker runs the job again.
CREATE TABLE jobs (
    id           INTEGER PRIMARY KEY,
    kind         TEXT    NOT NULL,
    key          TEXT    NOT NULL UNIQUE,
    payload      TEXT    NOT NULL,
    state        TEXT    NOT NULL CHECK (state IN ('queued', 'running', 'done', 'dead')),
    attempts     INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL,
    run_at       INTEGER NOT NULL,
    locked_until INTEGER NOT NULL DEFAULT 0,
    last_error   TEXT    NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
CREATE INDEX jobs_due ON jobs (state, run_at);

-- channel_messages is owned by internal/channel: every external message id
-- (an email Message-ID) seen or sent, so replies find their conversation
-- and a redelivery is recognised. original keeps an inbound message as
-- it arrived (the raw email), before quotes and signatures were stripped.
CREATE TABLE channel_messages (
    channel         TEXT    NOT NULL,
    external_id     TEXT    NOT NULL,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id),
    message_id      INTEGER REFERENCES messages(id),
    direction       TEXT    NOT NULL CHECK (direction IN ('in', 'out')),
    original        BLOB,
    created_at      INTEGER NOT NULL,
    PRIMARY KEY (channel, external_id)
);
CREATE INDEX channel_messages_conversation ON channel_messages (conversation_id, created_at);

-- channel_link_tokens is owned by internal/channel: signed links that
-- tie a chat account to an exchange customer are accepted once.
CREATE TABLE channel_link_tokens (
    token_hash TEXT    PRIMARY KEY,
    expires_at INTEGER NOT NULL
);

-- email_suppressions is owned by internal/channel/email: addresses whose
-- mail bounced permanently; nothing more is sent to them.
CREATE TABLE email_suppressions (
    address    TEXT    PRIMARY KEY,
    status     TEXT    NOT NULL,
    diagnostic TEXT    NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL
);

-- Owned by internal/customer: the code the exchange shows the customer so
-- genuine mail can be told from phishing.
ALTER TABLE customers ADD COLUMN anti_phishing_code TEXT NOT NULL DEFAULT '';
