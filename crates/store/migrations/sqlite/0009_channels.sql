-- Channels (issue 12). Kept in lockstep with the other engine's 0009_channels.sql.
--
-- clinic_channels: a clinic's own provider credentials per channel (sms, telegram, whatsapp),
-- sealed with a key derived from the instance secret (ChaCha20-Poly1305, as TOTP secrets);
-- `fields` lists which fields are set (JSON array of names), so the API can say so without
-- opening the secret.
CREATE TABLE clinic_channels (
    clinic_id     TEXT    NOT NULL REFERENCES clinics (id),
    channel       TEXT    NOT NULL,
    sealed        TEXT    NOT NULL,
    fields        TEXT    NOT NULL,
    updated_at_us INTEGER NOT NULL,
    PRIMARY KEY (clinic_id, channel)
);

-- webhook_endpoints: where a clinic's events are POSTed, signed with the endpoint's own
-- secret (sealed like the credentials: it must be read back to sign, so it cannot be hashed).
CREATE TABLE webhook_endpoints (
    clinic_id     TEXT    NOT NULL REFERENCES clinics (id),
    id            TEXT    NOT NULL,
    url           TEXT    NOT NULL,
    secret_sealed TEXT    NOT NULL,
    description   TEXT    NOT NULL,
    created_at_us INTEGER NOT NULL,
    PRIMARY KEY (clinic_id, id)
);

-- webhook_sends: which endpoint already took which outbox message. The outbox delivery is one
-- row per message for the `webhooks` consumer; when one endpoint of several fails, the retry
-- skips the endpoints that took it, so each receives each event once.
CREATE TABLE webhook_sends (
    clinic_id     TEXT    NOT NULL,
    message_id    TEXT    NOT NULL,
    endpoint_id   TEXT    NOT NULL,
    sent_at_us    INTEGER NOT NULL,
    PRIMARY KEY (clinic_id, message_id, endpoint_id)
);
CREATE INDEX webhook_sends_age ON webhook_sends (sent_at_us);
