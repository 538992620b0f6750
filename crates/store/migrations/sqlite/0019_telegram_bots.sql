-- Telegram bots (issue 14). One row per bot this instance runs: the instance bot from the
-- configuration (id 'instance'), clinic bots later. The update offset and the polling lease
-- live here, so with several processes on one database exactly one polls a bot (the lease
-- holder) and another takes over, from the same offset, when the holder stops renewing.
CREATE TABLE telegram_bots (
    id                  TEXT    NOT NULL PRIMARY KEY,
    token_hash          TEXT    NOT NULL,   -- sha256 of the token: a new token starts afresh
    update_offset       INTEGER NOT NULL DEFAULT 0,
    lease_owner         TEXT,
    leased_until_us     INTEGER,
    revoked_at_us       INTEGER,            -- the API answered 401: polling stopped, operator alerted
    created_at_us       INTEGER NOT NULL,
    updated_at_us       INTEGER NOT NULL
);
-- The conversation with one chat: its state (JSON of nobat_bot's Conversation), so a restart
-- or a takeover continues where the conversation stopped.
CREATE TABLE telegram_chats (
    bot_id              TEXT    NOT NULL REFERENCES telegram_bots (id),
    chat_id             INTEGER NOT NULL,
    state               TEXT    NOT NULL,
    updated_at_us       INTEGER NOT NULL,
    PRIMARY KEY (bot_id, chat_id)
);
-- Updates already taken by a lease holder: an update is answered at most once, even when a
-- lease runs out mid-update and another process reads the same update again.
CREATE TABLE telegram_updates (
    bot_id              TEXT    NOT NULL REFERENCES telegram_bots (id),
    update_id           INTEGER NOT NULL,
    taken_by            TEXT    NOT NULL,
    taken_at_us         INTEGER NOT NULL,
    PRIMARY KEY (bot_id, update_id)
);
