-- Following other publishers (issue 13): SMART Scheduling Links feeds and FHIR Slot searches an
-- operator registers. Kept in lockstep with the other engine's 0015_sources.sql. Instance-wide,
-- not a clinic's: an outside publisher's slots belong to no tenant here.
--
-- sources: one publisher; the poll lease (lease_owner, lease_until_us) lets several processes
-- share the work with only one polling a source at a time; `skipped` is the last import's report
-- (JSON list of {file, line, id, reason}).
CREATE TABLE sources (
    id                 TEXT    NOT NULL PRIMARY KEY,
    kind               TEXT    NOT NULL,
    url                TEXT    NOT NULL,
    created_at_us      INTEGER NOT NULL,
    next_poll_at_us    INTEGER NOT NULL,
    lease_owner        TEXT,
    lease_until_us     INTEGER,
    last_poll_at_us    INTEGER,
    last_success_at_us INTEGER,
    last_change_at_us  INTEGER,
    last_error         TEXT,
    imported           INTEGER NOT NULL,
    skipped            TEXT    NOT NULL,
    UNIQUE (kind, url)
);
CREATE INDEX sources_due ON sources (next_poll_at_us);

-- source_files: each file of a source as last fetched, with its validators, so an unchanged
-- file (304) is not fetched again and a later import still has its text.
CREATE TABLE source_files (
    source_id     TEXT    NOT NULL REFERENCES sources (id),
    url           TEXT    NOT NULL,
    kind          TEXT    NOT NULL,
    etag          TEXT,
    last_modified TEXT,
    body          TEXT    NOT NULL,
    fetched_at_us INTEGER NOT NULL,
    next_fetch_us INTEGER NOT NULL,
    PRIMARY KEY (source_id, url)
);

-- source_slots: the usable slots of the last import. A slot that turns free (new, or busy
-- before) emits `source.slot_free` in the transaction that records it: exactly once per
-- appearance.
CREATE TABLE source_slots (
    source_id     TEXT    NOT NULL REFERENCES sources (id),
    slot_id       TEXT    NOT NULL,
    schedule_id   TEXT    NOT NULL,
    location_id   TEXT    NOT NULL,
    location_name TEXT    NOT NULL,
    start_us      INTEGER NOT NULL,
    end_us        INTEGER NOT NULL,
    status        TEXT    NOT NULL,
    capacity      INTEGER NOT NULL,
    booking_links TEXT    NOT NULL,
    booking_phone TEXT,
    PRIMARY KEY (source_id, slot_id)
);
CREATE INDEX source_slots_start ON source_slots (source_id, start_us);

-- source_watches: a patient waiting for an outside publisher's slot, at one of its locations
-- or schedules, within a window of days, weekdays and times read in `time_zone` (outside
-- feeds carry offsets, not zones, so the watcher's zone is asked for). Only `notify`: booking
-- happens at the publisher's portal. Each (watch, slot) is told at most once: the message's
-- unique source is `source-watch:{watch}:{slot}`. `after_seq`: the last `source.slot_free` event
-- numbered before the watch was made; only slots freed after it are told.
CREATE TABLE source_watches (
    id            TEXT    NOT NULL PRIMARY KEY,
    source_id     TEXT    NOT NULL REFERENCES sources (id),
    token_hash    TEXT    NOT NULL UNIQUE,
    location_id   TEXT,
    schedule_id   TEXT,
    from_date     TEXT    NOT NULL,
    to_date       TEXT    NOT NULL,
    weekdays      TEXT    NOT NULL,
    times         TEXT    NOT NULL,
    time_zone     TEXT    NOT NULL,
    name          TEXT    NOT NULL,
    email         TEXT,
    phone         TEXT,
    telegram_chat TEXT,
    language      TEXT,
    status        TEXT    NOT NULL,
    created_at_us INTEGER NOT NULL,
    after_seq     INTEGER NOT NULL
);
CREATE INDEX source_watches_by_source ON source_watches (source_id, status);
