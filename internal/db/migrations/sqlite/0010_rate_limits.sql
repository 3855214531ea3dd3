-- Token buckets shared by several instances (PostgreSQL deployments; a
-- single SQLite instance keeps its buckets in memory and leaves this empty).
CREATE TABLE rate_limits (
    bucket TEXT    PRIMARY KEY,
    tokens REAL    NOT NULL,
    at     INTEGER NOT NULL,
    allowed BOOLEAN NOT NULL DEFAULT TRUE
);
