//! Invitations: who was invited to a workspace, with which grants, until when. Only a digest
//! of the invitation code is stored; acceptance is claimed inside the transaction that creates
//! the membership ([`crate::storage::SideWrite::ConsumeInvite`]).

use chrono::{DateTime, Utc};
use sqlx::types::Json;
use uuid::Uuid;

use super::{audit::append_audit, in_transaction, with_pool, Store, StoreError};
use crate::{
    access::{MemberKind, Scope},
    domain::{Actor, NewAuditEntry},
};

/// A role and scope an invitee receives on acceptance.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct InviteGrant {
    pub role: String,
    pub scope: Scope,
}

/// A stored invitation (never its code).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Invite {
    pub id: Uuid,
    pub workspace_id: Uuid,
    pub email: String,
    pub kind: MemberKind,
    pub grants: Vec<InviteGrant>,
    pub created_by: Actor,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub accepted_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

#[derive(sqlx::FromRow)]
struct InviteRow {
    id: Uuid,
    workspace_id: Uuid,
    email: String,
    kind: String,
    grants: Json<Vec<InviteGrant>>,
    created_by: Json<Actor>,
    created_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    accepted_at: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
}

impl From<InviteRow> for Invite {
    fn from(r: InviteRow) -> Self {
        Invite {
            id: r.id,
            workspace_id: r.workspace_id,
            email: r.email,
            kind: if r.kind == "owner" {
                MemberKind::Owner
            } else {
                MemberKind::Member
            },
            grants: r.grants.0,
            created_by: r.created_by.0,
            created_at: r.created_at,
            expires_at: r.expires_at,
            accepted_at: r.accepted_at,
            revoked_at: r.revoked_at,
        }
    }
}

const INVITE_COLUMNS: &str = "id, workspace_id, email, kind, grants, created_by, created_at, \
    expires_at, accepted_at, revoked_at";

impl Store {
    /// Stores an invitation whose code has the given digest, and audits it.
    pub async fn create_invite(
        &self,
        invite: &Invite,
        code_digest: &str,
        request_id: Option<&str>,
    ) -> Result<(), StoreError> {
        let audit = NewAuditEntry::new(
            invite.workspace_id,
            &invite.created_by,
            "invite.create",
            format!("invite:{}", invite.id),
            request_id,
        )
        .after(serde_json::to_value(invite).ok());
        in_transaction!(self, tx => {
            sqlx::query(
                "INSERT INTO invites (id, workspace_id, email, kind, grants, code_digest, \
                 created_by, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(invite.id)
            .bind(invite.workspace_id)
            .bind(&invite.email)
            .bind(if invite.kind == MemberKind::Owner { "owner" } else { "member" })
            .bind(Json(&invite.grants))
            .bind(code_digest)
            .bind(Json(&invite.created_by))
            .bind(invite.created_at)
            .bind(invite.expires_at)
            .execute(&mut *tx)
            .await?;
            append_audit!(&mut *tx, &audit)?;
        });
        Ok(())
    }

    /// Invitations of a workspace, newest first.
    pub async fn list_invites(&self, workspace_id: Uuid) -> Result<Vec<Invite>, StoreError> {
        let sql = format!(
            "SELECT {INVITE_COLUMNS} FROM invites WHERE workspace_id = $1 ORDER BY created_at DESC"
        );
        let rows: Vec<InviteRow> = with_pool!(self, pool => {
            sqlx::query_as(&sql).bind(workspace_id).fetch_all(pool).await?
        });
        Ok(rows.into_iter().map(Invite::from).collect())
    }

    /// The invitation with this code digest (the code is a 256-bit secret that names one
    /// invitation in one workspace).
    pub async fn invite_by_code(&self, code_digest: &str) -> Result<Option<Invite>, StoreError> {
        let sql = format!("SELECT {INVITE_COLUMNS} FROM invites WHERE code_digest = $1");
        let row: Option<InviteRow> = with_pool!(self, pool => {
            sqlx::query_as(&sql).bind(code_digest).fetch_optional(pool).await?
        });
        Ok(row.map(Invite::from))
    }

    /// Revokes an open invitation (idempotent) and audits it.
    pub async fn revoke_invite(
        &self,
        workspace_id: Uuid,
        id: Uuid,
        actor: &Actor,
        request_id: Option<&str>,
    ) -> Result<(), StoreError> {
        let audit = NewAuditEntry::new(
            workspace_id,
            actor,
            "invite.revoke",
            format!("invite:{id}"),
            request_id,
        );
        in_transaction!(self, tx => {
            let exists: Option<(Uuid,)> =
                sqlx::query_as("SELECT id FROM invites WHERE id = $1 AND workspace_id = $2")
                    .bind(id)
                    .bind(workspace_id)
                    .fetch_optional(&mut *tx)
                    .await?;
            if exists.is_none() {
                return Err(StoreError::NotFound(format!("invite {id}")));
            }
            let changed = sqlx::query(
                "UPDATE invites SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL \
                 AND accepted_at IS NULL",
            )
            .bind(id)
            .bind(Utc::now())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if changed == 1 {
                append_audit!(&mut *tx, &audit)?;
            }
        });
        Ok(())
    }
}
