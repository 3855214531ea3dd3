-- Trust and safety: identity verification per conversation, one-time
-- codes, account freezes with two-person unfreeze, the official-channel
-- registry, and agents' customer-profile views for bulk-access limits.

CREATE TABLE verifications (
    id              INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id),
    customer_id     INTEGER NOT NULL REFERENCES customers(id),
    level           INTEGER NOT NULL CHECK (level BETWEEN 0 AND 2),
    method          TEXT    NOT NULL CHECK (method IN ('widget_signature', 'one_time_code', 'agent_checks')),
    actor_kind      TEXT    NOT NULL,
    actor_id        INTEGER NOT NULL DEFAULT 0,
    detail          TEXT    NOT NULL DEFAULT '{}',
    created_at      INTEGER NOT NULL
);
CREATE INDEX verifications_conversation ON verifications (conversation_id, level);

CREATE TABLE otp_challenges (
    id              INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id),
    customer_id     INTEGER NOT NULL REFERENCES customers(id),
    code_hash       TEXT    NOT NULL,
    channel         TEXT    NOT NULL,
    destination     TEXT    NOT NULL DEFAULT '',
    attempts        INTEGER NOT NULL DEFAULT 0,
    state           TEXT    NOT NULL CHECK (state IN ('pending', 'verified', 'failed', 'expired', 'replaced')),
    requested_by    INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL
);
CREATE INDEX otp_challenges_conversation ON otp_challenges (conversation_id, state);

CREATE TABLE freezes (
    id               INTEGER PRIMARY KEY,
    customer_id      INTEGER NOT NULL REFERENCES customers(id),
    uid              TEXT    NOT NULL,
    conversation_id  INTEGER REFERENCES conversations(id),
    source           TEXT    NOT NULL CHECK (source IN ('widget', 'link', 'help_center', 'bot', 'agent')),
    state            TEXT    NOT NULL CHECK (state IN ('frozen', 'pending_exchange', 'unfreeze_requested', 'unfreeze_approved', 'unfrozen')),
    reason           TEXT    NOT NULL DEFAULT '',
    frozen_at        INTEGER NOT NULL,
    unfreeze_by      INTEGER REFERENCES agents(id),
    unfreeze_reason  TEXT    NOT NULL DEFAULT '',
    unfreeze_asked   INTEGER,
    approved_by      INTEGER REFERENCES agents(id),
    approved_at      INTEGER,
    eligible_at      INTEGER,
    unfrozen_at      INTEGER
);
CREATE INDEX freezes_customer ON freezes (customer_id, id);

CREATE TABLE official_channels (
    id         INTEGER PRIMARY KEY,
    kind       TEXT    NOT NULL CHECK (kind IN ('domain', 'email', 'phone', 'telegram', 'x', 'discord', 'wechat', 'staff_id')),
    value      TEXT    NOT NULL,
    display    TEXT    NOT NULL,
    note       TEXT    NOT NULL DEFAULT '',
    retired_at INTEGER,
    created_by INTEGER REFERENCES agents(id),
    created_at INTEGER NOT NULL,
    UNIQUE (kind, value)
);

CREATE TABLE profile_views (
    agent_id    INTEGER NOT NULL REFERENCES agents(id),
    customer_id INTEGER NOT NULL REFERENCES customers(id),
    viewed_at   INTEGER NOT NULL
);
CREATE INDEX profile_views_agent ON profile_views (agent_id, viewed_at);

-- A reveal lets one agent see one conversation's masked fields for a
-- while; the reason is in the audit log too.
CREATE TABLE reveals (
    conversation_id INTEGER NOT NULL REFERENCES conversations(id),
    agent_id        INTEGER NOT NULL REFERENCES agents(id),
    reason          TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL
);
CREATE INDEX reveals_conversation ON reveals (conversation_id, agent_id, expires_at);
