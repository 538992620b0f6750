-- The day-of queue (issue 11). Kept in lockstep with ../postgres/0010_queues.sql.
--
-- queues: one per location and local day, per practitioner or per service (both NULL: the
-- location's general queue). The default queue of a practitioner at a location is created on
-- first use; the partial unique index makes two concurrent first uses agree on one. The row is
-- also the queue's lock: every command that changes the line first bumps `version`, so two
-- desks calling at once are serialised (a row lock on PostgreSQL, the one writer on SQLite).
CREATE TABLE queues (
    clinic_id       TEXT    NOT NULL REFERENCES clinics (id),
    id              TEXT    NOT NULL,
    location_id     TEXT    NOT NULL,
    date            TEXT    NOT NULL,   -- the location's local date, YYYY-MM-DD
    practitioner_id TEXT,
    service_id      TEXT,
    code_prefix     TEXT    NOT NULL,   -- 'A', 'B', … per location and day
    name            TEXT    NOT NULL,
    next_number     INTEGER NOT NULL,   -- the next ticket's number (codes reset daily)
    version         INTEGER NOT NULL,
    closed_at_us    INTEGER,
    created_at_us   INTEGER NOT NULL,
    PRIMARY KEY (clinic_id, id),
    FOREIGN KEY (clinic_id, location_id) REFERENCES locations (clinic_id, id)
);
CREATE UNIQUE INDEX queues_per_practitioner ON queues (clinic_id, location_id, date, practitioner_id) WHERE practitioner_id IS NOT NULL;
CREATE UNIQUE INDEX queues_prefix ON queues (clinic_id, location_id, date, code_prefix);
CREATE INDEX queues_by_day ON queues (clinic_id, date);

-- tickets: a place in a queue. `rank` is the call order of waiting tickets (lowest first,
-- nobat_core::queue::order). One open ticket per appointment (a transfer closes the old one
-- before it opens the new one). No token column: the patient's token is a signature over the
-- ticket's id, so nothing secret is stored.
CREATE TABLE tickets (
    clinic_id       TEXT    NOT NULL REFERENCES clinics (id),
    id              TEXT    NOT NULL,
    queue_id        TEXT    NOT NULL,
    number          INTEGER NOT NULL,
    code            TEXT    NOT NULL,
    status          TEXT    NOT NULL,
    rank            INTEGER NOT NULL,
    kind            TEXT    NOT NULL,   -- 'booked' or 'walk_in' (how it was placed)
    priority        INTEGER NOT NULL,
    appointment_id  TEXT,
    booked_start_us INTEGER,            -- the appointment's start, for ordering
    arrival         TEXT,               -- 'early', 'on_time', 'late' for a checked-in appointment
    patient_id      TEXT    NOT NULL,
    service_id      TEXT,
    desk            TEXT,
    called_by       TEXT,               -- who called it last (desk debounce)
    transferred_to  TEXT,
    created_at_us   INTEGER NOT NULL,
    called_at_us    INTEGER,
    served_at_us    INTEGER,
    finished_at_us  INTEGER,
    updated_at_us   INTEGER NOT NULL,
    PRIMARY KEY (clinic_id, id),
    FOREIGN KEY (clinic_id, queue_id) REFERENCES queues (clinic_id, id),
    FOREIGN KEY (clinic_id, patient_id) REFERENCES patients (clinic_id, id)
);
CREATE UNIQUE INDEX tickets_number ON tickets (clinic_id, queue_id, number);
CREATE UNIQUE INDEX tickets_open_per_appointment ON tickets (clinic_id, appointment_id) WHERE appointment_id IS NOT NULL AND status <> 'transferred';
CREATE INDEX tickets_line ON tickets (clinic_id, queue_id, status, rank);

-- ticket_hops: every state a ticket entered, with when it began and ended (the OpenMRS
-- model): waiting and service times per step are differences of these.
CREATE TABLE ticket_hops (
    clinic_id       TEXT    NOT NULL REFERENCES clinics (id),
    ticket_id       TEXT    NOT NULL,
    n               INTEGER NOT NULL,
    queue_id        TEXT    NOT NULL,
    status          TEXT    NOT NULL,
    desk            TEXT,
    started_at_us   INTEGER NOT NULL,
    ended_at_us     INTEGER,
    PRIMARY KEY (clinic_id, ticket_id, n)
);
CREATE INDEX ticket_hops_served ON ticket_hops (clinic_id, status, started_at_us);

-- Hourly snapshots per queue, updated by every change in that hour: the line's length, the
-- longest line seen, tickets served, and the summed waits of those called (for the mean).
CREATE TABLE queue_snapshots (
    clinic_id       TEXT    NOT NULL REFERENCES clinics (id),
    queue_id        TEXT    NOT NULL,
    hour_us         INTEGER NOT NULL,
    waiting         INTEGER NOT NULL,
    max_waiting     INTEGER NOT NULL,
    called          INTEGER NOT NULL,
    served          INTEGER NOT NULL,
    wait_sum_s      INTEGER NOT NULL,
    updated_at_us   INTEGER NOT NULL,
    PRIMARY KEY (clinic_id, queue_id, hour_us)
);

-- A clinic's queue settings; a clinic without a row has the defaults (15 minutes' grace, one
-- walk-in after every 2 booked).
CREATE TABLE queue_settings (
    clinic_id       TEXT    NOT NULL PRIMARY KEY REFERENCES clinics (id),
    grace_min       INTEGER NOT NULL,
    walk_in_every   INTEGER NOT NULL,
    updated_at_us   INTEGER NOT NULL
);
