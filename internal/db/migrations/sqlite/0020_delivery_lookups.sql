-- A claim reads queued jobs in the order it takes them, (run_at, id), from
-- the index, so a long backlog of due jobs costs it a few index entries
-- instead of a sort of the whole backlog; running jobs, a few at a time,
-- are found under the same index's 'running' prefix.
DROP INDEX jobs_due;
CREATE INDEX jobs_due ON jobs (state, run_at, id);

-- A delivery first looks up whether its message was already sent; without
-- an index that read every channel message, a cost that grew with each
-- message the desk ever sent.
CREATE INDEX channel_messages_message ON channel_messages (message_id);
