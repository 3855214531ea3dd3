-- Shifts: recurring weekly shifts of an agent in a team, exceptions (days
-- off, extra one-off shifts) and each team's on-call supervisor rota.
-- Times of day are minutes after local midnight in the row's IANA time
-- zone; an end at or before the start crosses midnight. Days are
-- YYYY-MM-DD local dates.

CREATE TABLE shifts (
    id           INTEGER PRIMARY KEY,
    team_id      INTEGER NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    agent_id     INTEGER NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
    weekdays     INTEGER NOT NULL CHECK (weekdays BETWEEN 1 AND 127),
    start_minute INTEGER NOT NULL CHECK (start_minute BETWEEN 0 AND 1439),
    end_minute   INTEGER NOT NULL CHECK (end_minute BETWEEN 0 AND 1440),
    time_zone    TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
CREATE INDEX shifts_team ON shifts (team_id);
CREATE INDEX shifts_agent ON shifts (agent_id);

CREATE TABLE shift_exceptions (
    id           INTEGER PRIMARY KEY,
    team_id      INTEGER NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    agent_id     INTEGER NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
    kind         TEXT    NOT NULL CHECK (kind IN ('off', 'extra')),
    first_day    TEXT    NOT NULL,
    last_day     TEXT    NOT NULL,
    start_minute INTEGER NOT NULL DEFAULT 0,
    end_minute   INTEGER NOT NULL DEFAULT 0,
    time_zone    TEXT    NOT NULL,
    note         TEXT    NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL
);
CREATE INDEX shift_exceptions_team ON shift_exceptions (team_id, last_day);

CREATE TABLE oncall_rotas (
    team_id         INTEGER PRIMARY KEY REFERENCES teams(id) ON DELETE CASCADE,
    time_zone       TEXT    NOT NULL,
    starts_on       TEXT    NOT NULL,
    handover_minute INTEGER NOT NULL CHECK (handover_minute BETWEEN 0 AND 1439),
    period_days     INTEGER NOT NULL CHECK (period_days BETWEEN 1 AND 28),
    updated_at      INTEGER NOT NULL
);

CREATE TABLE oncall_members (
    team_id  INTEGER NOT NULL REFERENCES oncall_rotas(team_id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    agent_id INTEGER NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
    PRIMARY KEY (team_id, position)
);
