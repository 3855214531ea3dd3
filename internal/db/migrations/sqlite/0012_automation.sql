-- Macros: canned replies with placeholders in each language plus field
-- changes, applied to a conversation in one step.

-- macros is owned by internal/macro. scope is personal (owner_id), team
-- (team_id) or global. bodies maps a language to the reply template;
-- actions holds the field changes as JSON.
CREATE TABLE macros (
    id         INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL,
    scope      TEXT    NOT NULL CHECK (scope IN ('personal', 'team', 'global')),
    owner_id   INTEGER REFERENCES agents(id) ON DELETE CASCADE,
    team_id    INTEGER REFERENCES teams(id) ON DELETE CASCADE,
    bodies     TEXT    NOT NULL DEFAULT '{}',
    actions    TEXT    NOT NULL DEFAULT '{}',
    created_by INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX macros_scope ON macros (scope, owner_id, team_id);

-- webhooks is owned by internal/webhook: endpoints that receive domain
-- events, signed with their own secret. events is a JSON list of event
-- types; an empty list means every type.
CREATE TABLE webhooks (
    id         INTEGER PRIMARY KEY,
    url        TEXT    NOT NULL,
    secret     TEXT    NOT NULL,
    events     TEXT    NOT NULL DEFAULT '[]',
    enabled    INTEGER NOT NULL DEFAULT 1,
    created_by INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);

-- webhook_deliveries is the delivery log: one row per attempt.
CREATE TABLE webhook_deliveries (
    id          INTEGER PRIMARY KEY,
    webhook_id  INTEGER NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
    event_type  TEXT    NOT NULL,
    job_key     TEXT    NOT NULL,
    attempt     INTEGER NOT NULL,
    status_code INTEGER NOT NULL DEFAULT 0,
    error       TEXT    NOT NULL DEFAULT '',
    duration_ms INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL
);
CREATE INDEX webhook_deliveries_hook ON webhook_deliveries (webhook_id, id);

-- automation_rules is owned by internal/automation: on a trigger, when
-- every condition holds, the actions run. automation_firings records each
-- time a rule fired, with the chain (the originating event) it fired in.
CREATE TABLE automation_rules (
    id         INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL,
    on_event   TEXT    NOT NULL,
    conditions TEXT    NOT NULL DEFAULT '[]',
    actions    TEXT    NOT NULL DEFAULT '{}',
    position   INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);

CREATE TABLE automation_firings (
    id              INTEGER PRIMARY KEY,
    rule_id         INTEGER NOT NULL REFERENCES automation_rules(id) ON DELETE CASCADE,
    conversation_id INTEGER NOT NULL,
    chain           TEXT    NOT NULL,
    fired_at        INTEGER NOT NULL,
    UNIQUE (rule_id, chain)
);
