-- Accounts, sessions, API tokens, 2FA, guest verification, consents and personal-data
-- settings (PostgreSQL). Kept in lockstep with ../sqlite/0002_accounts.sql.
--
-- Users are instance-wide (one person may work for several clinics and also book as a
-- patient); memberships, tokens, verifications and consents belong to a clinic and lead with
-- clinic_id like every tenant table. Secrets are never stored: sessions, tokens, one-time
-- codes and recovery codes are kept as keyed hashes; TOTP secrets are encrypted.

ALTER TABLE clinics ADD COLUMN require_staff_2fa BIGINT NOT NULL DEFAULT 0;
ALTER TABLE clinics ADD COLUMN verify_guest_contact BIGINT NOT NULL DEFAULT 0;
-- Days after a patient's last appointment before their personal data is anonymised; NULL
-- keeps it until erased by hand.
ALTER TABLE clinics ADD COLUMN retention_days BIGINT;

ALTER TABLE patients ADD COLUMN user_id TEXT;
ALTER TABLE patients ADD COLUMN erased_at_us BIGINT;
CREATE INDEX patients_by_user ON patients (user_id);

CREATE TABLE users (
    id              TEXT    NOT NULL PRIMARY KEY,
    email           TEXT    NOT NULL UNIQUE,    -- lower-cased
    name            TEXT    NOT NULL,
    password_hash   TEXT    NOT NULL,           -- argon2id PHC string
    is_operator     BIGINT NOT NULL,
    totp_secret     TEXT,                       -- encrypted; set once 2FA is confirmed
    totp_pending    TEXT,                       -- encrypted; between enrol and confirm
    totp_last_step  BIGINT,                      -- a code's time step is accepted once
    failed_logins   BIGINT NOT NULL,
    locked_until_us BIGINT,
    disabled        BIGINT NOT NULL,
    created_at_us   BIGINT NOT NULL,
    updated_at_us   BIGINT NOT NULL
);

CREATE TABLE memberships (
    clinic_id       TEXT    NOT NULL REFERENCES clinics (id),
    user_id         TEXT    NOT NULL REFERENCES users (id),
    role            TEXT    NOT NULL,
    practitioner_id TEXT,                       -- the practitioner this member is, if any
    created_at_us   BIGINT NOT NULL,
    PRIMARY KEY (clinic_id, user_id)
);
CREATE INDEX memberships_by_user ON memberships (user_id);

CREATE TABLE recovery_codes (
    user_id         TEXT    NOT NULL REFERENCES users (id),
    code_hash       TEXT    NOT NULL,
    used_at_us      BIGINT,
    PRIMARY KEY (user_id, code_hash)
);

CREATE TABLE sessions (
    id_hash         TEXT    NOT NULL PRIMARY KEY,
    user_id         TEXT    NOT NULL REFERENCES users (id),
    csrf_token      TEXT    NOT NULL,
    created_at_us   BIGINT NOT NULL,
    last_seen_us    BIGINT NOT NULL,
    expires_at_us   BIGINT NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (user_id);
CREATE INDEX sessions_by_expiry ON sessions (expires_at_us);

-- Scoped to one clinic and one role. Looked up by token_hash alone, so that key is unique on
-- its own (on Citus this table is a reference table, like users and sessions).
CREATE TABLE api_tokens (
    clinic_id       TEXT    NOT NULL REFERENCES clinics (id),
    id              TEXT    NOT NULL,
    user_id         TEXT    NOT NULL REFERENCES users (id),
    name            TEXT    NOT NULL,
    role            TEXT    NOT NULL,
    token_hash      TEXT    NOT NULL UNIQUE,
    created_at_us   BIGINT NOT NULL,
    last_used_at_us BIGINT,
    revoked_at_us   BIGINT,
    PRIMARY KEY (clinic_id, id)
);

-- A one-time code sent to a guest's phone or email.
CREATE TABLE verifications (
    clinic_id       TEXT    NOT NULL REFERENCES clinics (id),
    id              TEXT    NOT NULL,
    contact_key     TEXT    NOT NULL,
    code_hash       TEXT    NOT NULL,
    attempts        BIGINT NOT NULL,
    created_at_us   BIGINT NOT NULL,
    expires_at_us   BIGINT NOT NULL,
    confirmed_at_us BIGINT,
    PRIMARY KEY (clinic_id, id)
);
CREATE INDEX verifications_by_contact ON verifications (clinic_id, contact_key, created_at_us);

CREATE TABLE consents (
    clinic_id       TEXT    NOT NULL REFERENCES clinics (id),
    id              TEXT    NOT NULL,
    patient_id      TEXT    NOT NULL,
    kind            TEXT    NOT NULL,           -- e.g. 'privacy-notice', 'reminders'
    text_version    TEXT    NOT NULL,           -- which wording the patient agreed to
    given_at_us     BIGINT NOT NULL,
    withdrawn_at_us BIGINT,
    source          TEXT    NOT NULL,           -- 'booking', 'staff', 'manage-link'
    PRIMARY KEY (clinic_id, id),
    FOREIGN KEY (clinic_id, patient_id) REFERENCES patients (clinic_id, id)
);
CREATE INDEX consents_by_patient ON consents (clinic_id, patient_id);
