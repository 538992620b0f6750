//! A `nobat serve` child process: started on a free port, timed to its first answer, measured
//! for memory through /proc, killed at the end.

use anyhow::{Context, bail};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Server {
    child: Child,
    pub base: String,
    /// Spawn to first `GET /healthz` answered.
    pub cold_start: Duration,
}

impl Server {
    pub async fn start(nobat: &Path, data_dir: &Path, db_url: &str) -> anyhow::Result<Server> {
        Self::start_with_env(nobat, data_dir, db_url, &[]).await
    }

    /// The same, with extra environment (e.g. `NOBAT_SMTP_URL` for the messages scenario).
    pub async fn start_with_env(
        nobat: &Path,
        data_dir: &Path,
        db_url: &str,
        env: &[(&str, String)],
    ) -> anyhow::Result<Server> {
        let config = prepare(nobat, data_dir, db_url)?;
        let started = Instant::now();
        let mut child = Command::new(nobat)
            .args(["--listen", "127.0.0.1:0", "--database-url", db_url, "--data-dir"])
            .arg(data_dir)
            .arg("--config")
            .arg(&config)
            .arg("serve")
            .env("NOBAT_LOG", "warn")
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| format!("starting {}", nobat.display()))?;
        let stdout = child.stdout.take().context("no stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let base = loop {
            let Some(line) = lines.next() else { bail!("nobat exited before listening") };
            if let Some(rest) = line?.strip_prefix("Nobat is listening on ") {
                break rest.split_whitespace().next().context("no address")?.to_owned();
            }
        };
        std::thread::spawn(move || for _ in lines {});
        let client = reqwest::Client::new();
        loop {
            if let Ok(r) = client.get(format!("{base}/healthz")).send().await
                && r.status().is_success()
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        Ok(Server { child, base, cold_start: started.elapsed() })
    }

    /// Resident memory now and at its peak, in MiB (Linux /proc).
    pub fn rss_mib(&self) -> (f64, f64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap_or_default();
        let field = |name: &str| {
            status
                .lines()
                .find(|l| l.starts_with(name))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
                .map_or(0.0, |kb| kb / 1024.0)
        };
        (field("VmRSS:"), field("VmHWM:"))
    }

    pub fn api(&self) -> String {
        format!("{}/api/v1", self.base)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The operator account the benchmark seeds clinics with.
pub const OPERATOR_EMAIL: &str = "bench@nobat.test";
pub const OPERATOR_PASSWORD: &str = "benchmark-operator-password";

/// Writes a config without rate limits (all load comes from one IP) and makes sure the
/// operator account exists in this database (`nobat user create`, as an operator would).
fn prepare(nobat: &Path, data_dir: &Path, db_url: &str) -> anyhow::Result<PathBuf> {
    use std::io::Write;
    let config = data_dir.join("bench.toml");
    std::fs::write(
        &config,
        "rate_limit_api = 0\nrate_limit_login = 0\nrate_limit_login_account = 0\nrate_limit_codes = 0\n\
         rate_limit_codes_contact = 0\nrate_limit_booking = 0\n",
    )?;
    let mut child = Command::new(nobat)
        .args(["--database-url", db_url, "--data-dir"])
        .arg(data_dir)
        .args(["user", "create", "--operator", "--email", OPERATOR_EMAIL, "--name", "Benchmark", "--password-stdin"])
        .env("NOBAT_LOG", "error")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()?;
    child.stdin.take().context("no stdin")?.write_all(format!("{OPERATOR_PASSWORD}\n").as_bytes())?;
    let out = child.wait_with_output()?;
    let err = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() && !err.contains("already exists") {
        bail!("creating the benchmark operator: {err}");
    }
    Ok(config)
}

/// The `nobat` binary next to this one (cargo puts both in the same target directory).
pub fn sibling_nobat() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(|d| d.join("nobat")))
        .unwrap_or_else(|| PathBuf::from("nobat"))
}
