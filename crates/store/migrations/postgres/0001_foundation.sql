-- Nobat foundation schema (PostgreSQL). Kept in lockstep with ../sqlite/0001_foundation.sql:
-- same tables, same columns, same keys; only types and engine-only guards differ.
-- Instants are BIGINT microseconds since the Unix epoch (UTC); local dates are TEXT
-- 'YYYY-MM-DD'; ids are UUIDv7 TEXT. Every tenant-owned table leads with clinic_id and every
-- unique key includes it.

CREATE TABLE clinics (
    id              TEXT    NOT NULL PRIMARY KEY,
    slug            TEXT    NOT NULL UNIQUE,
    name            TEXT    NOT NULL,
    default_language TEXT   NOT NULL,
    created_at_us   BIGINT NOT NULL,
    updated_at_us   BIGINT NOT NULL
);

CREATE TABLE locations (
    clinic_id       TEXT    NOT NULL REFERENCES clinics (id),
    id              TEXT    NOT NULL,
    name            TEXT    NOT NULL,
    time_zone       TEXT    NOT NULL,
    address         TEXT    NOT NULL,
    latitude        DOUBLE PRECISION,
    longitude       DOUBLE PRECISION,
    created_at_us   BIGINT NOT NULL,
    PRIMARY KEY (clinic_id, id)
);

CREATE TABLE practitioners (
    clinic_id       TEXT    NOT NULL REFERENCES clinics (id),
    id              TEXT    NOT NULL,
    name            TEXT    NOT NULL,
    specialties     TEXT    NOT NULL,   -- JSON array of strings
    languages       TEXT    NOT NULL,   -- JSON array of BCP 47 tags
    active          BIGINT NOT NULL,
    -- Bumped by every booking change of this practitioner: the UPDATE that bumps it is the
    -- per-practitioner write lock on PostgreSQL (a row lock) and a version for read caches.
    booking_seq     BIGINT NOT NULL,
    -- Bumped by every change to what decides this practitioner's slots (rules, exceptions,
    -- services, locations): the key of the writer's calendar cache.
    schedule_seq    BIGINT NOT NULL,
    created_at_us   BIGINT NOT NULL,
    PRIMARY KEY (clinic_id, id)
);

CREATE TABLE services (
    clinic_id       TEXT    NOT NULL REFERENCES clinics (id),
    id              TEXT    NOT NULL,
    name            TEXT    NOT NULL,
    duration_min    BIGINT NOT NULL,
    buffer_before_min BIGINT NOT NULL,
    buffer_after_min BIGINT NOT NULL,
    capacity        BIGINT NOT NULL,
    slot_step_min   BIGINT NOT NULL,
    min_notice_min  BIGINT NOT NULL,
    horizon_days    BIGINT NOT NULL,
    cancel_cutoff_min BIGINT NOT NULL,
    reschedule_cutoff_min BIGINT NOT NULL,
    active          BIGINT NOT NULL,
    created_at_us   BIGINT NOT NULL,
    PRIMARY KEY (clinic_id, id)
);

CREATE TABLE schedule_rules (
    clinic_id       TEXT    NOT NULL REFERENCES clinics (id),
    id              TEXT    NOT NULL,
    practitioner_id TEXT    NOT NULL,
    location_id     TEXT    NOT NULL,
    weekdays        BIGINT NOT NULL,   -- bit 0 = Monday … bit 6 = Sunday
    start_min       BIGINT NOT NULL,   -- local minutes since midnight
    end_min         BIGINT NOT NULL,
    breaks          TEXT    NOT NULL,   -- JSON [[start_min, end_min], …]
    valid_from      TEXT    NOT NULL,
    valid_until     TEXT,
    services        TEXT    NOT NULL,   -- JSON array of service ids; empty = all
    created_at_us   BIGINT NOT NULL,
    PRIMARY KEY (clinic_id, id),
    FOREIGN KEY (clinic_id, practitioner_id) REFERENCES practitioners (clinic_id, id),
    FOREIGN KEY (clinic_id, location_id) REFERENCES locations (clinic_id, id)
);
CREATE INDEX schedule_rules_by_practitioner ON schedule_rules (clinic_id, practitioner_id);

