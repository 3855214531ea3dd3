-- Service quality: satisfaction surveys, reopen counts and the hourly
-- report rollup.

-- csat_surveys is owned by internal/report: one survey per conversation,
-- asked after it is first solved. rating is NULL until the customer
-- answers; an answered survey cannot be answered again.
CREATE TABLE csat_surveys (
    conversation_id INTEGER PRIMARY KEY REFERENCES conversations(id),
    language        TEXT    NOT NULL,
    channel         TEXT    NOT NULL,
    asked_at        INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL,
    rating          INTEGER CHECK (rating BETWEEN 1 AND 5),
    comment         TEXT    NOT NULL DEFAULT '',
    answered_at     INTEGER
);
CREATE INDEX csat_surveys_answered ON csat_surveys (answered_at) WHERE answered_at IS NOT NULL;

-- reopens counts how often a solved conversation came back (owned by
-- internal/ticket, read by reports).
ALTER TABLE conversations ADD COLUMN reopens INTEGER NOT NULL DEFAULT 0;
CREATE INDEX conversations_created ON conversations (created_at);
CREATE INDEX conversations_solved ON conversations (solved_at) WHERE solved_at IS NOT NULL;
CREATE INDEX conversations_updated ON conversations (updated_at);

-- report_rollup is owned by internal/report: per UTC hour and per
-- dimension value (dim 'all' has one row per hour), the counts and
-- duration histograms a report adds up. Conversations count in the hour
-- they were created in, except solved, which counts in the hour solved.
CREATE TABLE report_rollup (
    hour         INTEGER NOT NULL,
    dim          TEXT    NOT NULL,
    value        TEXT    NOT NULL,
    conv_in      INTEGER NOT NULL DEFAULT 0,
    solved       INTEGER NOT NULL DEFAULT 0,
    frt_hist     TEXT    NOT NULL DEFAULT '',
    res_hist     TEXT    NOT NULL DEFAULT '',
    sla_met      INTEGER NOT NULL DEFAULT 0,
    sla_breached INTEGER NOT NULL DEFAULT 0,
    reopened     INTEGER NOT NULL DEFAULT 0,
    csat_n       INTEGER NOT NULL DEFAULT 0,
    csat_sum     INTEGER NOT NULL DEFAULT 0,
    csat_good    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (dim, hour, value)
);

-- report_state holds the rollup's watermark: changes after it are not
-- in report_rollup yet.
CREATE TABLE report_state (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    watermark INTEGER NOT NULL
);
INSERT INTO report_state (id, watermark) VALUES (1, 0);
