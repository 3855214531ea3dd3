-- Phone callbacks: a customer's request to be called in a time window, and
-- each call placed for it with its outcome and recording reference.

CREATE TABLE callbacks (
    id              INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL UNIQUE REFERENCES conversations(id),
    customer_id     INTEGER NOT NULL REFERENCES customers(id),
    reason          TEXT    NOT NULL,
    phone           TEXT    NOT NULL,
    language        TEXT    NOT NULL,
    window_start    INTEGER NOT NULL,
    window_end      INTEGER NOT NULL,
    state           TEXT    NOT NULL,
    agent_id        INTEGER REFERENCES agents(id),
    staff_id        TEXT    NOT NULL DEFAULT '',
    call_at         INTEGER,
    notified_at     INTEGER,
    attempts        INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX callbacks_open ON callbacks (state, window_start);
CREATE INDEX callbacks_customer ON callbacks (customer_id, created_at);

CREATE TABLE callback_calls (
    id                   INTEGER PRIMARY KEY,
    callback_id          INTEGER NOT NULL REFERENCES callbacks(id),
    agent_id             INTEGER NOT NULL REFERENCES agents(id),
    via                  TEXT    NOT NULL,
    outcome              TEXT    NOT NULL DEFAULT '',
    sip_status           INTEGER NOT NULL DEFAULT 0,
    started_at           INTEGER NOT NULL,
    answered_at          INTEGER,
    ended_at             INTEGER,
    seconds              INTEGER NOT NULL DEFAULT 0,
    recording            TEXT    NOT NULL DEFAULT '',
    recording_deleted_at INTEGER
);
CREATE INDEX callback_calls_callback ON callback_calls (callback_id, id);
CREATE INDEX callback_calls_recording ON callback_calls (ended_at) WHERE recording <> '';
