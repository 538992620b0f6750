-- Account hardening (PostgreSQL). Kept in lockstep with ../sqlite/0004_account_hardening.sql.
--
-- 1. API tokens expire. Tokens made before this migration live 365 days from their creation
--    (the longest life a new token may ask for).
-- 2. Failed sign-ins are counted per (account, client network) — so a stranger failing from
--    their own network locks only that pair — with one more row per account (network '*')
--    holding the account-wide count and its much higher ceiling. Accounts are named by a keyed
--    hash of the email, the same for addresses that have no account, so locks do not reveal
--    which addresses exist. users.failed_logins and users.locked_until_us are no longer used.
-- 3. Staff invitations: adding someone to a clinic is an invitation they accept through a
--    token link; the token is kept as a keyed hash.

ALTER TABLE api_tokens ADD COLUMN expires_at_us BIGINT;
UPDATE api_tokens SET expires_at_us = created_at_us + 31536000000000;

CREATE TABLE login_failures (
    account_key     TEXT    NOT NULL,           -- keyed hash of the lower-cased email
    network         TEXT    NOT NULL,           -- IPv4 address, IPv6 /64, or '*' for the account
    failures        BIGINT NOT NULL,
    locked_until_us BIGINT,
    updated_at_us   BIGINT NOT NULL,
    PRIMARY KEY (account_key, network)
);
CREATE INDEX login_failures_by_age ON login_failures (updated_at_us);

CREATE TABLE invitations (
    clinic_id       TEXT    NOT NULL REFERENCES clinics (id),
    id              TEXT    NOT NULL,
    email           TEXT    NOT NULL,           -- lower-cased
    role            TEXT    NOT NULL,
    practitioner_id TEXT,
    name            TEXT,                       -- a suggestion for a new account's name
    token_hash      TEXT    NOT NULL UNIQUE,
    created_at_us   BIGINT NOT NULL,
    expires_at_us   BIGINT NOT NULL,
    accepted_at_us  BIGINT,
    accepted_by     TEXT,
    PRIMARY KEY (clinic_id, id)
);
CREATE INDEX invitations_by_email ON invitations (clinic_id, email);
