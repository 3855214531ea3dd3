-- Idle rules: a rule on conversations nobody updated for some hours.
-- idle holds the hours and statuses as JSON; idle_swept_until is how far
-- (in conversation update times) the sweep has looked for that rule.
ALTER TABLE automation_rules ADD COLUMN idle TEXT NOT NULL DEFAULT '{}';
ALTER TABLE automation_rules ADD COLUMN idle_swept_until INTEGER NOT NULL DEFAULT 0;
-- left_at is the conversation's update time as the firing left it, so an
-- idle rule's own reply or note does not start a new quiet period.
ALTER TABLE automation_firings ADD COLUMN left_at INTEGER NOT NULL DEFAULT 0;
CREATE INDEX automation_firings_left ON automation_firings (rule_id, conversation_id, left_at);
