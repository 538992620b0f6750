//! The real `nobat` binary as a child process: started with flags and environment of the
//! test's choosing, its stdout read until it listens (or exits).
#![allow(dead_code, clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

pub struct Proc {
    pub child: Child,
    /// `http://127.0.0.1:PORT`
    pub base: String,
    /// Every stdout line so far (kept by a reader thread).
    pub out: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Proc {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn stdout(&self) -> String {
        self.out.lock().unwrap().join("\n")
    }

    /// Sends a signal (`TERM`, `INT`, …) with kill(1).
    pub fn signal(&self, sig: &str) {
        assert!(Command::new("kill").args([&format!("-{sig}"), &self.pid().to_string()]).status().unwrap().success());
    }

    /// Waits up to `limit` for the process to exit; its status, or `None` if it still runs.
    pub fn wait_for_exit(&mut self, limit: Duration) -> Option<std::process::ExitStatus> {
        let until = std::time::Instant::now() + limit;
        while std::time::Instant::now() < until {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
}

/// A `nobat` command with the database, data directory and a free port set.
pub fn nobat(db_url: &str, data_dir: &std::path::Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_nobat"));
    cmd.args(["--listen", "127.0.0.1:0", "--database-url", db_url, "--data-dir"])
        .arg(data_dir)
        .env("NOBAT_LOG", "warn");
    cmd
}

/// Runs a one-off command to its end: (success, stdout + stderr).
pub fn run(mut cmd: Command) -> (bool, String) {
    let out = cmd.stdin(Stdio::null()).output().unwrap();
    (out.status.success(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

/// Starts `cmd` (a `serve`) and waits up to two minutes for its "listening" line. `Err` with
/// what it printed if it exits first.
pub fn start(mut cmd: Command) -> Result<Proc, String> {
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("start nobat");
    let out = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let (tx, rx) = mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    let stderr = child.stderr.take().unwrap();
    {
        let out = out.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(rest) = line.strip_prefix("Nobat is listening on ") {
                    let _ = tx.send(rest.split_whitespace().next().unwrap_or_default().to_owned());
                }
                out.lock().unwrap().push(line);
            }
        });
    }
    {
        let out = out.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                out.lock().unwrap().push(line);
            }
        });
    }
    let mut proc = Proc { child, base: String::new(), out };
    let until = std::time::Instant::now() + Duration::from_secs(120);
    loop {
        if let Ok(base) = rx.recv_timeout(Duration::from_millis(50)) {
            proc.base = base;
            return Ok(proc);
        }
        if proc.child.try_wait().unwrap().is_some() || std::time::Instant::now() > until {
            std::thread::sleep(Duration::from_millis(100));
            return Err(proc.stdout());
        }
    }
}
