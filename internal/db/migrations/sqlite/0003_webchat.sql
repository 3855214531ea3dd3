-- Customer sessions for the chat widget, and single-use nonces of signed
-- identity tokens so a token cannot be replayed.

CREATE TABLE customer_sessions (
    id          INTEGER PRIMARY KEY,
    token_hash  TEXT    NOT NULL UNIQUE,
    customer_id INTEGER NOT NULL REFERENCES customers(id),
    verified    INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
);
CREATE INDEX customer_sessions_customer ON customer_sessions (customer_id);

CREATE TABLE identity_nonces (
    nonce      TEXT    PRIMARY KEY,
    expires_at INTEGER NOT NULL
);
CREATE INDEX identity_nonces_expiry ON identity_nonces (expires_at);

CREATE TABLE message_reads (
    conversation_id INTEGER NOT NULL REFERENCES conversations(id),
    reader_kind     TEXT    NOT NULL,
    seq             INTEGER NOT NULL,
    read_at         INTEGER NOT NULL,
    PRIMARY KEY (conversation_id, reader_kind)
);
