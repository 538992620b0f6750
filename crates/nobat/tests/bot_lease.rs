//! The Telegram bot's durable state in the store, both engines: the polling lease (one holder,
//! taken over when it runs out, offset kept), updates taken once, state per chat.
#![allow(clippy::unwrap_used)]

use crate::common;

use jiff::SignedDuration;
use nobat_store::{Command, Output, Store, StoreError, StoreOptions, TelegramOp, TelegramOutput};

async fn op(store: &Store, op: TelegramOp) -> Result<TelegramOutput, StoreError> {
    match store.execute(Command::Telegram(op)).await? {
        Output::Telegram(out) => Ok(out),
        other => panic!("{other:?}"),
    }
}

fn lease(owner: &str, token: &str, ttl_ms: i64) -> TelegramOp {
    TelegramOp::Lease {
        bot: "instance".into(),
        token_hash: token.into(),
        owner: owner.into(),
        ttl: SignedDuration::from_millis(ttl_ms),
    }
}

fn take(owner: &str, update_id: i64) -> TelegramOp {
    TelegramOp::Take { bot: "instance".into(), owner: owner.into(), update_id, chat_id: Some(5) }
}

#[tokio::test]
async fn one_holder_updates_taken_once_and_takeover_keeps_the_offset() {
    let dir = tempfile::tempdir().unwrap();
    let (db_url, _) = common::fresh_database(dir.path()).await;
    let store = Store::open(&db_url, StoreOptions::default()).await.unwrap();

    let held = |offset| TelegramOutput::Lease { held: true, offset, revoked: false };
    assert_eq!(op(&store, lease("a", "t1", 60_000)).await.unwrap(), held(0));
    // B waits while A's lease runs.
    let standby = TelegramOutput::Lease { held: false, offset: 0, revoked: false };
    assert_eq!(op(&store, lease("b", "t1", 60_000)).await.unwrap(), standby);
    assert!(matches!(op(&store, take("b", 10)).await, Err(StoreError::LeaseLost)), "a non-holder takes nothing");

    assert_eq!(op(&store, take("a", 10)).await.unwrap(), TelegramOutput::Taken(Some(None)));
    let state = Some("{\"lang\":\"fa\"}".to_owned());
    let finish =
        TelegramOp::Finish { bot: "instance".into(), owner: "a".into(), update_id: 10, chat_id: Some(5), state };
    op(&store, finish).await.unwrap();
    // The same update read again (a poll that raced the offset): not answered twice.
    assert_eq!(op(&store, take("a", 10)).await.unwrap(), TelegramOutput::Taken(None));

    // A stops renewing (a short lease, let run out): B takes over from A's offset.
    op(&store, lease("a", "t1", 1)).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    assert_eq!(op(&store, lease("b", "t1", 60_000)).await.unwrap(), held(11));
    assert!(matches!(op(&store, take("a", 11)).await, Err(StoreError::LeaseLost)), "the old holder is out");
    assert_eq!(op(&store, take("b", 11)).await.unwrap(), TelegramOutput::Taken(Some(Some("{\"lang\":\"fa\"}".into()))));

    // Revoked: recorded; a new token starts afresh.
    op(&store, TelegramOp::Revoked { bot: "instance".into(), owner: "b".into() }).await.unwrap();
    assert_eq!(
        op(&store, lease("b", "t1", 60_000)).await.unwrap(),
        TelegramOutput::Lease { held: true, offset: 11, revoked: true }
    );
    assert_eq!(op(&store, lease("b", "t2", 60_000)).await.unwrap(), held(0));
    store.close().await;
}
