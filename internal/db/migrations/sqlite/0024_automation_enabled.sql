-- An automation rule can be paused without losing it: a disabled rule
-- neither fires on its events nor in the idle sweep. Rules start enabled.
ALTER TABLE automation_rules ADD COLUMN enabled INTEGER NOT NULL DEFAULT 1;
