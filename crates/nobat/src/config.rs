//! Configuration: defaults < TOML file < `NOBAT_*` environment variables < command-line flags.
//! Unknown keys in the file are rejected, so a typo never silently falls back to a default.
//! Secrets (the password in a database URL) are redacted whenever the config is printed.

use anyhow::{Context, bail};
use serde::Deserialize;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// What `serve` runs with, after every layer is merged.
#[derive(Clone)]
pub struct Config {
    /// Address the HTTP server listens on.
    pub listen: SocketAddr,
    /// Directory for the SQLite database and, later, generated secrets and backups.
    pub data_dir: PathBuf,
    /// `sqlite:...` or `postgres://...`; defaults to `nobat.sqlite3` in the data directory.
    pub database_url: String,
    /// How long a hold reserves a slot.
    pub hold_ttl_seconds: u32,
    /// `text` (for people) or `json` (for log collectors).
    pub log_format: LogFormat,
    /// Read connections in the pool.
    pub read_pool_size: u32,
    /// Most writes committed together.
    pub max_batch: usize,
    /// Writer connections on PostgreSQL (SQLite always has one).
    pub pg_writers: usize,
    /// How long a write waits to be committed before its caller hears "outcome unknown".
    pub write_timeout_ms: u64,
    /// Writes waiting per writer, at most; more are refused at once as busy.
    pub write_queue: usize,
    /// Lock, statement and idle-in-transaction timeouts and keepalives of PostgreSQL sessions.
    pub pg_session: nobat_store::SessionLimits,
    /// Where Prometheus metrics are served (`GET /metrics`); off when unset.
    pub metrics_listen: Option<SocketAddr>,
    /// Scheduled SQLite backups go here; off when unset.
    pub backup_dir: Option<PathBuf>,
    /// Seconds between scheduled backups.
    pub backup_interval_seconds: u64,
    /// Keep the newest backup of each of this many days.
    pub backup_keep_daily: usize,
    /// Keep the newest backup of each of this many ISO weeks.
    pub backup_keep_weekly: usize,
    /// Where people reach this instance; `https://` turns on Secure cookies and HSTS.
    pub public_url: Option<String>,
    /// The master secret (base64url, 32+ bytes); generated into `data_dir/secret.key` if unset.
    pub secret_key: Option<String>,
    /// The data key ring sealing clinical content (`ID:BASE64URL,…`); generated into
    /// `data_dir/data.keys` if unset.
    pub data_keys: Option<String>,
    /// Rate limits, requests per minute; 0 turns one off.
    pub limits: nobat_web::auth::limits::LimitSettings,
    /// Most active holds per owner and per clinic (`hold_limit_per_owner`, `hold_limit_per_clinic`).
    pub hold_caps: nobat_core::hold::HoldCaps,
    /// Most seconds a client may take to send a request's headers (also how long an idle
    /// keep-alive connection is kept).
    pub header_read_timeout_seconds: u64,
    /// Most seconds a shutdown waits for open connections before dropping them.
    pub shutdown_grace_seconds: u64,
    /// Most HTTP connections open at once.
    pub max_connections: usize,
    /// Outgoing messages: channels (`smtp_url`, `smtp_from`) and the dispatcher's retries.
    pub messages: crate::dispatch::Settings,
    /// SMS gateway, Telegram bot, WhatsApp number, webhook pacing (`channels_config.rs`).
    pub channels: crate::channels_config::ChannelConfig,
    /// The SMART Scheduling Links publisher (`smart_horizon_days`, `smart_max_age_seconds`).
    pub smart: nobat_web::smart_publish::Publishing,
    /// The poller of followed sources (`source_min_poll_seconds`, `source_poll_seconds`,
    /// `source_stale_seconds`).
    pub sources: crate::sources::SourceSettings,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

/// The TOML file; every key optional, unknown keys are an error. Every key is documented in
/// `reference.rs`.
#[derive(Debug, Default, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub listen: Option<SocketAddr>,
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
    pub hold_ttl_seconds: Option<u32>,
    pub log_format: Option<LogFormat>,
    pub read_pool_size: Option<u32>,
    pub max_batch: Option<usize>,
    pub pg_writers: Option<usize>,
    pub write_timeout_ms: Option<u64>,
    pub write_queue: Option<usize>,
    pub pg_lock_timeout_ms: Option<u64>,
    pub pg_statement_timeout_ms: Option<u64>,
    pub pg_idle_in_transaction_timeout_ms: Option<u64>,
    pub pg_keepalive_idle_seconds: Option<u64>,
    pub metrics_listen: Option<SocketAddr>,
    pub backup_dir: Option<PathBuf>,
    pub backup_interval_seconds: Option<u64>,
    pub backup_keep_daily: Option<usize>,
    pub backup_keep_weekly: Option<usize>,
    pub public_url: Option<String>,
    pub secret_key: Option<String>,
    pub data_keys: Option<String>,
    pub rate_limit_api: Option<u32>,
    pub rate_limit_login: Option<u32>,
    pub rate_limit_login_account: Option<u32>,
    pub rate_limit_codes: Option<u32>,
    pub rate_limit_codes_contact: Option<u32>,
    pub rate_limit_booking: Option<u32>,
    pub trust_forwarded_for: Option<bool>,
    pub hold_limit_per_owner: Option<u32>,
    pub hold_limit_per_clinic: Option<u32>,
    pub header_read_timeout_seconds: Option<u64>,
    pub shutdown_grace_seconds: Option<u64>,
    pub max_connections: Option<usize>,
    pub smtp_url: Option<String>,
    pub smtp_from: Option<String>,
    pub message_max_attempts: Option<i64>,
    pub message_retry_base_ms: Option<u64>,
    pub message_lease_seconds: Option<u64>,
    pub message_sms_segment_price_micros: Option<i64>,
    pub message_retention_days: Option<u64>,
    // Channels (issue 12); merged in channels_config.rs.
    pub sms_provider: Option<String>,
    pub twilio_api_url: Option<String>,
    pub twilio_account_sid: Option<String>,
    pub twilio_auth_token: Option<String>,
    pub twilio_from: Option<String>,
    pub twilio_messaging_service_sid: Option<String>,
    pub kavenegar_api_url: Option<String>,
    pub kavenegar_api_key: Option<String>,
    pub kavenegar_sender: Option<String>,
    pub sms_http_url: Option<String>,
    pub sms_http_method: Option<String>,
    pub sms_http_body: Option<String>,
    pub sms_http_content_type: Option<String>,
    pub sms_http_auth_header: Option<String>,
    pub sms_http_auth_value: Option<String>,
    pub sms_http_id_pointer: Option<String>,
    pub telegram_api_url: Option<String>,
    pub telegram_bot_token: Option<String>,
    pub whatsapp_api_url: Option<String>,
    pub whatsapp_api_version: Option<String>,
    pub whatsapp_phone_number_id: Option<String>,
    pub whatsapp_access_token: Option<String>,
    pub channel_timeout_ms: Option<u64>,
    pub webhook_timeout_ms: Option<u64>,
    pub webhook_retry_seconds: Option<u64>,
    pub webhook_allow_private_addresses: Option<bool>,
    // SMART Scheduling Links publisher and followed sources (issues 16, 13).
    pub smart_horizon_days: Option<u32>,
    pub smart_max_age_seconds: Option<u32>,
    pub source_min_poll_seconds: Option<u64>,
    pub source_poll_seconds: Option<u64>,
    pub source_stale_seconds: Option<u64>,
}

