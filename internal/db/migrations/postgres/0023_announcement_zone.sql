-- An announcement keeps the IANA time zone its times were typed in, so
-- the console shows them again in that zone and the public pages can name
-- it next to UTC. The instants themselves stay in UTC milliseconds.
ALTER TABLE kb_announcements ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'UTC';