CREATE TABLE schedule_exceptions (
    clinic_id       TEXT    NOT NULL REFERENCES clinics (id),
    id              TEXT    NOT NULL,
    practitioner_id TEXT,               -- NULL: everyone (a holiday)
    location_id     TEXT,               -- NULL: every location
    date            TEXT    NOT NULL,
    kind            TEXT    NOT NULL CHECK (kind IN ('closed', 'extra')),
    start_min       BIGINT,
    end_min         BIGINT,
    note            TEXT    NOT NULL,
    created_at_us   BIGINT NOT NULL,
    PRIMARY KEY (clinic_id, id)
);
CREATE INDEX schedule_exceptions_by_date ON schedule_exceptions (clinic_id, date);

CREATE TABLE patients (
    clinic_id       TEXT    NOT NULL REFERENCES clinics (id),
    id              TEXT    NOT NULL,
    name            TEXT    NOT NULL,
    phone           TEXT,
    email           TEXT,
    language        TEXT,
    -- How a guest is recognised on the next booking: 'phone:+212…' or 'email:…', with the
    -- name (families share a phone). Unique, so two concurrent first bookings make one record.
    contact_key     TEXT    NOT NULL,
    created_at_us   BIGINT NOT NULL,
    PRIMARY KEY (clinic_id, id)
);
CREATE UNIQUE INDEX patients_by_contact ON patients (clinic_id, contact_key, name);
CREATE INDEX patients_by_phone ON patients (clinic_id, phone);
CREATE INDEX patients_by_email ON patients (clinic_id, email);

CREATE TABLE appointments (
    clinic_id       TEXT    NOT NULL REFERENCES clinics (id),
    id              TEXT    NOT NULL,
    location_id     TEXT    NOT NULL,
    practitioner_id TEXT    NOT NULL,
    service_id      TEXT    NOT NULL,
    patient_id      TEXT    NOT NULL,
    start_us        BIGINT NOT NULL,
    end_us          BIGINT NOT NULL,
    block_start_us  BIGINT NOT NULL,   -- start minus the service's buffer before
    block_end_us    BIGINT NOT NULL,   -- end plus the buffer after
    capacity        BIGINT NOT NULL,   -- the service's capacity when booked
    status          TEXT    NOT NULL,
    occupies        BIGINT NOT NULL,   -- 1 while the status holds the practitioner's time
    note            TEXT,
    cancel_reason   TEXT,
    override_note   TEXT,               -- set when staff overrode a patient rule
    rescheduled_from TEXT,
    rescheduled_to  TEXT,
    created_at_us   BIGINT NOT NULL,
    updated_at_us   BIGINT NOT NULL,
    PRIMARY KEY (clinic_id, id),
    FOREIGN KEY (clinic_id, practitioner_id) REFERENCES practitioners (clinic_id, id),
    FOREIGN KEY (clinic_id, service_id) REFERENCES services (clinic_id, id),
    FOREIGN KEY (clinic_id, location_id) REFERENCES locations (clinic_id, id),
    FOREIGN KEY (clinic_id, patient_id) REFERENCES patients (clinic_id, id)
);
CREATE INDEX appointments_busy ON appointments (clinic_id, practitioner_id, block_start_us) WHERE occupies = 1;
CREATE INDEX appointments_busy_clinic ON appointments (clinic_id, block_start_us) WHERE occupies = 1;
CREATE INDEX appointments_by_start ON appointments (clinic_id, start_us);
CREATE INDEX appointments_by_patient ON appointments (clinic_id, patient_id);

CREATE TABLE holds (
    clinic_id       TEXT    NOT NULL REFERENCES clinics (id),
    id              TEXT    NOT NULL,
    location_id     TEXT    NOT NULL,
    practitioner_id TEXT    NOT NULL,
    service_id      TEXT    NOT NULL,
    start_us        BIGINT NOT NULL,
    end_us          BIGINT NOT NULL,
    block_start_us  BIGINT NOT NULL,
    block_end_us    BIGINT NOT NULL,
    expires_at_us   BIGINT NOT NULL,
    created_at_us   BIGINT NOT NULL,
    PRIMARY KEY (clinic_id, id)
);
CREATE INDEX holds_busy ON holds (clinic_id, practitioner_id, block_start_us);
CREATE INDEX holds_busy_clinic ON holds (clinic_id, block_start_us);
CREATE INDEX holds_expiry ON holds (expires_at_us);

