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

-- Outreach: a message to a list of customers, each reached once on the
-- first of the campaign's channels they have, paced per channel.
CREATE TABLE outreach_campaigns (
    id              INTEGER PRIMARY KEY,
    name            TEXT    NOT NULL,
    incident_id     INTEGER REFERENCES incidents(id),
    channels        TEXT    NOT NULL,
    rate_per_minute INTEGER NOT NULL,
    subject_en      TEXT    NOT NULL,
    subject_zh      TEXT    NOT NULL DEFAULT '',
    body_en         TEXT    NOT NULL,
    body_zh         TEXT    NOT NULL DEFAULT '',
    created_by      INTEGER REFERENCES agents(id),
    created_at      INTEGER NOT NULL
);

-- next_at paces each channel of a campaign: the next recipient on it is
-- sent no earlier, whenever they were added.
CREATE TABLE outreach_pacing (
    campaign_id INTEGER NOT NULL REFERENCES outreach_campaigns(id) ON DELETE CASCADE,
    channel     TEXT    NOT NULL,
    next_at     INTEGER NOT NULL,
    PRIMARY KEY (campaign_id, channel)
);

CREATE TABLE outreach_recipients (
    campaign_id     INTEGER NOT NULL REFERENCES outreach_campaigns(id) ON DELETE CASCADE,
    customer_id     INTEGER NOT NULL REFERENCES customers(id),
    channel         TEXT    NOT NULL DEFAULT '',
    state           TEXT    NOT NULL,
    reason          TEXT    NOT NULL DEFAULT '',
    conversation_id INTEGER,
    message_id      INTEGER,
    updated_at      INTEGER NOT NULL,
    PRIMARY KEY (campaign_id, customer_id)
);
CREATE INDEX outreach_recipients_state ON outreach_recipients (campaign_id, state);

CREATE TABLE outreach_optouts (
    customer_id INTEGER PRIMARY KEY REFERENCES customers(id),
    created_at  INTEGER NOT NULL
);
