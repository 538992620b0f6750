-- Messages, second part (issue 12). Kept in lockstep with the other engine's 0012_message_delivery.sql.
--
-- sending_attempt: the attempt under way, written (and committed) just before the provider is
-- called and cleared with the attempt's outcome. After a crash, a message with a mark and no
-- outcome was in flight: the only kind of message that may reach its provider twice (the
-- provider took it, the process died before recording that).
ALTER TABLE messages ADD COLUMN sending_attempt INTEGER;
-- What an SMS cost: its segments (GSM-7 160 characters, 153 per part when split; UCS-2, as
-- Persian, Arabic and Russian need, 70 and 67) and the operator's price per segment times
-- them, in millionths of the operator's currency. NULL for channels that are not priced.
ALTER TABLE messages ADD COLUMN segments INTEGER;
ALTER TABLE messages ADD COLUMN cost_micros INTEGER;
CREATE INDEX messages_by_month ON messages (clinic_id, created_at_us);
