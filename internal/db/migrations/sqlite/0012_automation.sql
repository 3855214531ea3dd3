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
