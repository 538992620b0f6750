-- Instance-wide settings: rows of the installation, not of a clinic (no clinic_id; on Citus a
-- reference table). First: the fingerprint of the instance secret, so a process started with
-- another secret refuses to run instead of signing people out on every other request.
CREATE TABLE instance_settings (
    key TEXT NOT NULL PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at_us BIGINT NOT NULL
);
