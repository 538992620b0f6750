-- Typed events with a per-clinic, gap-free sequence, and an outbox delivered per consumer.
--
-- `events` is the log a live stream resumes from (`Last-Event-ID`) and any consumer catches
-- up from after a restart or a LISTEN/NOTIFY gap. It holds what happened and the ids it
-- concerns, never secrets or personal data. `event_heads` holds each clinic's last seq; the
-- writer takes its row lock last in a transaction, just before COMMIT, and numbers the
-- batch's events under it, so numbers are consecutive per clinic and a rolled-back
-- transaction leaves no hole.
CREATE TABLE event_heads (
    clinic_id TEXT    NOT NULL PRIMARY KEY,
    last_seq  INTEGER NOT NULL
);
CREATE TABLE events (
    clinic_id TEXT    NOT NULL,
    seq       INTEGER NOT NULL,
    kind      TEXT    NOT NULL,   -- wire name, e.g. 'appointment.booked'
    subjects  TEXT    NOT NULL,   -- JSON: ids and kinds only
    at_us     INTEGER NOT NULL,
    PRIMARY KEY (clinic_id, seq)
);
CREATE INDEX events_at ON events (at_us);

-- `outbox` now keeps only the messages that carry more than their event's ids (the code a
-- verification SMS carries), numbered with the event they belong to; every other message is
-- its event. Its lease and done columns are no longer used: delivery state is per (message,
-- consumer) below.
ALTER TABLE outbox ADD COLUMN seq INTEGER;
DROP INDEX outbox_pending;
CREATE INDEX outbox_seq ON outbox (clinic_id, seq);

-- How far each consumer has taken each clinic's events into its deliveries. A claim first
-- turns the events after the cursor that the consumer wants into delivery rows and moves the
-- cursor, in one transaction, so nothing is skipped or taken twice — and a commit writes
-- only the event, whatever the number of consumers.
CREATE TABLE outbox_cursors (
    clinic_id TEXT    NOT NULL,
    consumer  TEXT    NOT NULL,
    last_seq  INTEGER NOT NULL,
    PRIMARY KEY (clinic_id, consumer)
);

CREATE TABLE outbox_deliveries (
    clinic_id       TEXT    NOT NULL,
    message_id      TEXT    NOT NULL,   -- the event's seq; the outbox row's id for the backlog
    consumer        TEXT    NOT NULL,   -- 'dispatcher', 'webhooks', 'watches'
    seq             INTEGER NOT NULL,   -- the event's seq (0 for the backlog before 0003)
    topic           TEXT    NOT NULL,
    ordering_key    TEXT    NOT NULL,   -- the appointment it is about ('' = unordered)
    status          TEXT    NOT NULL,   -- 'pending', 'delivered', 'dead', 'skipped'
    attempts        INTEGER NOT NULL,
    created_at_us   INTEGER NOT NULL,
    available_at_us INTEGER NOT NULL,
    leased_until_us INTEGER,
    lease_token     TEXT,
    last_error      TEXT,
    done_at_us      INTEGER,
    PRIMARY KEY (clinic_id, message_id, consumer)
);
CREATE INDEX outbox_deliveries_due ON outbox_deliveries (consumer, available_at_us) WHERE status = 'pending';
CREATE INDEX outbox_deliveries_order ON outbox_deliveries (clinic_id, consumer, ordering_key, seq) WHERE status = 'pending';
CREATE INDEX outbox_deliveries_done ON outbox_deliveries (done_at_us) WHERE status <> 'pending';

-- The backlog written since install was never consumed (no consumer existed). Sending it now
-- would send weeks-old messages, so it is marked 'skipped' for every consumer (done at its own
-- creation time, so retention removes it on schedule) — except verification codes, which stay
-- pending for the dispatcher: a claim never hands out a verification message older than a
-- code's life (10 minutes), and the retention sweep dead-letters those, so only codes that
-- are still usable are ever sent.
UPDATE outbox SET topic = 'verification.requested' WHERE topic = 'verification.code';
INSERT INTO outbox_deliveries (clinic_id, message_id, consumer, seq, topic, ordering_key, status, attempts,
                               created_at_us, available_at_us, done_at_us, last_error)
SELECT clinic_id, id, 'dispatcher', 0, topic, '',
       CASE WHEN topic = 'verification.requested' THEN 'pending' ELSE 'skipped' END,
       0, created_at_us, created_at_us,
       CASE WHEN topic = 'verification.requested' THEN NULL ELSE created_at_us END,
       CASE WHEN topic = 'verification.requested' THEN NULL ELSE 'written before migration 0003; not sent' END
FROM outbox WHERE done_at_us IS NULL;
