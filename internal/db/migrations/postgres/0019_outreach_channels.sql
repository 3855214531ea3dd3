-- Outreach pace is kept per channel across every campaign: next_at is the
-- earliest moment the next message on the channel may leave.
CREATE TABLE outreach_channel_pace (
    channel TEXT    PRIMARY KEY,
    next_at BIGINT  NOT NULL
);

-- slot_at is the send time a recipient reserved on its channel's pace;
-- delivery and delivery_error are what the provider last reported (an
-- SMS delivery receipt), so a campaign shows who actually got it.
ALTER TABLE outreach_recipients ADD COLUMN slot_at BIGINT;
ALTER TABLE outreach_recipients ADD COLUMN delivery TEXT NOT NULL DEFAULT '';
ALTER TABLE outreach_recipients ADD COLUMN delivery_error TEXT NOT NULL DEFAULT '';
CREATE INDEX outreach_recipients_message ON outreach_recipients (message_id);
