-- Watches on this instance's own slots (issue 13). Kept in lockstep with ../sqlite/0014_watches.sql.
--
-- watches: one patient waiting for a time. `locations` is ',' || id || ',' per location (''
-- for any), so a freed slot's location is filtered in SQL with LIKE; `weekdays` is '1,3' (ISO
-- day numbers, '' for any); `times` is JSON [["HH:MM","HH:MM"], …]. The window is stored both
-- as the location's dates (from_date, to_date: what the patient asked) and as instants
-- (starts_at_us, ends_at_us: the window's edges in the location's zone), which is what the
-- candidate index filters on. `created_at_us` (then `id`) is the queue order. The token that
-- manages a watch is never stored: only its keyed hash.
CREATE TABLE watches (
    clinic_id        TEXT    NOT NULL REFERENCES clinics (id),
    id               TEXT    NOT NULL,
    service_id       TEXT    NOT NULL,
    practitioner_id  TEXT,
    locations        TEXT    NOT NULL DEFAULT '',
    from_date        TEXT    NOT NULL,
    to_date          TEXT    NOT NULL,
    weekdays         TEXT    NOT NULL DEFAULT '',
    times            TEXT    NOT NULL DEFAULT '[]',
    starts_at_us     BIGINT NOT NULL,
    ends_at_us       BIGINT NOT NULL,
    mode             TEXT    NOT NULL,
    status           TEXT    NOT NULL,
    patient_name     TEXT    NOT NULL,
    email            TEXT,
    phone            TEXT,
    telegram_chat    TEXT,
    language         TEXT,
    channel          TEXT,
    token_hash       TEXT    NOT NULL,
    earlier_than     TEXT,
    contact_verified BIGINT NOT NULL DEFAULT 0,
    created_at_us    BIGINT NOT NULL,
    updated_at_us    BIGINT NOT NULL,
    PRIMARY KEY (clinic_id, id)
);
CREATE UNIQUE INDEX watches_by_token ON watches (token_hash);
-- A freed slot reads only the active watches of its clinic and service whose window covers it.
CREATE INDEX watches_candidates ON watches (clinic_id, service_id, status, ends_at_us, starts_at_us);
CREATE INDEX watches_by_status ON watches (clinic_id, status, created_at_us);

-- watch_notices: every time a watcher was told about (or offered, or booked into) a slot, and
-- the one notice that its window ended. The unique key is the no-twice guarantee: one notice per
-- watch and slot (practitioner + location + service + start); the window's end is the slot
-- ('', '', '', 0). `outcome`: sent (notify), offered → accepted | lapsed, booked, expired.
CREATE TABLE watch_notices (
    clinic_id       TEXT    NOT NULL REFERENCES clinics (id),
    id              TEXT    NOT NULL,
    watch_id        TEXT    NOT NULL,
    kind            TEXT    NOT NULL,
    practitioner_id TEXT    NOT NULL,
    location_id     TEXT    NOT NULL,
    service_id      TEXT    NOT NULL,
    start_us        BIGINT NOT NULL,
    end_us          BIGINT NOT NULL,
    outcome         TEXT    NOT NULL,
    hold_id         TEXT,
    appointment_id  TEXT,
    expires_at_us   BIGINT,
    created_at_us   BIGINT NOT NULL,
    updated_at_us   BIGINT NOT NULL,
    PRIMARY KEY (clinic_id, id),
    FOREIGN KEY (clinic_id, watch_id) REFERENCES watches (clinic_id, id)
);
CREATE UNIQUE INDEX watch_notices_once ON watch_notices (clinic_id, watch_id, practitioner_id, location_id, service_id, start_us);
CREATE INDEX watch_notices_recent ON watch_notices (clinic_id, watch_id, created_at_us);
CREATE INDEX watch_notices_open_offers ON watch_notices (clinic_id, practitioner_id, start_us, outcome);

-- A clinic's watch settings (defaults in nobat_core::watch::Settings when it has no row).
CREATE TABLE watch_settings (
    clinic_id      TEXT    NOT NULL PRIMARY KEY REFERENCES clinics (id),
    offer_minutes  BIGINT NOT NULL,
    per_hour       BIGINT NOT NULL,
    per_day        BIGINT NOT NULL,
    verify_guests  BIGINT NOT NULL,
    updated_at_us  BIGINT NOT NULL
);
