//! A newcomer's first ten minutes, with the real binary: the first-run commands on a data
//! directory that does not exist yet, the demo's all-or-nothing creation, and docs that stand
//! alone (a licence in the repository, no link leading out of it).
#![allow(clippy::unwrap_used)]

use crate::common;
use crate::spawn;

use common::*;
use reqwest::StatusCode;
use spawn::*;

#[tokio::test]
async fn user_and_clinic_create_work_on_a_fresh_data_directory() {
    let dir = tempfile::tempdir().unwrap();
    let (db_url, engine) = fresh_database(dir.path()).await;
    // Nothing exists under the data directory's path yet, not even its parent.
    let data = dir.path().join("not/yet/there");
    let db_url = if engine == "sqlite" { nobat_store::sqlite_url_in(&data) } else { db_url };
    let mut cmd = nobat(&db_url, &data);
    cmd.args(["user", "create", "--email", "op@first.test", "--name", "First Operator", "--operator"]);
    let (ok, out) = run(cmd);
    assert!(ok, "`nobat user create` on a fresh data directory: {out}");
    assert!(out.contains("password: "), "{out}");

    let fresh = dir.path().join("another/fresh/dir");
    let db_url = if engine == "sqlite" { nobat_store::sqlite_url_in(&fresh) } else { db_url };
    let mut cmd = nobat(&db_url, &fresh);
    cmd.args(["clinic", "create", "--slug", "first", "--name", "First Clinic", "--owner-email", "own@first.test"]);
    let (ok, out) = run(cmd);
    assert!(ok, "`nobat clinic create` on a fresh data directory: {out}");
    assert!(out.contains("owner's password: "), "{out}");

    // Where the clinic is and what it speaks: validated, stored normalised.
    let mut cmd = nobat(&db_url, &fresh);
    cmd.args(["clinic", "create", "--slug", "casa", "--name", "Casa", "--owner-email", "own@first.test"]);
    cmd.args(["--country", "ma", "--language", "fr-MA"]);
    let (ok, out) = run(cmd);
    assert!(ok, "`nobat clinic create --country`: {out}");
    for bad in [["--country", "XX"], ["--language", "de"]] {
        let mut cmd = nobat(&db_url, &fresh);
        cmd.args(["clinic", "create", "--slug", "bad", "--name", "Bad", "--owner-email", "own@first.test"]);
        cmd.args(bad);
        let (ok, out) = run(cmd);
        assert!(!ok, "{bad:?} is refused: {out}");
    }
    sqlx::any::install_default_drivers();
    let db = sqlx::AnyPool::connect(&db_url).await.unwrap();
    let (country, language): (String, String) =
        sqlx::query_as("SELECT country, default_language FROM clinics WHERE slug = 'casa'")
            .fetch_one(&db)
            .await
            .unwrap();
    assert_eq!((country.as_str(), language.as_str()), ("MA", "fr"));
    db.close().await;
}

/// Signs in as the demo's receptionist with the password from the credentials file.
async fn reception_signs_in(base: &str, data_dir: &std::path::Path) {
    let text = std::fs::read_to_string(data_dir.join("demo-credentials.txt")).unwrap();
    assert_eq!(text.lines().filter(|l| l.contains("@demo.nobat.test")).count(), 6, "{text}");
    let password = text
        .lines()
        .find_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f.get(1) == Some(&"reception@demo.nobat.test")).then(|| f[2].to_owned())
        })
        .unwrap();
    login(&reqwest::Client::new(), &format!("{base}/api/v1"), "reception@demo.nobat.test", &password).await;
}

