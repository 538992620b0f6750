//! The configuration reference: one table in the code, rendered to `docs/configuration.md` by
//! `nobat config reference`. A test keeps the document, this table and the keys the TOML file
//! accepts identical, so the reference cannot drift from the code.

/// One configuration key.
pub struct Key {
    pub name: &'static str,
    /// The command-line flag and environment variable, when there are.
    pub flag: Option<(&'static str, &'static str)>,
    pub default: &'static str,
    pub meaning: &'static str,
}

pub const KEYS: &[Key] = &[
    Key {
        name: "listen",
        flag: Some(("--listen", "NOBAT_LISTEN")),
        default: "127.0.0.1:8080",
        meaning: "Address the HTTP API listens on.",
    },
    Key {
        name: "data_dir",
        flag: Some(("--data-dir", "NOBAT_DATA_DIR")),
        default: "./nobat-data",
        meaning: "Directory of the SQLite database and its lock file.",
    },
    Key {
        name: "database_url",
        flag: Some(("--database-url", "NOBAT_DATABASE_URL")),
        default: "SQLite in data_dir",
        meaning: "`sqlite:PATH` or `postgres://user:password@host/db`. The password is redacted wherever the configuration is printed.",
    },
    Key {
        name: "hold_ttl_seconds",
        flag: Some(("--hold-ttl-seconds", "NOBAT_HOLD_TTL_SECONDS")),
        default: "600",
        meaning: "How long a hold reserves a slot (10–86400).",
    },
    Key {
        name: "hold_limit_per_owner",
        flag: None,
        default: "3",
        meaning: "Most active holds one owner (a signed-in user, or one guest's hold secret) may keep; staff holding for patients are not counted (1–1000).",
    },
    Key {
        name: "hold_limit_per_clinic",
        flag: None,
        default: "200",
        meaning: "Most active holds of one clinic, everyone together: what a guest rotating hold secrets can squat at most (1–1000000).",
    },
    Key {
        name: "log_format",
        flag: Some(("--log-format", "NOBAT_LOG_FORMAT")),
        default: "text",
        meaning: "`text` for people, `json` for log collectors. Verbosity follows `NOBAT_LOG` (e.g. `debug`).",
    },
    Key { name: "read_pool_size", flag: None, default: "8", meaning: "Read connections (1–256)." },
    Key {
        name: "max_batch",
        flag: None,
        default: "128",
        meaning: "Most writes committed together in one transaction (1–10000).",
    },
    Key {
        name: "pg_writers",
        flag: None,
        default: "4",
        meaning: "Writer connections per process on PostgreSQL (1–64); SQLite always has one.",
    },
    Key {
        name: "write_timeout_ms",
        flag: None,
        default: "10000",
        meaning: "How long a change waits to be committed (100–600000). Past it the client gets 504 `outcome-unknown` (retry with the same Idempotency-Key); a change not yet started is then dropped.",
    },
    Key {
        name: "write_queue",
        flag: None,
        default: "1024",
        meaning: "Changes waiting per writer, at most (1–1000000); past it new ones get 503 `busy` with Retry-After at once.",
    },
    Key {
        name: "pg_lock_timeout_ms",
        flag: None,
        default: "5000",
        meaning: "PostgreSQL `lock_timeout` of every session (0 = none); a write that waits longer is retried a few times, then refused as busy.",
    },
    Key {
        name: "pg_statement_timeout_ms",
        flag: None,
        default: "30000",
        meaning: "PostgreSQL `statement_timeout` of every session (0 = none). Migrations run without it.",
    },
    Key {
        name: "pg_idle_in_transaction_timeout_ms",
        flag: None,
        default: "10000",
        meaning: "PostgreSQL `idle_in_transaction_session_timeout` (0 = none): a process frozen inside a transaction loses its session and locks instead of blocking every other writer.",
    },
    Key {
        name: "pg_keepalive_idle_seconds",
        flag: None,
        default: "60",
        meaning: "PostgreSQL's TCP keepalives on each session (`tcp_keepalives_idle`; interval a sixth of it, 6 probes), so the server notices a vanished client and frees its locks. Every session also sets `synchronous_commit = on`.",
    },
    Key {
        name: "metrics_listen",
        flag: Some(("--metrics-listen", "NOBAT_METRICS_LISTEN")),
        default: "off",
        meaning: "Serve Prometheus `GET /metrics` on this address, apart from the API.",
    },
    Key {
        name: "backup_dir",
        flag: None,
        default: "off",
        meaning: "Write scheduled SQLite backups here (not for PostgreSQL: use pg_dump or base backups).",
    },
    Key {
        name: "backup_interval_seconds",
        flag: None,
        default: "86400",
        meaning: "Time between scheduled backups (60–604800).",
    },
    Key {
        name: "backup_keep_daily",
        flag: None,
        default: "7",
        meaning: "Keep the newest backup of each of this many days.",
    },
    Key {
        name: "backup_keep_weekly",
        flag: None,
        default: "4",
        meaning: "Keep the newest backup of each of this many ISO weeks.",
    },
    Key {
        name: "public_url",
        flag: Some(("--public-url", "NOBAT_PUBLIC_URL")),
        default: "http://LISTEN",
        meaning: "Where people reach this instance; used in manage links. `https://` makes session cookies `Secure` and sends HSTS.",
    },
    Key {
        name: "secret_key",
        flag: Some(("--secret-key", "NOBAT_SECRET_KEY")),
        default: "generated",
        meaning: "Master secret (base64url, 32+ bytes) for session/token hashes, manage links and TOTP encryption. If unset, generated once into `data_dir/secret.key` (mode 0600). Several processes on one PostgreSQL must share it: a process whose secret differs from the one the database first saw refuses to start. Never printed.",
    },
    Key {
        name: "data_keys",
        flag: Some(("--data-keys", "NOBAT_DATA_KEYS")),
        default: "generated",
        meaning: "Key ring sealing clinical content at rest (visit notes, form answers, messages, attachments): `ID:BASE64URL` entries of 32-byte keys separated by commas or newlines; the highest id is current. If unset, generated once into `data_dir/data.keys` (mode 0600). Several processes on one PostgreSQL must use the same ring. Rotate with `nobat keys rotate` (docs/records.md). Losing it loses the notes: back it up apart from the database. Never printed.",
    },
    Key {
        name: "rate_limit_api",
        flag: None,
        default: "600",
        meaning: "API requests per minute per client IP (0 = off).",
    },
    Key {
        name: "rate_limit_login",
        flag: None,
        default: "10",
        meaning: "Sign-in and registration attempts per minute per IP.",
    },
    Key {
        name: "rate_limit_login_account",
        flag: None,
        default: "5",
        meaning: "Sign-in attempts per minute per account; failed sign-ins also lock the account (30 s, doubling to 1 h).",
    },
    Key {
        name: "rate_limit_codes",
        flag: None,
        default: "10",
        meaning: "One-time-code requests and confirmations per minute per IP.",
    },
    Key {
        name: "rate_limit_codes_contact",
        flag: None,
        default: "3",
        meaning: "One-time codes sent per minute to one phone or email.",
    },
    Key {
        name: "rate_limit_booking",
        flag: None,
        default: "60",
        meaning: "Holds, bookings, reschedules and queue joins by link per minute per IP; also queue joins per minute per contact.",
    },
    Key {
        name: "trust_forwarded_for",
        flag: None,
        default: "false",
        meaning: "Take the client IP from the last `X-Forwarded-For` entry (only behind a reverse proxy that sets it).",
    },
    Key {
        name: "header_read_timeout_seconds",
        flag: None,
        default: "10",
        meaning: "Most time a client may take to send a request's headers, and to start the next request on a kept-alive connection; then the connection is closed (1–300).",
    },
    Key {
        name: "shutdown_grace_seconds",
        flag: None,
        default: "10",
        meaning: "On SIGTERM or Ctrl-C new connections are refused at once and open ones finish their request; those still open after this long are dropped (0–3600). Keep it under the service manager's stop timeout (30 s in `deploy/nobat.service`).",
    },
    Key {
        name: "max_connections",
        flag: None,
        default: "4096",
        meaning: "Most HTTP connections open at once; more wait in the listen backlog (1–1000000). Mind the process's file-descriptor limit.",
    },
    Key {
        name: "smtp_url",
        flag: Some(("--smtp-url", "NOBAT_SMTP_URL")),
        default: "off",
        meaning: "SMTP relay for email: `smtp://host:25` (plain), `smtps://host:465` (TLS), `smtp://host:587?tls=required` (STARTTLS); `user:password@` in the URL authenticates.",
    },
    Key {
        name: "smtp_from",
        flag: Some(("--smtp-from", "NOBAT_SMTP_FROM")),
        default: "Nobat <noreply@localhost>",
        meaning: "The sender of email; its domain ends every `Message-ID`.",
    },
    Key {
        name: "message_max_attempts",
        flag: None,
        default: "8",
        meaning: "Attempts to send a message before it is dead-lettered and the clinic's admins are alerted (1–100).",
    },
    Key {
        name: "message_retry_base_ms",
        flag: None,
        default: "30000",
        meaning: "The wait before a message's first retry; doubled per attempt (at most an hour), ±20 % jitter, never shorter than a provider's own `retry_after`.",
    },
    Key {
        name: "message_lease_seconds",
        flag: None,
        default: "300",
        meaning: "How long a process owns a message it is sending; a crashed process's messages are sent by another after this (at least 60).",
    },
    Key {
        name: "message_sms_segment_price_micros",
        flag: None,
        default: "unset (SMS not priced)",
        meaning: "What one SMS segment costs, in millionths of your currency (`45000` = 0.045): each SMS records its segments (GSM-7 160/153 characters, UCS-2 — Persian, Arabic, Russian — 70/67) times this as its cost; `GET /clinics/{clinic}/message-stats` sums it.",
    },
    Key {
        name: "message_retention_days",
        flag: None,
        default: "90",
        meaning: "How long a sent (or dead) message's record — recipient address, kind, status, cost — is kept before it is deleted (at least 1). Erasing a patient blanks their addresses at once.",
    },
    Key {
        name: "sms_provider",
        flag: Some(("--sms-provider", "NOBAT_SMS_PROVIDER")),
        default: "off",
        meaning: "SMS gateway: `twilio`, `kavenegar` or `http` (a templated HTTP request). SMS is off when unset. See the README's *Connecting channels*.",
    },
    Key {
        name: "twilio_api_url",
        flag: Some(("--twilio-api-url", "NOBAT_TWILIO_API_URL")),
        default: "https://api.twilio.com",
        meaning: "Twilio's API base URL (also used for clinics that bring their own Twilio account).",
    },
    Key {
        name: "twilio_account_sid",
        flag: Some(("--twilio-account-sid", "NOBAT_TWILIO_ACCOUNT_SID")),
        default: "—",
        meaning: "Twilio Account SID (`AC…`).",
    },
    Key {
        name: "twilio_auth_token",
        flag: Some(("--twilio-auth-token", "NOBAT_TWILIO_AUTH_TOKEN")),
        default: "—",
        meaning: "Twilio Auth Token. Secret: redacted when the configuration is printed.",
    },
    Key {
        name: "twilio_from",
        flag: Some(("--twilio-from", "NOBAT_TWILIO_FROM")),
        default: "—",
        meaning: "The Twilio number (E.164) or alphanumeric sender id messages come from.",
    },
    Key {
        name: "twilio_messaging_service_sid",
        flag: None,
        default: "—",
        meaning: "A Twilio Messaging Service (`MG…`) to send through instead of `twilio_from`.",
    },
    Key {
        name: "kavenegar_api_url",
        flag: Some(("--kavenegar-api-url", "NOBAT_KAVENEGAR_API_URL")),
        default: "https://api.kavenegar.com",
        meaning: "Kavenegar's API base URL (also used for clinics that bring their own Kavenegar key).",
    },
    Key {
        name: "kavenegar_api_key",
        flag: Some(("--kavenegar-api-key", "NOBAT_KAVENEGAR_API_KEY")),
        default: "—",
        meaning: "Kavenegar API key. Secret: redacted when printed.",
    },
    Key {
        name: "kavenegar_sender",
        flag: Some(("--kavenegar-sender", "NOBAT_KAVENEGAR_SENDER")),
        default: "the account's default line",
        meaning: "Kavenegar line number to send from.",
    },
    Key {
        name: "sms_http_url",
        flag: Some(("--sms-http-url", "NOBAT_SMS_HTTP_URL")),
        default: "—",
        meaning: "Generic gateway (`sms_provider = \"http\"`): the URL, with `{to}` `{text}` `{id}` placeholders (percent-encoded).",
    },
    Key { name: "sms_http_method", flag: None, default: "POST", meaning: "Generic gateway: `GET`, `POST` or `PUT`." },
    Key {
        name: "sms_http_body",
        flag: None,
        default: "—",
        meaning: "Generic gateway: the body template, e.g. `{\"to\":\"{to}\",\"text\":\"{text}\"}`; placeholders are escaped for the content type.",
    },
    Key {
        name: "sms_http_content_type",
        flag: None,
        default: "application/json",
        meaning: "Generic gateway: the body's content type (`application/json`, `application/x-www-form-urlencoded`, other: placeholders as-is).",
    },
    Key {
        name: "sms_http_auth_header",
        flag: None,
        default: "—",
        meaning: "Generic gateway: an authentication header's name, e.g. `Authorization`.",
    },
    Key {
        name: "sms_http_auth_value",
        flag: Some(("--sms-http-auth-value", "NOBAT_SMS_HTTP_AUTH_VALUE")),
        default: "—",
        meaning: "Generic gateway: that header's value, e.g. `Bearer …`. Secret: redacted when printed.",
    },
    Key {
        name: "sms_http_id_pointer",
        flag: None,
        default: "—",
        meaning: "Generic gateway: a JSON pointer (`/data/id`) to the gateway's message id in its answer.",
    },
    Key {
        name: "telegram_api_url",
        flag: Some(("--telegram-api-url", "NOBAT_TELEGRAM_API_URL")),
        default: "https://api.telegram.org",
        meaning: "Telegram Bot API base URL (a local Bot API server, or a test fake).",
    },
    Key {
        name: "telegram_bot_token",
        flag: Some(("--telegram-bot-token", "NOBAT_TELEGRAM_BOT_TOKEN")),
        default: "—",
        meaning: "The instance's bot token from @BotFather (`123456:ABC…`); Telegram is off when unset. Secret: redacted when printed.",
    },
    Key {
        name: "whatsapp_api_url",
        flag: Some(("--whatsapp-api-url", "NOBAT_WHATSAPP_API_URL")),
        default: "https://graph.facebook.com",
        meaning: "WhatsApp Cloud API (Graph) base URL.",
    },
    Key {
        name: "whatsapp_api_version",
        flag: None,
        default: "v21.0",
        meaning: "Graph API version in the WhatsApp request path.",
    },
    Key {
        name: "whatsapp_phone_number_id",
        flag: Some(("--whatsapp-phone-number-id", "NOBAT_WHATSAPP_PHONE_NUMBER_ID")),
        default: "—",
        meaning: "The WhatsApp Business phone number id messages are sent from.",
    },
    Key {
        name: "whatsapp_access_token",
        flag: Some(("--whatsapp-access-token", "NOBAT_WHATSAPP_ACCESS_TOKEN")),
        default: "—",
        meaning: "A WhatsApp Cloud API access token (system user). Secret: redacted when printed.",
    },
    Key {
        name: "channel_timeout_ms",
        flag: None,
        default: "10000",
        meaning: "Deadline of one request to an SMS gateway, Telegram or WhatsApp, connect to last byte (100–120000); past it the attempt counts as a transient failure and is retried later.",
    },
    Key {
        name: "webhook_timeout_ms",
        flag: None,
        default: "10000",
        meaning: "Deadline of one webhook POST (100–120000).",
    },
    Key {
        name: "webhook_retry_seconds",
        flag: None,
        default: "30",
        meaning: "Pause before a failed webhook delivery is tried again, doubling each time up to an hour (1–3600); after 10 attempts it is dead-lettered.",
    },
    Key {
        name: "webhook_allow_private_addresses",
        flag: None,
        default: "false",
        meaning: "Whether a clinic's webhook URL may point at loopback, private (RFC 1918, fc00::/7), link-local, shared (100.64/10) or multicast addresses. Refused by default, when the endpoint is registered (422 naming `url`) and again after DNS resolution before each delivery.",
    },
    Key {
        name: "smart_horizon_days",
        flag: None,
        default: "28",
        meaning: "Days of slots the SMART Scheduling Links publisher (`/smart/{clinic}/$bulk-publish`) lists from today, so a file stays small (1–92).",
    },
    Key {
        name: "smart_max_age_seconds",
        flag: None,
        default: "300",
        meaning: "`Cache-Control: max-age` of the SMART publication: how often consumers are asked to poll.",
    },
    Key {
        name: "source_min_poll_seconds",
        flag: None,
        default: "60",
        meaning: "Least time between two requests for one file of a followed source; the spec's floor is 60 — lower only for tests (1–86400).",
    },
    Key {
        name: "source_poll_seconds",
        flag: None,
        default: "300",
        meaning: "How often a followed source's manifest is polled when the publisher sends no `max-age` (at least `source_min_poll_seconds`).",
    },
    Key {
        name: "source_stale_seconds",
        flag: None,
        default: "86400",
        meaning: "A followed source with no successful poll for this long is flagged stale in `GET /api/v1/sources/{id}`.",
    },
];

