//! `nobat`: the command line. A thin shell over the library.

use clap::{Parser, Subcommand};
use nobat::config::{Config, LogFormat, Overrides, redact_url};
use nobat::{Application, demo, shutdown_signal};
use std::process::ExitCode;

/// Nobat — self-hosted clinic booking, waiting-room queues and earlier-slot watching.
#[derive(Parser)]
#[command(name = "nobat", version = version(), about, long_about = None)]
struct Cli {
    #[command(flatten)]
    overrides: Overrides,
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run the server.
    Serve {
        /// Create the demo clinic (slug `demo`) if it does not exist yet, and print its URLs.
        #[arg(long)]
        demo: bool,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage accounts.
    User {
        #[command(subcommand)]
        action: UserAction,
    },
    /// Manage clinics (the first-run path: `nobat clinic create` makes a clinic and its owner).
    Clinic {
        #[command(subcommand)]
        action: ClinicAction,
    },
    /// Check the audit trail.
    Audit {
        #[command(subcommand)]
        action: AuditAction,
    },
    /// Print the effective configuration (secrets redacted), or just check it.
    Config {
        #[command(subcommand)]
        action: Option<ConfigAction>,
    },
    /// Write a consistent copy of the (SQLite) database to FILE while the server keeps running.
    Backup {
        /// Where to write the copy; must not exist yet.
        file: std::path::PathBuf,
    },
    /// Copy everything from this (SQLite) deployment into an empty PostgreSQL database, verify
    /// the counts, and leave the source untouched. Stop the server first.
    MigrateTo {
        /// postgres://user:password@host/database
        url: String,
    },
    /// Print a JSON summary of the instance for people: clinics, upcoming appointments, active
    /// holds, outbox depth and age, schema version.
    Stats,
    /// Import a clinic's practitioners, services or appointments from a CSV file (the columns of
    /// the matching export). Prints a JSON summary; rows refused are listed with their line.
    /// Safe to run again after an interruption: nothing is added twice.
    Import {
        /// practitioners, services or appointments
        kind: String,
        file: std::path::PathBuf,
        /// The clinic's slug or id.
        #[arg(long)]
        clinic: String,
        /// Rows per transaction.
        #[arg(long, default_value_t = 200)]
        batch: usize,
    },
    /// Replace the (SQLite) database with FILE after checking it. Stop the server first.
    Restore {
        /// A file written by `nobat backup`.
        file: std::path::PathBuf,
    },
    /// The data key ring that seals clinical content (docs/records.md). Stop the servers first.
    Keys {
        #[command(subcommand)]
        action: KeysAction,
    },
}

#[derive(clap::Subcommand)]
enum KeysAction {
    /// Add a key, make it current and re-seal every sealed value under it (in batches; run
    /// again with --resume after an interruption). With --retire, then drop the old keys if
    /// nothing is sealed under them any more.
    Rotate {
        /// Do not add a key: finish re-sealing under the current one.
        #[arg(long, conflicts_with = "retire")]
        resume: bool,
        /// Do not add a key: finish re-sealing, then drop every key but the current one.
        #[arg(long)]
        retire: bool,
        /// Values re-sealed per transaction.
        #[arg(long, default_value_t = 200)]
        batch: u32,
    },
}

#[derive(Subcommand)]
enum ConfigAction {
    /// Print the effective configuration (the default).
    Show,
    /// Validate the configuration (file, environment, flags) and exit: 0 if it is usable.
    Check,
    /// Print the configuration reference (every key, flag, variable, default and meaning).
    Reference,
}

#[derive(clap::Subcommand)]
enum UserAction {
    /// Create an account; prints a generated password unless one is given on stdin.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// An instance operator: may create clinics.
        #[arg(long)]
        operator: bool,
        /// Read the password from the first line of stdin instead of generating one.
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(clap::Subcommand)]
enum ClinicAction {
    /// Create a clinic and make OWNER_EMAIL its owner (the account is created if it is new).
    Create {
        #[arg(long)]
        slug: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        owner_email: String,
        /// The owner's name, if the account is new.
        #[arg(long, default_value = "Clinic owner")]
        owner_name: String,
        /// ISO 3166-1 alpha-2 country (e.g. MA, IR): phone numbers typed without a country code
        /// are read in it.
        #[arg(long)]
        country: Option<String>,
        /// Default language of patients and messages: en, fa, ar, fr, ru or tr.
        #[arg(long, default_value = "en")]
        language: String,
    },
}

#[derive(clap::Subcommand)]
enum AuditAction {
    /// Recompute every clinic's hash chain; exits non-zero if a row was changed or removed.
    Verify,
}

/// `0.1.0 (schema 2, tzdb 2025b)`: the binary, the newest database schema it understands and
/// the time-zone database it carries.
fn version() -> &'static str {
    let v = format!(
        "{} (schema {}, tzdb {})",
        env!("CARGO_PKG_VERSION"),
        nobat_store::migrate::current_version(),
        nobat_core::zones::version()
    );
    Box::leak(v.into_boxed_str())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::load(&cli.overrides) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("nobat: configuration error: {e:#}");
            return ExitCode::from(2);
        }
    };
    init_logging(config.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("nobat: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command, config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e:#}");
            eprintln!("nobat: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cmd: Cmd, config: Config) -> anyhow::Result<()> {
    match cmd {
        Cmd::Serve { demo } => {
            tracing::info!(?config, "starting");
            let app = Application::build(&config).await?;
            let addr = app.local_addr();
            if demo {
                demo::ensure(&app.store(), &config.data_dir).await?;
                nobat::demo_queue::today(&app.store()).await?;
                nobat::demo_notes::ensure(&app.store(), app.data_keys()).await?;
                demo::print_urls(addr);
                demo::print_credentials(&config.data_dir);
            } else if !app.store().has_users().await? {
                println!("No accounts yet. Create the first clinic and its owner with:");
                println!("  nobat clinic create --slug my-clinic --name \"My Clinic\" --owner-email you@example.com");
            }
            println!("Nobat is listening on http://{addr}  (health: http://{addr}/healthz)");
            app.run_until(shutdown_signal()).await
        }
        Cmd::Migrate => {
            nobat::ensure_data_dir(&config.data_dir)?;
            let applied = nobat_store::Store::migrate(&config.database_url).await?;
            println!(
                "{}: schema at version {} ({} migration(s) applied)",
                redact_url(&config.database_url),
                nobat_store::migrate::current_version(),
                applied.len()
            );
            Ok(())
        }
        Cmd::Config { action: None | Some(ConfigAction::Show) } => {
            println!("{config:#?}");
            Ok(())
        }
        // Loading already validated everything (a bad value exits with status 2).
        Cmd::Config { action: Some(ConfigAction::Reference) } => {
            print!("{}", nobat::reference::markdown());
            Ok(())
        }
        Cmd::Config { action: Some(ConfigAction::Check) } => {
            println!("configuration is valid");
            Ok(())
        }
        Cmd::MigrateTo { url } => {
            let _lock = if config.database_url.starts_with("sqlite:") {
                Some(nobat::lock_data_dir(&config.data_dir)?)
            } else {
                None
            };
            println!("copying {} → {}", redact_url(&config.database_url), redact_url(&url));
            let report = nobat_store::copy::sqlite_to_postgres(&config.database_url, &url, |table, n| {
                println!("  {table:<20} {n:>10} rows");
            })
            .await?;
            let total: u64 = report.iter().map(|(_, n)| n).sum();
            println!("done: {total} rows copied and counted on both sides; the SQLite database is unchanged.");
            println!("run nobat with --database-url (or database_url) pointing at PostgreSQL from now on");
            Ok(())
        }
        Cmd::User { action: UserAction::Create { email, name, operator, password_stdin } } => {
            let store = open_store(&config).await?;
            let password = if password_stdin {
                let mut line = String::new();
                std::io::stdin().read_line(&mut line)?;
                Some(line.trim_end_matches(['\r', '\n']).to_owned())
            } else {
                None
            };
            let given = password.is_some();
            let result =
                nobat::accounts::create_user(&store, &email, &name, password, operator, nobat::accounts::cli_actor())
                    .await;
            store.close().await;
            let (id, password) = result?;
            println!("created {} account {id} for {email}", if operator { "operator" } else { "user" });
            if !given {
                println!("password: {password}");
            }
            Ok(())
        }
        Cmd::Clinic { action: ClinicAction::Create { slug, name, owner_email, owner_name, country, language } } => {
            let store = open_store(&config).await?;
            let result = async {
                let actor = nobat::accounts::cli_actor();
                let (owner, password) = match store.user_by_email(&owner_email.trim().to_lowercase()).await? {
                    Some(u) => (u.id, None),
                    None => {
                        let (id, pw) =
                            nobat::accounts::create_user(&store, &owner_email, &owner_name, None, false, actor.clone())
                                .await?;
                        (id, Some(pw))
                    }
                };
                let place = nobat::accounts::ClinicPlace { country: country.as_deref(), language: &language };
                let clinic = nobat::accounts::create_clinic(&store, &slug, &name, place, owner, actor).await?;
                anyhow::Ok((clinic, password))
            }
            .await;
            store.close().await;
            let (clinic, password) = result?;
            println!("created clinic {slug} ({clinic}) owned by {owner_email}");
            if let Some(pw) = password {
                println!("owner's password: {pw}");
            }
            Ok(())
        }
        Cmd::Audit { action: AuditAction::Verify } => {
            let store = open_store(&config).await?;
            let reports = store.audit_verify().await;
            store.close().await;
            let mut broken = 0;
            for r in reports? {
                if r.problems.is_empty() {
                    println!(
                        "ok      {:<38} {:>8} rows ({} redacted)  head {}",
                        r.chain, r.rows, r.redacted, r.head_hash
                    );
                } else {
                    broken += 1;
                    println!("BROKEN  {:<38} {}", r.chain, r.problems.join("; "));
                }
            }
            if broken > 0 {
                anyhow::bail!("{broken} audit chain(s) do not verify");
            }
            Ok(())
        }
        Cmd::Stats => {
            let options =
                nobat_store::StoreOptions { migrate: false, pg_writers: 1, read_pool_size: 1, ..Default::default() };
            let store = nobat_store::Store::open(&config.database_url, options).await?;
            let gauges = store.gauges().await?;
            store.close().await;
            let summary = serde_json::json!({
                "database": redact_url(&config.database_url),
                "schema_version": nobat_store::migrate::current_version(),
                "clinics": gauges.clinics,
                "appointments_upcoming": gauges.appointments_upcoming,
                "holds_active": gauges.holds_active,
                "jobs_overdue": gauges.jobs_overdue,
                "jobs_dead": gauges.jobs_dead,
                "outbox_pending": gauges.outbox_pending,
                "outbox_oldest_age_seconds": gauges.outbox_oldest_age_seconds,
            });
            println!("{}", serde_json::to_string_pretty(&summary)?);
            Ok(())
        }
        Cmd::Import { kind, file, clinic, batch } => {
            let store = open_store(&config).await?;
            let result = nobat::import_cli::run(&store, &kind, &file, &clinic, batch).await;
            store.close().await;
            let summary = result?;
            println!("{}", serde_json::to_string_pretty(&summary)?);
            Ok(())
        }
        Cmd::Backup { file } => {
            let checked = nobat_store::backup::backup(&config.database_url, &file)?;
            println!(
                "backup written to {} ({} bytes, schema {}, {} appointments); integrity checked",
                file.display(),
                checked.bytes,
                checked.schema_version,
                checked.appointments
            );
            Ok(())
        }
        Cmd::Keys { action: KeysAction::Rotate { resume, retire, batch } } => {
            // On SQLite the data directory's lock proves no server runs on it; on PostgreSQL
            // the operator stops them (docs/records.md).
            let _lock = if config.database_url.starts_with("sqlite:") {
                Some(nobat::lock_data_dir(&config.data_dir)?)
            } else {
                None
            };
            let what = match (resume, retire) {
                (_, true) => nobat::data_keys::Rotation::Retire,
                (true, false) => nobat::data_keys::Rotation::Resume,
                (false, false) => nobat::data_keys::Rotation::Add,
            };
            let store = open_store(&config).await?;
            let result =
                nobat::data_keys::rotate(&store, config.data_keys.as_deref(), &config.data_dir, what, batch).await;
            store.close().await;
            let r = result?;
            println!(
                "current key {}; {} value(s) re-sealed; {} still under an old key",
                r.current, r.resealed, r.stale_left
            );
            if !r.retired.is_empty() {
                println!("retired key(s) {:?}", r.retired);
            }
            if let Some(ring) = r.configured_ring {
                println!("data_keys comes from the configuration: set it to the ring below on every process");
                print!("{ring}");
            }
            Ok(())
        }
        Cmd::Restore { file } => {
            let _lock = if config.database_url.starts_with("sqlite:") {
                Some(nobat::lock_data_dir(&config.data_dir)?)
            } else {
                None
            };
            let (checked, kept) = nobat_store::backup::restore(&config.database_url, &file)?;
            println!(
                "restored {} (schema {}, {} appointments); the next start migrates it if needed",
                file.display(),
                checked.schema_version,
                checked.appointments
            );
            if let Some(kept) = kept {
                println!("the previous database is kept as {}", kept.display());
            }
            Ok(())
        }
    }
}

/// The store for a one-off command, migrated as `serve` would: on a fresh machine the first
/// command run is often `nobat clinic create`, so the data directory is created too.
async fn open_store(config: &Config) -> anyhow::Result<nobat_store::Store> {
    nobat::ensure_data_dir(&config.data_dir)?;
    let options = nobat_store::StoreOptions { migrate: true, pg_writers: 1, read_pool_size: 2, ..Default::default() };
    Ok(nobat_store::Store::open(&config.database_url, options).await?)
}

fn init_logging(format: LogFormat) {
    use tracing_subscriber::EnvFilter;
    let filter =
        EnvFilter::try_from_env("NOBAT_LOG").unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}
