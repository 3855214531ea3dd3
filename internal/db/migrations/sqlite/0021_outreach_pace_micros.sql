-- The channel's line of send slots is kept in microseconds, so a rate that
-- does not divide a second into whole milliseconds (80 a second: 12.5 ms)
-- keeps its exact step instead of a rounded one.
UPDATE outreach_channel_pace SET next_at = next_at * 1000;
