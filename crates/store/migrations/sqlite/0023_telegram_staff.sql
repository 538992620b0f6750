-- Staff on Telegram (issue 14). A signed-in staff member mints a one-time link token from the
-- API; opening `t.me/BOT?start=TOKEN` binds that chat to the account (the token is then used
-- up). Only the token's hash is stored.
CREATE TABLE telegram_link_tokens (
    token_hash          TEXT    NOT NULL PRIMARY KEY,
    user_id             TEXT    NOT NULL REFERENCES users (id),
    expires_at_us       INTEGER NOT NULL,
    used_at_us          INTEGER,
    created_at_us       INTEGER NOT NULL
);
CREATE INDEX telegram_link_tokens_by_user ON telegram_link_tokens (user_id);
-- A chat bound to a staff account: the bot acts as that account (through the same
-- capability checks as the API). `alerts` = 1: the member opted in to operator/admin alerts.
CREATE TABLE telegram_staff_chats (
    bot_id              TEXT    NOT NULL REFERENCES telegram_bots (id),
    chat_id             INTEGER NOT NULL,
    user_id             TEXT    NOT NULL REFERENCES users (id),
    awaiting            TEXT,               -- a walk-in's name is awaited for this queue id
    alerts              INTEGER NOT NULL DEFAULT 0,
    linked_at_us        INTEGER NOT NULL,
    PRIMARY KEY (bot_id, chat_id)
);
CREATE INDEX telegram_staff_chats_by_user ON telegram_staff_chats (user_id);
-- Alerts waiting to be sent to opted-in staff chats, written in the same transaction as the
-- admin alert (e-mail) they mirror; `source` makes each alert once per chat.
CREATE TABLE telegram_staff_alerts (
    id                  TEXT    NOT NULL PRIMARY KEY,
    bot_id              TEXT    NOT NULL,
    chat_id             INTEGER NOT NULL,
    source              TEXT    NOT NULL,
    facts               TEXT    NOT NULL,
    created_at_us       INTEGER NOT NULL,
    sent_at_us          INTEGER,
    UNIQUE (bot_id, chat_id, source)
);
CREATE INDEX telegram_staff_alerts_pending ON telegram_staff_alerts (bot_id, sent_at_us);
-- The bot's @username (from getMe), so the API can hand out `t.me/<username>?start=…` links.
ALTER TABLE telegram_bots ADD COLUMN username TEXT;
