//! Browser tests' harness: Debian's chromium driven through chromedriver (WebDriver) with
//! fantoccini. One chromedriver per test binary run, on a free loopback port; sessions started
//! with the flags this machine needs (no sandbox as root, no background networking: outside
//! connections are refused here and Chromium would stall on them), a fresh profile each.
//!
//! Screenshots go to `$CARGO_TARGET_DIR/screenshots` (or `target/screenshots`); axe-core (pinned,
//! installed by `scripts/test` from the npm registry) is injected into pages for the
//! accessibility pass. A test skips itself, loudly, when chromium or chromedriver is missing,
//! unless `NOBAT_REQUIRE_BROWSER=1` (scripts/test sets it), when it fails instead.
#![allow(dead_code, clippy::unwrap_used)]

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const PHONE: (u32, u32) = (390, 844);
pub const DESKTOP: (u32, u32) = (1366, 900);

/// A running chromedriver, stopped when dropped.
pub struct Driver {
    child: Child,
    pub url: String,
    _profiles: tempfile::TempDir,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn binary(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?.to_str()?.split(':').map(|d| PathBuf::from(d).join(name)).find(|p| p.is_file())
}

/// Starts chromedriver, or `None` (the test then skips) when the browser is not installed.
pub async fn driver() -> Option<Driver> {
    let (Some(driver), Some(_)) = (binary("chromedriver"), binary("chromium")) else {
        assert!(
            std::env::var("NOBAT_REQUIRE_BROWSER").is_err(),
            "chromium and chromedriver are required (apt-get install chromium chromium-driver)"
        );
        eprintln!("SKIPPED: chromium or chromedriver is not installed (scripts/test installs them)");
        return None;
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = Command::new(driver)
        .arg(format!("--port={port}"))
        .arg("--allowed-ips=127.0.0.1")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    let url = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "chromedriver did not start listening");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Some(Driver { child, url, _profiles: tempfile::tempdir().unwrap() })
}

impl Driver {
    /// A new browser session (a fresh profile), with JavaScript on or off.
    pub async fn session(&self, javascript: bool) -> Client {
        let profile = tempfile::Builder::new().prefix("chrome-").tempdir_in(self._profiles.path()).unwrap().keep();
        let mut options = json!({
            "binary": "/usr/bin/chromium",
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--hide-scrollbars", "--force-device-scale-factor=1",
                format!("--user-data-dir={}", profile.display()),
            ],
        });
        if !javascript {
            options["prefs"] = json!({ "profile.managed_default_content_settings.javascript": 2 });
        }
        let mut caps = serde_json::Map::new();
        caps.insert("goog:chromeOptions".into(), options);
        let http = hyper_util::client::legacy::connect::HttpConnector::new();
        ClientBuilder::new(http).capabilities(caps).connect(&self.url).await.expect("start a chromium session")
    }
}