-- Answers to POSTs that carried an Idempotency-Key, kept so a retry gets the same answer.
CREATE TABLE idempotency_keys (
    clinic_id       TEXT    NOT NULL REFERENCES clinics (id),
    key             TEXT    NOT NULL,
    request_hash    TEXT    NOT NULL,
    status_code     BIGINT NOT NULL,
    response        TEXT    NOT NULL,
    created_at_us   BIGINT NOT NULL,
    PRIMARY KEY (clinic_id, key)
);

-- Domain events written in the same transaction as the change that caused them; the
-- notification dispatcher and other consumers lease rows from here.
CREATE TABLE outbox (
    clinic_id       TEXT    NOT NULL REFERENCES clinics (id),
    id              TEXT    NOT NULL,
    topic           TEXT    NOT NULL,
    payload         TEXT    NOT NULL,   -- JSON
    created_at_us   BIGINT NOT NULL,
    available_at_us BIGINT NOT NULL,
    attempts        BIGINT NOT NULL,
    leased_until_us BIGINT,
    lease_token     TEXT,               -- who holds the lease: only they may finish or release it
    done_at_us      BIGINT,
    PRIMARY KEY (clinic_id, id)
);
CREATE INDEX outbox_pending ON outbox (available_at_us) WHERE done_at_us IS NULL;

-- Who changed what, when, before and after; one row per change, same transaction.
-- The audit trail: append-only and hash-chained per clinic (clinic_id 'instance' holds
-- instance-wide events such as accounts). Each row's hash covers the previous row's hash and
-- a digest of its body, so a changed, inserted or removed row breaks the chain from there on
-- (`nobat audit verify`). `audit_heads` holds each chain's last seq and hash, so removing the
-- newest rows is detected too. Erasure may blank a row's before/after/note (redacted_at_us
-- set); the chain still verifies through body_hash.
CREATE TABLE audit_events (
    clinic_id       TEXT    NOT NULL,
    seq             BIGINT NOT NULL,
    id              TEXT    NOT NULL,
    at_us           BIGINT NOT NULL,
    actor           TEXT    NOT NULL,   -- 'user:<id>', 'token:<id>', 'guest', 'system'
    actor_label     TEXT    NOT NULL,   -- who that was, as shown to people
    action          TEXT    NOT NULL,
    entity          TEXT    NOT NULL,
    entity_id       TEXT    NOT NULL,
    subject         TEXT,               -- the patient the event is about, if any
    before          TEXT,               -- JSON
    after           TEXT,               -- JSON
    note            TEXT,
    body_hash       TEXT    NOT NULL,
    prev_hash       TEXT    NOT NULL,
    hash            TEXT    NOT NULL,
    redacted_at_us  BIGINT,
    PRIMARY KEY (clinic_id, seq)
);
CREATE INDEX audit_by_entity ON audit_events (clinic_id, entity, entity_id);
CREATE INDEX audit_by_subject ON audit_events (clinic_id, subject, seq);
CREATE INDEX audit_by_time ON audit_events (clinic_id, at_us);

CREATE TABLE audit_heads (
    clinic_id       TEXT    NOT NULL PRIMARY KEY,
    seq             BIGINT NOT NULL,
    hash            TEXT    NOT NULL
);

-- Defence in depth, PostgreSQL only: even if a bug slipped past the booking transaction, the
-- database refuses two time-occupying appointments of one practitioner whose blocks overlap,
-- unless both belong to the same group session (same service and start, capacity > 1).
-- Capacity within a session is enforced by the booking transaction.
CREATE EXTENSION IF NOT EXISTS btree_gist;
ALTER TABLE appointments ADD CONSTRAINT appointments_no_overlap EXCLUDE USING gist (
    clinic_id WITH =,
    practitioner_id WITH =,
    (CASE WHEN capacity > 1 THEN service_id || '@' || start_us::text ELSE id END) WITH <>,
    int8range(block_start_us, block_end_us) WITH &&
) WHERE (occupies = 1);

