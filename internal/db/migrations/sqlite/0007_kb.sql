-- Help center: categories, articles with per-language versions (drafts,
-- published, history), reader feedback, announcements; and the bot's log
-- of what it answered, with confidence and outcome.

CREATE TABLE kb_categories (
    id         INTEGER PRIMARY KEY,
    slug       TEXT    NOT NULL UNIQUE,
    position   INTEGER NOT NULL DEFAULT 0,
    name_en    TEXT    NOT NULL,
    name_zh    TEXT    NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL
);

CREATE TABLE kb_articles (
    id          INTEGER PRIMARY KEY,
    slug        TEXT    NOT NULL UNIQUE,
    category_id INTEGER REFERENCES kb_categories(id),
    internal    INTEGER NOT NULL DEFAULT 0,
    position    INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

-- Every save is a new, immutable version; kb_translations points at the
-- published one and at a newer draft, so history is the list of versions.
CREATE TABLE kb_versions (
    id           INTEGER PRIMARY KEY,
    article_id   INTEGER NOT NULL REFERENCES kb_articles(id) ON DELETE CASCADE,
    language     TEXT    NOT NULL,
    number       INTEGER NOT NULL,
    title        TEXT    NOT NULL,
    summary      TEXT    NOT NULL DEFAULT '',
    body         TEXT    NOT NULL,
    questions    TEXT    NOT NULL DEFAULT '',
    author_id    INTEGER REFERENCES agents(id),
    created_at   INTEGER NOT NULL,
    published_at INTEGER,
    UNIQUE (article_id, language, number)
);

CREATE TABLE kb_translations (
    article_id   INTEGER NOT NULL REFERENCES kb_articles(id) ON DELETE CASCADE,
    language     TEXT    NOT NULL,
    published_id INTEGER REFERENCES kb_versions(id),
    draft_id     INTEGER REFERENCES kb_versions(id),
    PRIMARY KEY (article_id, language)
);

-- Old slugs of renamed articles, so links to them keep working.
CREATE TABLE kb_redirects (
    slug       TEXT    PRIMARY KEY,
    article_id INTEGER NOT NULL REFERENCES kb_articles(id) ON DELETE CASCADE
);

-- Phrasings agents marked as answered well by an article; the bot learns
-- from them as from the article's own example questions.
CREATE TABLE kb_examples (
    id         INTEGER PRIMARY KEY,
    article_id INTEGER NOT NULL REFERENCES kb_articles(id) ON DELETE CASCADE,
    language   TEXT    NOT NULL,
    text       TEXT    NOT NULL,
    created_by INTEGER REFERENCES agents(id),
    created_at INTEGER NOT NULL
);

CREATE TABLE kb_feedback (
    id         INTEGER PRIMARY KEY,
    article_id INTEGER NOT NULL REFERENCES kb_articles(id) ON DELETE CASCADE,
    language   TEXT    NOT NULL,
    helpful    INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX kb_feedback_article ON kb_feedback (article_id);

CREATE TABLE kb_announcements (
    id         INTEGER PRIMARY KEY,
    topic      TEXT    NOT NULL DEFAULT '',
    title_en   TEXT    NOT NULL,
    body_en    TEXT    NOT NULL,
    title_zh   TEXT    NOT NULL DEFAULT '',
    body_zh    TEXT    NOT NULL DEFAULT '',
    starts_at  INTEGER NOT NULL,
    ends_at    INTEGER NOT NULL,
    created_by INTEGER REFERENCES agents(id),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX kb_announcements_ends ON kb_announcements (ends_at);

CREATE TABLE bot_turns (
    id              INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    message_id      INTEGER NOT NULL,
    language        TEXT    NOT NULL,
    question        TEXT    NOT NULL,
    article_id      INTEGER,
    announcement_id INTEGER,
    confidence      REAL    NOT NULL DEFAULT 0,
    action          TEXT    NOT NULL,
    reason          TEXT    NOT NULL DEFAULT '',
    outcome         TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX bot_turns_conversation ON bot_turns (conversation_id, id);
CREATE INDEX bot_turns_created ON bot_turns (created_at);
