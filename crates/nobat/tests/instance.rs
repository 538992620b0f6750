//! One instance secret per database: a process whose secret differs from the one the database
//! was first used with refuses to start (its fingerprint is stored, never the secret), so two
//! processes behind one load balancer can never each sign people in with their own.
#![allow(clippy::unwrap_used)]

use crate::common;
use crate::spawn;

use common::*;
use reqwest::StatusCode;
use spawn::*;

fn serve(db_url: &str, data_dir: &std::path::Path, secret: Option<&str>) -> Result<Proc, String> {
    let mut cmd = nobat(db_url, data_dir);
    if let Some(secret) = secret {
        cmd.arg(format!("--secret-key={secret}"));
    }
    cmd.arg("serve");
    start(cmd)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_process_with_another_secret_refuses_to_start() {
    let dir = tempfile::tempdir().unwrap();
    let (db_url, engine) = fresh_database(dir.path()).await;
    let (a_dir, b_dir) = (dir.path().join("a"), dir.path().join("b"));
    // SQLite: the database lives in the first data directory, whoever opens it.
    let db_url = if engine == "sqlite" { nobat_store::sqlite_url_in(&a_dir) } else { db_url };
    let first = serve(&db_url, &a_dir, None).unwrap_or_else(|out| panic!("{out}"));
    let (s1, s2) = (nobat_web::auth::keys::new_master(), nobat_web::auth::keys::new_master());

    if engine == "postgres" {
        // The issue as found: a second process with a secret of its own generating (another
        // data directory), and one with a configured secret that differs.
        let out = serve(&db_url, &b_dir, None).err().expect("a second generated secret is refused");
        assert!(out.contains("instance secret differs"), "{out}");
        let out = serve(&db_url, &b_dir, Some(&s2)).err().expect("a different configured secret is refused");
        assert!(out.contains("instance secret differs"), "{out}");
        // The first one's secret, shared, is welcome; a session made on one works on the other.
        let shared = std::fs::read_to_string(a_dir.join("secret.key")).unwrap();
        let second = serve(&db_url, &b_dir, Some(shared.trim())).unwrap_or_else(|out| panic!("{out}"));
        let mut cmd = nobat(&db_url, &b_dir);
        cmd.args(["user", "create", "--email", "lb@test.nobat", "--name", "Behind LB", "--password-stdin"]);
        let mut child = cmd.stdin(std::process::Stdio::piped()).spawn().unwrap();
        use std::io::Write;
        child.stdin.take().unwrap().write_all(b"correct horse battery staple\n").unwrap();
        assert!(child.wait().unwrap().success());
        let client = reqwest::Client::new();
        let token = login(&client, &format!("{}/api/v1", first.base), "lb@test.nobat", OWNER_PASSWORD).await;
        let res = authed_client(&token).get(format!("{}/api/v1/me", second.base)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
    } else {
        drop(first);
        // The secret file lost (or another one configured): the same database refuses it.
        std::fs::remove_file(a_dir.join("secret.key")).unwrap();
        let out = serve(&db_url, &a_dir, None).err().expect("a regenerated secret is refused");
        assert!(out.contains("instance secret differs"), "{out}");
        let out = serve(&db_url, &a_dir, Some(&s1)).err().expect("a different configured secret is refused");
        assert!(out.contains("instance secret differs"), "{out}");
    }
    let _ = s1;
}
