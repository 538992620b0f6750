-- Durable timers and hold owners. Kept in lockstep with the other engine's 0005_timers.sql.
--
-- jobs: every scheduled job (hold expiry, retention, later reminders, offer expiry, the
-- queue's grace period), one row per (clinic, kind, key) so scheduling is idempotent. A runner
-- claims due rows with a lease (lease_owner, leased_until_us); only the lease holder may
-- finish one. A finished job's row is deleted (a recurring job inserts its next run in the
-- same transaction); a job that failed too often stays, status 'dead', with its last error.
-- clinic_id is the clinic, or 'instance' for instance-wide jobs, as the audit chains do: so
-- there is no foreign key to clinics. payload holds ids only, never personal data.
CREATE TABLE jobs (
    clinic_id       TEXT    NOT NULL,
    kind            TEXT    NOT NULL,
    key             TEXT    NOT NULL,
    run_at_us       BIGINT NOT NULL,
    payload         TEXT    NOT NULL,   -- JSON
    status          TEXT    NOT NULL,   -- 'pending' or 'dead'
    attempts        BIGINT NOT NULL,   -- claims so far
    lease_owner     TEXT,
    leased_until_us BIGINT,
    last_error      TEXT,
    created_at_us   BIGINT NOT NULL,
    updated_at_us   BIGINT NOT NULL,
    PRIMARY KEY (clinic_id, kind, key)
);
CREATE INDEX jobs_due ON jobs (run_at_us) WHERE status = 'pending';

-- What the 'probe' job kind records each time it runs: a check that the runner runs every due
-- job exactly once, for tests and for operators.
CREATE TABLE job_probe_runs (
    clinic_id       TEXT    NOT NULL,
    key             TEXT    NOT NULL,
    runner          TEXT    NOT NULL,
    ran_at_us       BIGINT NOT NULL
);
CREATE INDEX job_probe_runs_by_key ON job_probe_runs (clinic_id, key);

-- Who may convert or release a hold: 'user:<id>', 'guest:<keyed hash of the hold secret>' or
-- 'offer:<id>'. NULL for holds made before owners existed (their id stays the capability
-- until they expire).
ALTER TABLE holds ADD COLUMN owner TEXT;
CREATE INDEX holds_by_owner ON holds (clinic_id, owner, expires_at_us);

-- Holds alive at the upgrade expire through the new timers too.
INSERT INTO jobs (clinic_id, kind, key, run_at_us, payload, status, attempts, created_at_us, updated_at_us)
    SELECT clinic_id, 'hold.expire', id, expires_at_us, '{}', 'pending', 0, created_at_us, created_at_us FROM holds;
