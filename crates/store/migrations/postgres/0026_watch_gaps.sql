-- Watches, issue 13's open gaps. Kept in lockstep with ../sqlite/0026_watch_gaps.sql.
--
-- A freed slot reads only the watches that can match it: the line's index now carries the
-- time-of-day envelope (tod_from, tod_to: minutes of the local day, the earliest start and the
-- latest end of the watch's time windows; 0 and 1440 for any time) and the weekdays ('1,3'),
-- so a watch whose days or hours cannot suit the slot is passed over in the index, never read.
-- Watches made before this keep the any-time envelope: the core checks every window exactly,
-- the envelope is only a filter.
ALTER TABLE watches ADD COLUMN tod_from BIGINT NOT NULL DEFAULT 0;
ALTER TABLE watches ADD COLUMN tod_to BIGINT NOT NULL DEFAULT 1440;
DROP INDEX watches_candidates;
CREATE INDEX watches_line ON watches (clinic_id, service_id, status, ends_at_us, starts_at_us, tod_from, tod_to, weekdays);
-- "Was this appointment booked by a watch?" (the dispatcher sends one message for it, not two).
CREATE INDEX watch_notices_by_appointment ON watch_notices (clinic_id, appointment_id);
-- The retention sweep finds ended watches whose contacts are still kept.
CREATE INDEX watches_ended ON watches (status, updated_at_us);

-- Outside (source) watches: their window's end as an instant (the end of `to_date` in the
-- watch's zone; NULL for watches made before this, computed by the sweep), and a record of
-- every notice, so a watcher is rate-limited like a local one and told once that the window
-- ended. `slot_id` '' is the window's end.
ALTER TABLE source_watches ADD COLUMN ends_at_us BIGINT;
ALTER TABLE source_watches ADD COLUMN updated_at_us BIGINT;
CREATE INDEX source_watches_ending ON source_watches (status, ends_at_us);
CREATE TABLE source_watch_notices (
    watch_id      TEXT    NOT NULL REFERENCES source_watches (id),
    slot_id       TEXT    NOT NULL,
    created_at_us BIGINT NOT NULL,
    PRIMARY KEY (watch_id, slot_id)
);
CREATE INDEX source_watch_notices_recent ON source_watch_notices (watch_id, created_at_us);
