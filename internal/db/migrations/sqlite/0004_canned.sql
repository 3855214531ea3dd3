-- Canned responses: reusable replies agents insert with "/shortcut".
-- An empty language means the response fits every language.

CREATE TABLE canned_responses (
    id         INTEGER PRIMARY KEY,
    shortcut   TEXT    NOT NULL,
    title      TEXT    NOT NULL,
    body       TEXT    NOT NULL,
    language   TEXT    NOT NULL DEFAULT '',
    created_by INTEGER REFERENCES agents(id),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (shortcut, language)
);
