-- SLA: business calendars, policies, the SLA state each conversation
-- carries, and the record of every warning and breach that fired.
-- A customer may have a dedicated account manager (VIP routing).

CREATE TABLE sla_calendars (
    id         INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL UNIQUE,
    tz         TEXT    NOT NULL DEFAULT 'UTC',
    week       TEXT    NOT NULL DEFAULT '[]',
    holidays   TEXT    NOT NULL DEFAULT '[]',
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE sla_policies (
    id              INTEGER PRIMARY KEY,
    name            TEXT    NOT NULL UNIQUE,
    position        INTEGER NOT NULL DEFAULT 0,
    enabled         INTEGER NOT NULL DEFAULT 1,
    conditions      TEXT    NOT NULL DEFAULT '{}',
    first_response  INTEGER NOT NULL DEFAULT 0,
    next_response   INTEGER NOT NULL DEFAULT 0,
    resolution      INTEGER NOT NULL DEFAULT 0,
    business_hours  INTEGER NOT NULL DEFAULT 0,
    calendar_id     INTEGER REFERENCES sla_calendars(id),
    warn_before     INTEGER NOT NULL DEFAULT 0,
    on_breach       TEXT    NOT NULL DEFAULT '[]',
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);

ALTER TABLE conversations ADD COLUMN sla_policy_id INTEGER REFERENCES sla_policies(id) ON DELETE SET NULL;
ALTER TABLE conversations ADD COLUMN sla_clocks TEXT NOT NULL DEFAULT '{}';
ALTER TABLE conversations ADD COLUMN sla_due_at INTEGER;
CREATE INDEX conversations_queue ON conversations (priority DESC, sla_due_at, id) WHERE assignee_id IS NULL AND status IN ('new', 'open');

CREATE TABLE sla_events (
    id              INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id),
    policy_id       INTEGER,
    metric          TEXT    NOT NULL,
    stage           TEXT    NOT NULL CHECK (stage IN ('warning', 'breach')),
    due_at          INTEGER NOT NULL,
    fired_at        INTEGER NOT NULL,
    UNIQUE (conversation_id, metric, stage, due_at)
);
CREATE INDEX sla_events_fired ON sla_events (fired_at);

ALTER TABLE customers ADD COLUMN account_manager_id INTEGER REFERENCES agents(id);