/// Values given as flags or environment variables (clap reads both).
#[derive(Debug, Default, Clone, clap::Args)]
pub struct Overrides {
    /// TOML configuration file.
    #[arg(long, env = "NOBAT_CONFIG", global = true)]
    pub config: Option<PathBuf>,
    /// Listen address [default: 127.0.0.1:8080].
    #[arg(long, env = "NOBAT_LISTEN", global = true)]
    pub listen: Option<SocketAddr>,
    /// Data directory [default: ./nobat-data].
    #[arg(long, env = "NOBAT_DATA_DIR", global = true)]
    pub data_dir: Option<PathBuf>,
    /// Database URL: sqlite:PATH or postgres://… [default: SQLite in the data directory].
    #[arg(long, env = "NOBAT_DATABASE_URL", global = true)]
    pub database_url: Option<String>,
    /// Seconds a hold reserves a slot [default: 600].
    #[arg(long, env = "NOBAT_HOLD_TTL_SECONDS", global = true)]
    pub hold_ttl_seconds: Option<u32>,
    /// Serve Prometheus metrics on this address (e.g. 127.0.0.1:9464) [default: off].
    #[arg(long, env = "NOBAT_METRICS_LISTEN", global = true)]
    pub metrics_listen: Option<SocketAddr>,
    /// Log format [default: text].
    #[arg(long, env = "NOBAT_LOG_FORMAT", global = true)]
    pub log_format: Option<LogFormat>,
    /// Public URL people reach this instance at, e.g. https://clinic.example [default: http://LISTEN].
    #[arg(long, env = "NOBAT_PUBLIC_URL", global = true)]
    pub public_url: Option<String>,
    /// Master secret (base64url, 32+ bytes) [default: generated into DATA_DIR/secret.key].
    #[arg(long, env = "NOBAT_SECRET_KEY", global = true, hide_env_values = true)]
    pub secret_key: Option<String>,
    /// Data key ring for clinical content (`1:BASE64URL,2:…`) [default: generated into DATA_DIR/data.keys].
    #[arg(long, env = "NOBAT_DATA_KEYS", global = true, hide_env_values = true)]
    pub data_keys: Option<String>,
    /// SMTP relay for email: smtp://host:port, smtps://…, smtp://…?tls=required [default: no email].
    #[arg(long, env = "NOBAT_SMTP_URL", global = true, hide_env_values = true)]
    pub smtp_url: Option<String>,
    /// The sender of email, e.g. "Clinic <noreply@clinic.example>".
    #[arg(long, env = "NOBAT_SMTP_FROM", global = true)]
    pub smtp_from: Option<String>,
    #[command(flatten)]
    pub channels: crate::channels_config::ChannelOverrides,
}