/// The reference as Markdown.
pub fn markdown() -> String {
    let mut out = String::from(
        "# Configuration reference\n\n\
         Generated by `nobat config reference` from `crates/nobat/src/reference.rs`; a test keeps\n\
         this file identical to it.\n\n\
         Layers, later winning: defaults, the TOML file given with `--config` / `NOBAT_CONFIG`\n\
         (unknown keys are an error), environment variables, command-line flags.\n\
         `nobat config check` validates without starting; `nobat config` prints the result with\n\
         secrets redacted.\n\n\
         | key | flag | environment | default | meaning |\n|---|---|---|---|---|\n",
    );
    for k in KEYS {
        let (flag, env) =
            k.flag.map_or(("—".to_owned(), "—".to_owned()), |(f, e)| (format!("`{f}`"), format!("`{e}`")));
        out.push_str(&format!("| `{}` | {flag} | {env} | {} | {} |\n", k.name, k.default, k.meaning));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_key_is_documented_and_nothing_else() {
        for k in KEYS {
            let toml = format!("{} = {}", k.name, sample(k.name));
            assert!(
                toml::from_str::<crate::config::FileConfig>(&toml).is_ok(),
                "{} is not a key the file accepts",
                k.name
            );
        }
        // And the table names every key the file has: the field names, read off the type.
        let fields = serde_json::to_value(crate::config::FileConfig::default()).unwrap_or_default();
        let mut fields: Vec<&str> =
            fields.as_object().map(|o| o.keys().map(String::as_str).collect()).unwrap_or_default();
        let mut documented: Vec<&str> = KEYS.iter().map(|k| k.name).collect();
        fields.sort_unstable();
        documented.sort_unstable();
        assert_eq!(fields, documented, "FileConfig and the reference disagree");
    }

    #[test]
    fn the_document_is_current() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/configuration.md");
        let on_disk = std::fs::read_to_string(path).unwrap_or_default();
        assert_eq!(on_disk, markdown(), "run `nobat config reference > docs/configuration.md`");
    }

    fn sample(key: &str) -> &'static str {
        match key {
            "listen" | "metrics_listen" => "\"127.0.0.1:1\"",
            "data_dir" | "backup_dir" => "\"/tmp/x\"",
            "database_url" => "\"sqlite:/tmp/x.db\"",
            "log_format" => "\"json\"",
            "public_url" => "\"https://x.example\"",
            "secret_key" => "\"k\"",
            "data_keys" => "\"1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"",
            "smtp_url" => "\"smtp://127.0.0.1:25\"",
            "smtp_from" => "\"a@b.example\"",
            "trust_forwarded_for" | "webhook_allow_private_addresses" => "true",
            "channel_timeout_ms" | "webhook_timeout_ms" | "webhook_retry_seconds" => "1000",
            k if ["sms_", "twilio_", "kavenegar_", "telegram_", "whatsapp_"].iter().any(|p| k.starts_with(p)) => {
                "\"x\""
            }
            _ => "1",
        }
    }
}
