-- One row per customer message the bot has taken on: with several
-- instances every one hears the message, and the first to insert answers.
CREATE TABLE bot_claims (
    message_id INTEGER PRIMARY KEY,
    claimed_at INTEGER NOT NULL
);
CREATE INDEX bot_claims_at ON bot_claims (claimed_at);