/// Where screenshots are written.
pub fn screenshot_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    let dir = target.join("screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Sizes the window so that the page's viewport is `w`×`h` CSS pixels.
pub async fn viewport(c: &Client, (w, h): (u32, u32)) {
    c.set_window_size(w, h).await.unwrap();
    // The window's frame (none in headless, but do not rely on it) is measured and added.
    let inner = c.execute("return [window.innerWidth, window.innerHeight]", vec![]).await;
    if let Ok(Value::Array(v)) = inner {
        let (iw, ih) = (v[0].as_u64().unwrap_or(w as u64) as u32, v[1].as_u64().unwrap_or(h as u64) as u32);
        if (iw, ih) != (w, h) {
            c.set_window_size(w + (w - iw.min(w)), h + (h - ih.min(h))).await.unwrap();
        }
    }
}

/// Saves the whole page as `<name>.png`: the window is made as tall as the page first.
pub async fn screenshot(c: &Client, name: &str, (w, h): (u32, u32)) -> PathBuf {
    viewport(c, (w, h)).await;
    let height = c
        .execute("return Math.ceil(document.documentElement.scrollHeight)", vec![])
        .await
        .ok()
        .and_then(|v| v.as_u64())
        .unwrap_or(h as u64) as u32;
    if height > h {
        viewport(c, (w, height.min(4000))).await;
    }
    let png = c.screenshot().await.unwrap();
    let path = screenshot_dir().join(format!("{name}.png"));
    std::fs::write(&path, png).unwrap();
    viewport(c, (w, h)).await;
    path
}

/// Nothing sticks out sideways: the page is no wider than the viewport.
pub async fn assert_no_overflow(c: &Client, what: &str) {
    let v = c.execute("return [document.documentElement.scrollWidth, window.innerWidth]", vec![]).await.unwrap();
    let (sw, iw) = (v[0].as_u64().unwrap(), v[1].as_u64().unwrap());
    assert!(sw <= iw, "{what}: the page is {sw}px wide in a {iw}px window");
}

/// axe-core's script: `NOBAT_AXE_JS`, else where scripts/test installs it.
fn axe_source() -> Option<String> {
    let path = std::env::var_os("NOBAT_AXE_JS")
        .map(PathBuf::from)
        .unwrap_or_else(|| screenshot_dir().parent().unwrap().join("browser-tools/node_modules/axe-core/axe.min.js"));
    match std::fs::read_to_string(&path) {
        Ok(s) => Some(s),
        Err(_) => {
            assert!(
                std::env::var("NOBAT_REQUIRE_BROWSER").is_err(),
                "axe-core not found at {} (scripts/test installs it)",
                path.display()
            );
            eprintln!("SKIPPED accessibility pass: axe-core not at {}", path.display());
            None
        }
    }
}

/// Runs axe-core on the current page; fails on any critical violation, and returns every
/// violation (id, impact, count) for the test to print.
pub async fn assert_accessible(c: &Client, what: &str) -> Vec<String> {
    let Some(axe) = axe_source() else { return Vec::new() };
    c.execute(&axe, vec![]).await.expect("inject axe-core");
    let script = "const done = arguments[arguments.length - 1];
        axe.run(document, { resultTypes: ['violations'] })
           .then(r => done({ passed: r.passes.length, violations: r.violations.map(v => ({ id: v.id, impact: v.impact,
                n: v.nodes.length, target: v.nodes.slice(0, 3).map(n => n.target.join(' ')) })) }))
           .catch(e => done({ passed: 0, violations: [{ id: 'axe-error', impact: 'critical', n: 1, target: [String(e)] }] }));";
    let out = c.execute_async(script, vec![]).await.expect("run axe-core");
    // A pass that checked nothing would prove nothing: axe must have run its rules here.
    assert!(out["passed"].as_u64().unwrap_or(0) >= 10, "{what}: axe-core did not really run: {out}");
    let list = out["violations"].as_array().cloned().unwrap_or_default();
    let critical: Vec<&Value> = list.iter().filter(|v| v["impact"] == "critical").collect();
    assert!(critical.is_empty(), "{what}: critical accessibility violations: {critical:?}");
    list.iter().map(|v| format!("{what}: {} ({}) ×{} {}", v["id"], v["impact"], v["n"], v["target"])).collect()
}

/// Waits until `css` matches something, and returns it.
pub async fn wait_for(c: &Client, css: &str) -> fantoccini::elements::Element {
    c.wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css} never appeared: {e}"))
}

/// The page's `<html lang dir>`.
pub async fn lang_dir(c: &Client) -> (String, String) {
    let v = c.execute("return [document.documentElement.lang, document.documentElement.dir]", vec![]).await.unwrap();
    (v[0].as_str().unwrap().to_owned(), v[1].as_str().unwrap().to_owned())
}

pub async fn text(c: &Client) -> String {
    c.find(Locator::Css("body")).await.unwrap().text().await.unwrap()
}
