-- Core tables: teams, agents, customers, conversations, messages, tags,
-- attachments. Timestamps are integer milliseconds since the Unix epoch.

CREATE TABLE teams (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL UNIQUE,
    description TEXT    NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL
);

CREATE TABLE agents (
    id             INTEGER PRIMARY KEY,
    email          TEXT    NOT NULL UNIQUE,
    name           TEXT    NOT NULL,
    role           TEXT    NOT NULL CHECK (role IN ('admin', 'supervisor', 'agent')),
    max_concurrent INTEGER NOT NULL DEFAULT 5 CHECK (max_concurrent BETWEEN 0 AND 100),
    status         TEXT    NOT NULL DEFAULT 'offline' CHECK (status IN ('online', 'away', 'offline')),
    locale         TEXT    NOT NULL DEFAULT 'en',
    disabled       INTEGER NOT NULL DEFAULT 0,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);

CREATE TABLE agent_teams (
    agent_id INTEGER NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
    team_id  INTEGER NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    PRIMARY KEY (agent_id, team_id)
);
CREATE INDEX agent_teams_team ON agent_teams (team_id);

CREATE TABLE agent_skills (
    agent_id INTEGER NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
    kind     TEXT    NOT NULL CHECK (kind IN ('language', 'topic')),
    value    TEXT    NOT NULL,
    PRIMARY KEY (agent_id, kind, value)
);

CREATE TABLE customers (
    id          INTEGER PRIMARY KEY,
    uid         TEXT UNIQUE,
    name        TEXT    NOT NULL DEFAULT '',
    email       TEXT    NOT NULL DEFAULT '',
    phone       TEXT    NOT NULL DEFAULT '',
    language    TEXT    NOT NULL DEFAULT 'en',
    vip_tier    INTEGER NOT NULL DEFAULT 0 CHECK (vip_tier BETWEEN 0 AND 9),
    kyc_level   INTEGER NOT NULL DEFAULT 0 CHECK (kyc_level BETWEEN 0 AND 9),
    merged_into INTEGER REFERENCES customers(id),
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX customers_email ON customers (email);

CREATE TABLE customer_identities (
    id          INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers(id),
    channel     TEXT    NOT NULL,
    external_id TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    UNIQUE (channel, external_id)
);
CREATE INDEX customer_identities_customer ON customer_identities (customer_id);

CREATE TABLE conversations (
    id                INTEGER PRIMARY KEY,
    customer_id       INTEGER NOT NULL REFERENCES customers(id),
    channel           TEXT    NOT NULL,
    subject           TEXT    NOT NULL DEFAULT '',
    status            TEXT    NOT NULL CHECK (status IN ('new', 'open', 'pending', 'on_hold', 'solved', 'closed')),
    priority          INTEGER NOT NULL DEFAULT 1 CHECK (priority BETWEEN 0 AND 3),
    category          TEXT    NOT NULL DEFAULT 'other',
    language          TEXT    NOT NULL DEFAULT 'en',
    team_id           INTEGER REFERENCES teams(id),
    assignee_id       INTEGER REFERENCES agents(id),
    asset             TEXT    NOT NULL DEFAULT '',
    network           TEXT    NOT NULL DEFAULT '',
    txid              TEXT    NOT NULL DEFAULT '',
    memo              TEXT    NOT NULL DEFAULT '',
    order_id          TEXT    NOT NULL DEFAULT '',
    merged_into       INTEGER REFERENCES conversations(id),
    last_seq          INTEGER NOT NULL DEFAULT 0,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    last_message_at   INTEGER NOT NULL,
    first_response_at INTEGER,
    solved_at         INTEGER,
    closed_at         INTEGER,
    next_deadline_at  INTEGER
);
CREATE INDEX conversations_status ON conversations (status, id);
CREATE INDEX conversations_team ON conversations (team_id, status, id);
CREATE INDEX conversations_assignee ON conversations (assignee_id, status, id);
CREATE INDEX conversations_customer ON conversations (customer_id, status, id);
CREATE INDEX conversations_category ON conversations (category, status, id);
CREATE INDEX conversations_priority ON conversations (priority, status, id);
CREATE INDEX conversations_deadline ON conversations (next_deadline_at) WHERE next_deadline_at IS NOT NULL;

CREATE TABLE tags (
    id   INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);

CREATE TABLE conversation_tags (
    conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    tag_id          INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
    PRIMARY KEY (conversation_id, tag_id)
);
CREATE INDEX conversation_tags_tag ON conversation_tags (tag_id, conversation_id);

CREATE TABLE messages (
    id              INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id),
    seq             INTEGER NOT NULL,
    author_kind     TEXT    NOT NULL CHECK (author_kind IN ('customer', 'agent', 'bot', 'system')),
    author_id       INTEGER,
    author_name     TEXT    NOT NULL DEFAULT '',
    internal        INTEGER NOT NULL DEFAULT 0,
    body            TEXT    NOT NULL,
    body_html       TEXT    NOT NULL,
    delivery        TEXT    NOT NULL DEFAULT 'sent' CHECK (delivery IN ('pending', 'sent', 'delivered', 'read', 'failed')),
    external_id     TEXT,
    created_at      INTEGER NOT NULL,
    UNIQUE (conversation_id, seq)
);
CREATE UNIQUE INDEX messages_external ON messages (conversation_id, external_id) WHERE external_id IS NOT NULL;

CREATE TABLE attachments (
    id              INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id),
    message_id      INTEGER REFERENCES messages(id),
    filename        TEXT    NOT NULL,
    content_type    TEXT    NOT NULL,
    size            INTEGER NOT NULL,
    sha256          TEXT    NOT NULL,
    storage_key     TEXT    NOT NULL,
    uploaded_by     TEXT    NOT NULL,
    created_at      INTEGER NOT NULL
);
CREATE INDEX attachments_message ON attachments (message_id);
CREATE INDEX attachments_conversation ON attachments (conversation_id);

-- The audit log is append-only; triggers refuse updates and deletes. Each
-- entry's hash covers the previous entry's hash, and audit_head holds the
-- chain's tip so concurrent writers serialise on one row.
CREATE TABLE audit_log (
    seq         INTEGER PRIMARY KEY,
    at          INTEGER NOT NULL,
    actor_kind  TEXT    NOT NULL,
    actor_id    INTEGER NOT NULL DEFAULT 0,
    action      TEXT    NOT NULL,
    object_kind TEXT    NOT NULL DEFAULT '',
    object_id   INTEGER NOT NULL DEFAULT 0,
    detail      TEXT    NOT NULL DEFAULT '{}',
    ip          TEXT    NOT NULL DEFAULT '',
    prev_hash   TEXT    NOT NULL,
    hash        TEXT    NOT NULL
);
CREATE INDEX audit_log_object ON audit_log (object_kind, object_id, seq);

CREATE TABLE audit_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  INTEGER NOT NULL,
    hash TEXT    NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '');

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
