//! Private iCalendar feeds (issue 16): a revocable subscription URL for one practitioner's
//! appointments or a whole clinic's. The web layer makes the token and hands the store only its
//! keyed hash; revoking keeps the row (the audit trail names it) and the feed answers 404.

use crate::audit::{Audit, AuditActor};
use crate::error::{StoreError, StoreResult};
use crate::tx::WriteTx;
use nobat_core::{ClinicId, PractitionerId};
use serde_json::json;

/// The feed changes, one `Command::CalendarFeeds` variant so the shared enum grows by one line.
#[derive(Debug, Clone)]
pub enum FeedCommand {
    Create { clinic: ClinicId, id: String, practitioner: Option<PractitionerId>, token_hash: String, actor: AuditActor },
    Revoke { clinic: ClinicId, id: String, actor: AuditActor },
}

pub(crate) async fn apply(tx: &mut WriteTx<'_>, cmd: &FeedCommand) -> StoreResult<super::Output> {
    let now = tx.now.as_microsecond();
    match cmd {
        FeedCommand::Create { clinic, id, practitioner, token_hash, actor } => {
            if let Some(p) = practitioner {
                // The practitioner must be this clinic's (a 404 otherwise, as everywhere).
                crate::db::query("SELECT id FROM practitioners WHERE clinic_id = $1 AND id = $2")
                    .bind(clinic.to_string())
                    .bind(p.to_string())
                    .fetch_optional(&mut *tx.conn)
                    .await?
                    .ok_or(StoreError::NotFound("practitioner"))?;
            }
            crate::db::query(
                "INSERT INTO calendar_feeds (clinic_id, id, practitioner_id, token_hash, created_at_us) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(clinic.to_string())
            .bind(id.as_str())
            .bind(practitioner.map(|p| p.to_string()))
            .bind(token_hash.as_str())
            .bind(now)
            .execute(&mut *tx.conn)
            .await?;
            let scope = practitioner.map_or_else(|| "clinic".to_owned(), |p| format!("practitioner:{p}"));
            tx.audit(*clinic, actor, Audit::new("create", "calendar_feed", id).after(&json!({ "scope": scope })));
            Ok(super::Output::Done)
        }
        FeedCommand::Revoke { clinic, id, actor } => {
            crate::db::query(
                "UPDATE calendar_feeds SET revoked_at_us = $3 \
                 WHERE clinic_id = $1 AND id = $2 AND revoked_at_us IS NULL RETURNING id",
            )
            .bind(clinic.to_string())
            .bind(id.as_str())
            .bind(now)
            .fetch_optional(&mut *tx.conn)
            .await?
            .ok_or(StoreError::NotFound("calendar feed"))?;
            tx.audit(*clinic, actor, Audit::new("revoke", "calendar_feed", id));
            Ok(super::Output::Done)
        }
    }
}
