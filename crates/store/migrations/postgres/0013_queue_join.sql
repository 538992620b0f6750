-- The day-of queue, second part (issue 11). Kept in lockstep with ../sqlite/0013_queue_join.sql.
--
-- Settings added to a clinic's queue settings: whether patients may join a line themselves
-- from a join link or QR code (off unless the clinic turns it on), the longest line such a
-- join is still taken into, and how long after the location's last opening hour a queue's
-- day closes by itself.
ALTER TABLE queue_settings ADD COLUMN remote_join BIGINT NOT NULL DEFAULT 0;
ALTER TABLE queue_settings ADD COLUMN remote_cap BIGINT NOT NULL DEFAULT 30;
ALTER TABLE queue_settings ADD COLUMN close_after_min BIGINT NOT NULL DEFAULT 60;

-- A patient who joined by link may leave a Telegram chat to be reached in (no phone needed).
ALTER TABLE tickets ADD COLUMN telegram_chat TEXT;

-- Join links: one per location (the location's general queue of the day) or per queue. The
-- link's token is a signature over the clinic and the link's id with the instance key, so
-- nothing secret is stored; revoking a link sets revoked_at_us and its token stops opening.
CREATE TABLE queue_join_links (
    clinic_id       TEXT    NOT NULL REFERENCES clinics (id),
    id              TEXT    NOT NULL,
    location_id     TEXT    NOT NULL,
    queue_id        TEXT,
    created_at_us   BIGINT NOT NULL,
    revoked_at_us   BIGINT,
    PRIMARY KEY (clinic_id, id),
    FOREIGN KEY (clinic_id, location_id) REFERENCES locations (clinic_id, id)
);
CREATE INDEX queue_join_links_by_location ON queue_join_links (clinic_id, location_id);
