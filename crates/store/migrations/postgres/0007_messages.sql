-- Outgoing messages. Kept in lockstep with the other engine's 0007_messages.sql.
--
-- messages: one row per message to one recipient over one channel. The id (UUIDv7) is also
-- the provider idempotency key (SMTP Message-ID, Idempotency-Key headers). `source` says what
-- planned it ('<seq>:<role>' for an event's delivery, 'dead:<message id>:<user>' for an
-- admin alert): UNIQUE per clinic, so planning the same event twice (an outbox delivery handed
-- out again after a crash) never makes a second message. A sender claims due 'queued' and
-- 'failed' rows with a lease (lease_token, leased_until_us); only the lease holder records
-- the attempt. `facts` is what the message says beyond what the store can read again (a
-- verification code, an invitation link, an alert's detail): blanked once the message is
-- sent or dead. No foreign key to clinics: alerts to the instance's operators are messages of
-- the nil clinic (00000000-0000-0000-0000-000000000000), as operator alert events are.
CREATE TABLE messages (
    clinic_id       TEXT    NOT NULL,
    id              TEXT    NOT NULL,
    appointment_id  TEXT,
    kind            TEXT    NOT NULL,   -- nobat_notify::MessageKind wire name
    channel         TEXT    NOT NULL,   -- nobat_notify::ChannelKind wire name
    recipient       TEXT    NOT NULL,   -- address, E.164 number, chat id
    language        TEXT    NOT NULL,
    status          TEXT    NOT NULL,   -- queued, sent, delivered, failed, dead
    attempts        BIGINT NOT NULL,
    last_error      TEXT,
    provider_id     TEXT,
    source          TEXT    NOT NULL,
    facts           TEXT    NOT NULL,   -- JSON
    created_at_us   BIGINT NOT NULL,
    available_at_us BIGINT NOT NULL,
    leased_until_us BIGINT,
    lease_token     TEXT,
    sent_at_us      BIGINT,
    delivered_at_us BIGINT,
    PRIMARY KEY (clinic_id, id)
);
CREATE UNIQUE INDEX messages_by_source ON messages (clinic_id, source);
CREATE INDEX messages_due ON messages (available_at_us) WHERE status IN ('queued', 'failed');
CREATE INDEX messages_by_appointment ON messages (clinic_id, appointment_id);

-- A clinic's monthly SMS budget, in messages (NULL: the default, 1,000). Past it, a message
-- planned for SMS goes by email when the patient has an address, and the admins are told once
-- a month.
ALTER TABLE clinics ADD COLUMN sms_monthly_budget BIGINT;