async fn demo_clinics(db_url: &str) -> i64 {
    sqlx::any::install_default_drivers();
    let db = sqlx::AnyPool::connect(db_url).await.unwrap();
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM clinics WHERE slug = 'demo'").fetch_one(&db).await.unwrap();
    db.close().await;
    n
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_on_a_missing_data_directory_with_a_configured_secret_keeps_its_passwords() {
    let dir = tempfile::tempdir().unwrap();
    let (db_url, _) = fresh_database(dir.path()).await;
    let data = dir.path().join("data/does/not/exist");
    let secret = nobat_web::auth::keys::new_master();
    let mut cmd = nobat(&db_url, &data);
    cmd.args([&format!("--secret-key={secret}"), "serve", "--demo"]);
    let server = start(cmd).unwrap_or_else(|out| panic!("serve --demo on a missing data directory: {out}"));
    reception_signs_in(&server.base, &data).await;
    drop(server);
    // The next start reuses the demo, and its passwords still work.
    let mut cmd = nobat(&db_url, &data);
    cmd.args([&format!("--secret-key={secret}"), "serve", "--demo"]);
    let server = start(cmd).unwrap();
    reception_signs_in(&server.base, &data).await;
    assert_eq!(demo_clinics(&db_url).await, 1);
    // The demo clinic has a country, so its staff can type local numbers.
    let db = sqlx::AnyPool::connect(&db_url).await.unwrap();
    let (country,): (String,) =
        sqlx::query_as("SELECT country FROM clinics WHERE slug = 'demo'").fetch_one(&db).await.unwrap();
    assert_eq!(country, "IR");
    db.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_is_all_or_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (db_url, _) = fresh_database(dir.path()).await;
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let serve_demo = || {
        let mut cmd = nobat(&db_url, &data);
        cmd.args(["serve", "--demo"]);
        cmd
    };
    // Nowhere to write the passwords: the start stops before the demo exists.
    std::fs::create_dir(data.join("demo-credentials.txt.partial")).unwrap();
    let out = start(serve_demo()).err().expect("a demo whose passwords cannot be written does not start");
    assert!(out.contains("demo-credentials.txt"), "{out}");
    assert_eq!(demo_clinics(&db_url).await, 0, "nothing of the demo was created");
    std::fs::remove_dir(data.join("demo-credentials.txt.partial")).unwrap();

    // The credentials fail at the very end (their final name is taken): the demo exists, its
    // passwords never reached a file. The next start must not reuse it with passwords nobody
    // knows.
    std::fs::create_dir(data.join("demo-credentials.txt")).unwrap();
    assert!(start(serve_demo()).is_err());
    std::fs::remove_dir(data.join("demo-credentials.txt")).unwrap();
    let server = start(serve_demo()).unwrap_or_else(|out| panic!("{out}"));
    assert!(server.stdout().contains("setting new passwords"), "said out loud: {}", server.stdout());
    reception_signs_in(&server.base, &data).await;
    let res = reqwest::get(format!("{}/api/v1/clinics/demo/services", server.base)).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(demo_clinics(&db_url).await, 1);
}

/// Markdown files of the repository (not build output or dependencies).
fn markdown_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if path.is_dir() {
            if !name.starts_with('.') && name != "target" && name != "node_modules" {
                markdown_files(&path, out);
            }
        } else if name.ends_with(".md") {
            out.push(path);
        }
    }
}

#[test]
fn the_docs_stand_alone_and_the_licence_is_in_the_repository() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap();
    let licence = std::fs::read_to_string(root.join("LICENSE")).unwrap_or_default();
    assert!(
        licence.contains("GNU AFFERO GENERAL PUBLIC LICENSE") && licence.contains("Version 3, 19 November 2007"),
        "LICENSE holds the GNU AGPL v3 the README and Cargo.toml name"
    );
    assert!(licence.len() > 30_000, "the full text, not a pointer to it");
    let mut files = Vec::new();
    markdown_files(&root, &mut files);
    assert!(files.len() >= 5, "{files:?}");
    let mut outside = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let base = file.parent().unwrap();
        for (n, line) in text.lines().enumerate() {
            // Every relative path a document names, in a link `](…)` or in backticks.
            for (open, close) in [("](", ')'), ("`", '`')] {
                for piece in line.split(open).skip(1) {
                    let target = piece.split(close).next().unwrap_or_default().split('#').next().unwrap_or_default();
                    if !target.starts_with("../") && !target.contains("/../") {
                        continue;
                    }
                    let resolved = base.join(target);
                    let within = resolved.canonicalize().map(|p| p.starts_with(&root)).unwrap_or(false);
                    if !within {
                        outside.push(format!("{}:{}: {target}", file.strip_prefix(&root).unwrap().display(), n + 1));
                    }
                }
            }
        }
    }
    assert!(outside.is_empty(), "docs point outside the repository (or at nothing): {outside:#?}");
}
