-- iCalendar (issue 16). Kept in lockstep with the other engine's 0016_calendar.sql.
--
-- ics_sequence: the iCalendar SEQUENCE of the appointment's event (RFC 5545 3.8.7.4): 0 when
-- booked, +1 on every change of status (cancellation included). The patient's calendar.ics and
-- the .ics the dispatcher attaches read the same number, so a calendar app replaces the event
-- it has instead of keeping an older version.
ALTER TABLE appointments ADD COLUMN ics_sequence BIGINT NOT NULL DEFAULT 0;

-- calendar_feeds: private, revocable iCalendar subscription URLs, one practitioner's
-- appointments or (practitioner_id NULL) the whole clinic's. Only a keyed hash of the token is
-- kept; the URL is shown once, when the feed is made. A revoked feed stays (for the audit
-- trail) and answers 404.
CREATE TABLE calendar_feeds (
    clinic_id       TEXT    NOT NULL REFERENCES clinics (id),
    id              TEXT    NOT NULL,
    practitioner_id TEXT,
    token_hash      TEXT    NOT NULL,
    created_at_us   BIGINT NOT NULL,
    revoked_at_us   BIGINT,
    PRIMARY KEY (clinic_id, id)
);
CREATE UNIQUE INDEX calendar_feeds_token ON calendar_feeds (token_hash);
