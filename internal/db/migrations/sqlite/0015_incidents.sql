-- Incidents and the public status page: components with a state, incidents
-- with a scope and a public message per language, their updates over time,
-- and the conversations linked to each.

CREATE TABLE status_components (
    id         INTEGER PRIMARY KEY,
    slug       TEXT    NOT NULL UNIQUE,
    name_en    TEXT    NOT NULL,
    name_zh    TEXT    NOT NULL DEFAULT '',
    state      TEXT    NOT NULL,
    position   INTEGER NOT NULL DEFAULT 0,
    updated_at INTEGER NOT NULL
);

-- Scope lists (features, assets, networks, regions, components) are stored
-- as comma-separated lowercase words; they are short and read whole.
CREATE TABLE incidents (
    id          INTEGER PRIMARY KEY,
    severity    TEXT    NOT NULL,
    status      TEXT    NOT NULL,
    features    TEXT    NOT NULL DEFAULT '',
    assets      TEXT    NOT NULL DEFAULT '',
    networks    TEXT    NOT NULL DEFAULT '',
    regions     TEXT    NOT NULL DEFAULT '',
    components  TEXT    NOT NULL DEFAULT '',
    title_en    TEXT    NOT NULL,
    title_zh    TEXT    NOT NULL DEFAULT '',
    message_en  TEXT    NOT NULL,
    message_zh  TEXT    NOT NULL DEFAULT '',
    started_at  INTEGER NOT NULL,
    resolved_at INTEGER,
    created_by  INTEGER REFERENCES agents(id),
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX incidents_open ON incidents (resolved_at, started_at);

CREATE TABLE incident_updates (
    id          INTEGER PRIMARY KEY,
    incident_id INTEGER NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
    status      TEXT    NOT NULL,
    body_en     TEXT    NOT NULL,
    body_zh     TEXT    NOT NULL DEFAULT '',
    created_by  INTEGER REFERENCES agents(id),
    created_at  INTEGER NOT NULL
);
CREATE INDEX incident_updates_incident ON incident_updates (incident_id, created_at);

CREATE TABLE incident_conversations (
    incident_id     INTEGER NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id),
    automatic       BOOLEAN NOT NULL DEFAULT false,
    linked_by       INTEGER REFERENCES agents(id),
    created_at      INTEGER NOT NULL,
    PRIMARY KEY (incident_id, conversation_id)
);
CREATE INDEX incident_conversations_conv ON incident_conversations (conversation_id);