impl Config {
    /// Merges the layers and validates the result.
    pub fn load(o: &Overrides) -> anyhow::Result<Config> {
        let file = match &o.config {
            Some(path) => read_file(path)?,
            None => FileConfig::default(),
        };
        let channels = crate::channels_config::ChannelConfig::merge(&file, &o.channels);
        let data_dir = o.data_dir.clone().or(file.data_dir).unwrap_or_else(|| PathBuf::from("nobat-data"));
        let database_url =
            o.database_url.clone().or(file.database_url).unwrap_or_else(|| nobat_store::sqlite_url_in(&data_dir));
        let cfg = Config {
            listen: o.listen.or(file.listen).unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8080))),
            data_dir,
            database_url,
            hold_ttl_seconds: o.hold_ttl_seconds.or(file.hold_ttl_seconds).unwrap_or(600),
            log_format: o.log_format.or(file.log_format).unwrap_or(LogFormat::Text),
            read_pool_size: file.read_pool_size.unwrap_or(8),
            max_batch: file.max_batch.unwrap_or(128),
            pg_writers: file.pg_writers.unwrap_or(4),
            write_timeout_ms: file.write_timeout_ms.unwrap_or(10_000),
            write_queue: file.write_queue.unwrap_or(1024),
            pg_session: {
                let d = nobat_store::SessionLimits::default();
                let ms =
                    |v: Option<u64>, default: std::time::Duration| v.map_or(default, std::time::Duration::from_millis);
                nobat_store::SessionLimits {
                    lock_timeout: ms(file.pg_lock_timeout_ms, d.lock_timeout),
                    statement_timeout: ms(file.pg_statement_timeout_ms, d.statement_timeout),
                    idle_in_transaction_timeout: ms(
                        file.pg_idle_in_transaction_timeout_ms,
                        d.idle_in_transaction_timeout,
                    ),
                    keepalive_idle: file
                        .pg_keepalive_idle_seconds
                        .map_or(d.keepalive_idle, std::time::Duration::from_secs),
                }
            },
            metrics_listen: o.metrics_listen.or(file.metrics_listen),
            backup_dir: file.backup_dir,
            backup_interval_seconds: file.backup_interval_seconds.unwrap_or(86_400),
            backup_keep_daily: file.backup_keep_daily.unwrap_or(7),
            backup_keep_weekly: file.backup_keep_weekly.unwrap_or(4),
            public_url: o.public_url.clone().or(file.public_url),
            secret_key: o.secret_key.clone().or(file.secret_key),
            data_keys: o.data_keys.clone().or(file.data_keys),
            limits: nobat_web::auth::limits::LimitSettings {
                api_per_ip: file.rate_limit_api.unwrap_or(600),
                login_per_ip: file.rate_limit_login.unwrap_or(10),
                login_per_account: file.rate_limit_login_account.unwrap_or(5),
                codes_per_ip: file.rate_limit_codes.unwrap_or(10),
                codes_per_contact: file.rate_limit_codes_contact.unwrap_or(3),
                booking_per_ip: file.rate_limit_booking.unwrap_or(60),
                trust_forwarded_for: file.trust_forwarded_for.unwrap_or(false),
            },
            hold_caps: nobat_core::hold::HoldCaps {
                per_owner: file.hold_limit_per_owner.unwrap_or(3),
                per_clinic: file.hold_limit_per_clinic.unwrap_or(200),
            },
            header_read_timeout_seconds: file.header_read_timeout_seconds.unwrap_or(10),
            shutdown_grace_seconds: file.shutdown_grace_seconds.unwrap_or(10),
            max_connections: file.max_connections.unwrap_or(4096),
            messages: {
                let d = crate::dispatch::Settings::default();
                crate::dispatch::Settings {
                    email: nobat_notify::EmailSettings {
                        smtp_url: o.smtp_url.clone().or(file.smtp_url),
                        smtp_from: o.smtp_from.clone().or(file.smtp_from).unwrap_or(d.email.smtp_from),
                        ..d.email
                    },
                    max_attempts: file.message_max_attempts.unwrap_or(d.max_attempts),
                    retry_base: file.message_retry_base_ms.map_or(d.retry_base, std::time::Duration::from_millis),
                    lease: file.message_lease_seconds.map_or(d.lease, std::time::Duration::from_secs),
                    sms_segment_price_micros: file.message_sms_segment_price_micros,
                    retention: file
                        .message_retention_days
                        .map_or(d.retention, |days| std::time::Duration::from_secs(days.max(1) * 86_400)),
                    ..d
                }
            },
            channels,
            smart: nobat_web::smart_publish::Publishing {
                horizon_days: file.smart_horizon_days.unwrap_or(28),
                max_age_seconds: file.smart_max_age_seconds.unwrap_or(300),
            },
            sources: {
                let d = crate::sources::SourceSettings::default();
                crate::sources::SourceSettings {
                    min_poll_seconds: file.source_min_poll_seconds.unwrap_or(d.min_poll_seconds),
                    poll_seconds: file.source_poll_seconds.unwrap_or(d.poll_seconds),
                    stale_seconds: file.source_stale_seconds.unwrap_or(d.stale_seconds),
                }
            },
        };
        cfg.validate()?;
        Ok(cfg)
    }

    fn validate(&self) -> anyhow::Result<()> {
        nobat_store::Engine::from_url(&self.database_url).map_err(|e| anyhow::anyhow!("database_url: {e}"))?;
        if !(10..=86_400).contains(&self.hold_ttl_seconds) {
            bail!("hold_ttl_seconds must be between 10 and 86400");
        }
        if !(1..=1000).contains(&self.hold_caps.per_owner) || !(1..=1_000_000).contains(&self.hold_caps.per_clinic) {
            bail!("hold_limit_per_owner must be between 1 and 1000, hold_limit_per_clinic between 1 and 1000000");
        }
        if !(1..=256).contains(&self.read_pool_size) {
            bail!("read_pool_size must be between 1 and 256");
        }
        if !(1..=10_000).contains(&self.max_batch) {
            bail!("max_batch must be between 1 and 10000");
        }
        if !(1..=64).contains(&self.pg_writers) {
            bail!("pg_writers must be between 1 and 64");
        }
        if !(100..=600_000).contains(&self.write_timeout_ms) {
            bail!("write_timeout_ms must be between 100 and 600000");
        }
        if !(1..=1_000_000).contains(&self.write_queue) {
            bail!("write_queue must be between 1 and 1000000");
        }
        if !(1..=7200).contains(&self.pg_session.keepalive_idle.as_secs()) {
            bail!("pg_keepalive_idle_seconds must be between 1 and 7200");
        }
        if self.backup_dir.is_some() && !self.database_url.starts_with("sqlite:") {
            bail!("backup_dir schedules SQLite backups; back PostgreSQL up with pg_dump or base backups");
        }
        if !(1..=92).contains(&self.smart.horizon_days) {
            bail!("smart_horizon_days must be between 1 and 92");
        }
        if !(1..=86_400).contains(&self.sources.min_poll_seconds)
            || self.sources.poll_seconds < self.sources.min_poll_seconds
        {
            bail!("source_min_poll_seconds must be between 1 and 86400, and source_poll_seconds at least that");
        }
        if !(60..=7 * 86_400).contains(&self.backup_interval_seconds) {
            bail!("backup_interval_seconds must be between 60 and 604800");
        }
        if let Some(url) = &self.public_url
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            bail!("public_url must start with http:// or https://");
        }
        if !(1..=300).contains(&self.header_read_timeout_seconds) {
            bail!("header_read_timeout_seconds must be between 1 and 300");
        }
        if self.shutdown_grace_seconds > 3600 {
            bail!("shutdown_grace_seconds must be at most 3600");
        }
        if !(1..=1_000_000).contains(&self.max_connections) {
            bail!("max_connections must be between 1 and 1000000");
        }
        if !(1..=100).contains(&self.messages.max_attempts) {
            bail!("message_max_attempts must be between 1 and 100");
        }
        if self.messages.retry_base < std::time::Duration::from_millis(10) {
            bail!("message_retry_base_ms must be at least 10");
        }
        if self.messages.lease < self.messages.email.timeout.saturating_mul(2) {
            bail!("message_lease_seconds must be at least twice the channel timeout (60)");
        }
        self.messages.email.check().map_err(|e| anyhow::anyhow!(e))?;
        self.channels.validate()?;
        if let Some(key) = &self.secret_key {
            nobat_web::auth::keys::parse_master(key).map_err(|e| anyhow::anyhow!("secret_key: {e}"))?;
        }
        if let Some(ring) = &self.data_keys {
            nobat_store::at_rest::DataKeys::parse(ring).map_err(|e| anyhow::anyhow!("data_keys: {e}"))?;
        }
        Ok(())
    }

    /// The bounds the HTTP server loop keeps.
    pub fn serve_limits(&self) -> crate::serve::Limits {
        crate::serve::Limits {
            header_read_timeout: std::time::Duration::from_secs(self.header_read_timeout_seconds),
            shutdown_grace: std::time::Duration::from_secs(self.shutdown_grace_seconds),
            max_connections: self.max_connections,
        }
    }

    /// The public URL, or the listen address over plain HTTP.
    pub fn public_url(&self) -> String {
        self.public_url.clone().unwrap_or_else(|| format!("http://{}", self.listen))
    }
}

