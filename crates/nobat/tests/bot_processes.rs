//! The Telegram bot with two real server processes on one PostgreSQL database: exactly one
//! polls (the lease), every update is answered once, and when the poller is killed with
//! SIGKILL the other takes over from the stored offset.
#![allow(clippy::unwrap_used)]

use crate::common;
use crate::spawn;

use nobat_testkit::telegram::{TelegramFake, TgUser};
use std::time::Duration;

const TOKEN: &str = "7000000002:bot-process-token";

fn server(db_url: &str, dir: &std::path::Path, api_url: &str) -> spawn::Proc {
    let mut cmd = spawn::nobat(db_url, dir);
    cmd.arg("serve").env("NOBAT_TELEGRAM_BOT_TOKEN", TOKEN).env("NOBAT_TELEGRAM_API_URL", api_url);
    spawn::start(cmd).unwrap()
}

/// Every user writes once; waits until each chat has `n` bot messages.
async fn round_of_messages(tg: &TelegramFake, users: &[TgUser], text: &str, n: usize) {
    for u in users {
        tg.send_text(u, text);
    }
    for u in users {
        tg.wait_for_chat(u.id, n, Duration::from_secs(60)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_processes_never_both_answer_one_update_and_one_takes_over() {
    let dir = tempfile::tempdir().unwrap();
    let (db_url, engine) = common::fresh_database(dir.path()).await;
    if engine != "postgres" {
        eprintln!("several processes need PostgreSQL; run with NOBAT_TEST_POSTGRES_URL");
        return;
    }
    let tg = TelegramFake::start(TOKEN).await.unwrap();
    // Migrate once, so the two do not race to create the schema.
    nobat_store::Store::migrate(&db_url).await.unwrap();
    let mut a = server(&db_url, dir.path(), &tg.api_url());
    let mut b = server(&db_url, dir.path(), &tg.api_url());
    let users: Vec<TgUser> = (0..6).map(|i| TgUser::new(910_000 + i, "Reza").language("fa")).collect();

    for round in 1..=3 {
        round_of_messages(&tg, &users, &format!("پیام {round}"), round).await;
    }
    assert!(tg.poll_conflicts().all().is_empty(), "two processes polled at once");

    // Kill the lease holder outright; the other must take over and answer what comes next.
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&db_url).await.unwrap();
    let owner: String = sqlx::query_scalar("SELECT lease_owner FROM telegram_bots WHERE id = 'instance'")
        .fetch_one(&pool)
        .await
        .unwrap();
    let holder_pid: u32 = owner.split(':').next().unwrap().parse().unwrap();
    assert!([a.pid(), b.pid()].contains(&holder_pid), "the holder is one of ours: {owner}");
    let (dead, alive) = if holder_pid == a.pid() { (&mut a, &b) } else { (&mut b, &a) };
    dead.child.kill().unwrap();
    dead.wait_for_exit(Duration::from_secs(10)).unwrap();

    round_of_messages(&tg, &users, "پیام ۴", 4).await;
    let new_owner: String = sqlx::query_scalar("SELECT lease_owner FROM telegram_bots WHERE id = 'instance'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(new_owner.starts_with(&format!("{}:", alive.pid())), "taken over by the survivor: {new_owner}");

    // Exactly one answer per message, none twice, after the takeover too.
    tokio::time::sleep(Duration::from_secs(2)).await;
    for u in &users {
        let sent = tg.sent().all().iter().filter(|m| m.chat_id == u.id).count();
        assert_eq!(sent, 4, "chat {}:\n{}", u.id, tg.transcript_text(u.id));
    }
    let taken: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM telegram_updates").fetch_one(&pool).await.unwrap();
    assert_eq!(taken, 24);
    assert!(tg.poll_conflicts().all().is_empty(), "two processes polled at once");
    pool.close().await;
}