fn read_file(path: &Path) -> anyhow::Result<FileConfig> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    toml::from_str(&text).with_context(|| format!("in {}", path.display()))
}

/// `postgres://user:secret@host/db` → `postgres://user:***@host/db`.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_owned() };
    let Some((auth, host)) = rest.split_once('@') else { return url.to_owned() };
    match auth.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_owned(),
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field("data_dir", &self.data_dir)
            .field("database_url", &redact_url(&self.database_url))
            .field("hold_ttl_seconds", &self.hold_ttl_seconds)
            .field("log_format", &self.log_format)
            .field("read_pool_size", &self.read_pool_size)
            .field("max_batch", &self.max_batch)
            .field("pg_writers", &self.pg_writers)
            .field("write_timeout_ms", &self.write_timeout_ms)
            .field("write_queue", &self.write_queue)
            .field("pg_session", &self.pg_session)
            .field("metrics_listen", &self.metrics_listen)
            .field("backup_dir", &self.backup_dir)
            .field("backup_interval_seconds", &self.backup_interval_seconds)
            .field("backup_keep_daily", &self.backup_keep_daily)
            .field("backup_keep_weekly", &self.backup_keep_weekly)
            .field("public_url", &self.public_url)
            .field("secret_key", &self.secret_key.as_ref().map(|_| "***"))
            .field("data_keys", &self.data_keys.as_ref().map(|_| "***"))
            .field("limits", &self.limits)
            .field("hold_caps", &self.hold_caps)
            .field("header_read_timeout_seconds", &self.header_read_timeout_seconds)
            .field("shutdown_grace_seconds", &self.shutdown_grace_seconds)
            .field("max_connections", &self.max_connections)
            .field("smtp_url", &self.messages.email.smtp_url.as_deref().map(redact_url))
            .field("smtp_from", &self.messages.email.smtp_from)
            .field("channels", &self.channels)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_are_rejected() {
        let err = toml::from_str::<FileConfig>("listen = \"127.0.0.1:1\"\nlisten_adress = \"x\"").err();
        assert!(err.is_some_and(|e| e.to_string().contains("listen_adress")));
    }

    #[test]
    fn flags_beat_file_and_secrets_are_redacted() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("nobat.toml");
        std::fs::write(
            &path,
            "listen = \"127.0.0.1:9000\"\nhold_ttl_seconds = 120\ndatabase_url = \"postgres://nobat:hunter2@db/nobat\"\n",
        )?;
        let o = Overrides { config: Some(path), listen: Some("127.0.0.1:9001".parse()?), ..Default::default() };
        let cfg = Config::load(&o)?;
        assert_eq!(cfg.listen.port(), 9001);
        assert_eq!(cfg.hold_ttl_seconds, 120);
        let shown = format!("{cfg:?}");
        assert!(!shown.contains("hunter2") && shown.contains("nobat:***@db"), "{shown}");
        Ok(())
    }

    #[test]
    fn bad_values_are_refused() {
        let o = Overrides { database_url: Some("mysql://x".into()), ..Default::default() };
        assert!(Config::load(&o).is_err());
        let o = Overrides { hold_ttl_seconds: Some(1), ..Default::default() };
        assert!(Config::load(&o).is_err());
    }
}
