//! Invitations: only owners invite (`workspace.invite`); an invitation carries the grants the
//! invitee gets, expires (7 days by default), can be revoked, and is single-use.

use chrono::{Duration, Utc};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use uuid::Uuid;

use super::{normalise_email, AccessService, ServiceError};
use crate::{
    access::{Change, Grant, GrantOrigin, Member, MemberKey, MemberKind, ResourceRef, Subject},
    domain::{token::digest, Workspace},
    storage::{ChangeContext, Invite, InviteGrant, SideWrite},
};

/// How long an invitation stays open unless the inviter says otherwise.
pub const DEFAULT_INVITE_DAYS: i64 = 7;
const MAX_INVITE_DAYS: i64 = 90;

/// What an owner asks for when inviting someone.
#[derive(Debug, Clone)]
pub struct InviteRequest {
    /// The inviting member (membership id, account id or email); must be allowed
    /// `workspace.invite`.
    pub invited_by: String,
    pub email: String,
    pub kind: MemberKind,
    pub grants: Vec<InviteGrant>,
    pub expires_in_days: Option<i64>,
}

impl AccessService {
    /// Creates an invitation; returns it with its code (shown once, stored as a digest).
    pub async fn create_invite(
        &self,
        workspace: &Workspace,
        request: InviteRequest,
        ctx: &ChangeContext,
    ) -> Result<(Invite, SecretString), ServiceError> {
        let email = normalise_email(&request.email)?;
        let days = request.expires_in_days.unwrap_or(DEFAULT_INVITE_DAYS);
        if !(1..=MAX_INVITE_DAYS).contains(&days) {
            return Err(ServiceError::Invalid(format!(
                "expires_in_days must be 1 to {MAX_INVITE_DAYS}"
            )));
        }
        let allow_owner = workspace.settings.allow_idp_managed_owners;
        let inviter_key = MemberKey::parse(&request.invited_by);
        self.read(workspace, None, |ix| {
            let inviter = ix
                .find_member(&inviter_key)
                .ok_or_else(|| ServiceError::NotFound("inviting member".into()))?;
            let workspace_ref = ResourceRef::new("workspace", "");
            if !ix.check(inviter.id, "workspace.invite", &workspace_ref) {
                return Err(ServiceError::Forbidden(
                    "only workspace owners may invite".into(),
                ));
            }
            if ix.find_member(&MemberKey::Email(email.clone())).is_some() {
                return Err(ServiceError::Conflict(format!(
                    "{email} is already a member of this workspace"
                )));
            }
            for g in &request.grants {
                ix.validate_grant(&g.role, &g.scope, allow_owner)?;
            }
            Ok(())
        })
        .await??;
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        let code = SecretString::from(format!("gh_invite_{}", hex::encode(bytes)));
        let now = Utc::now();
        let invite = Invite {
            id: Uuid::now_v7(),
            workspace_id: workspace.id,
            email,
            kind: request.kind,
            grants: request.grants,
            created_by: ctx.actor.clone(),
            created_at: now,
            expires_at: now + Duration::days(days),
            accepted_at: None,
            revoked_at: None,
        };
        self.store
            .create_invite(
                &invite,
                &digest(code.expose_secret()),
                ctx.request_id.as_deref(),
            )
            .await?;
        Ok((invite, code))
    }

    /// Accepts an invitation: creates the membership with the invitation's grants, and marks
    /// the invitation used, in one transaction.
    pub async fn accept_invite(
        &self,
        workspace: &Workspace,
        code: &SecretString,
        password_hash: Option<String>,
        ctx: &ChangeContext,
    ) -> Result<(Member, i64), ServiceError> {
        let invite = self
            .store
            .invite_by_code(workspace.id, &digest(code.expose_secret()))
            .await?
            .ok_or_else(|| ServiceError::NotFound("invitation".into()))?;
        if invite.accepted_at.is_some() || invite.revoked_at.is_some() {
            return Err(ServiceError::Conflict(
                "this invitation was already used or has been revoked".into(),
            ));
        }
        if invite.expires_at <= Utc::now() {
            return Err(ServiceError::Conflict("this invitation has expired".into()));
        }
        let account_id = self.store.ensure_account(&invite.email).await?;
        let member = Member {
            id: Uuid::now_v7(),
            account_id,
            email: invite.email.clone(),
            kind: invite.kind,
            active: true,
        };
        let allow_owner = workspace.settings.allow_idp_managed_owners;
        let mut changes = vec![Change::MemberUpserted {
            member: member.clone(),
        }
        .into()];
        let grants = self
            .read(workspace, None, |ix| {
                if ix
                    .find_member(&MemberKey::Email(invite.email.clone()))
                    .is_some()
                {
                    return Err(ServiceError::Conflict(format!(
                        "{} is already a member of this workspace",
                        invite.email
                    )));
                }
                // Grants are checked again: a resource may have gone since the invitation.
                invite
                    .grants
                    .iter()
                    .map(|g| {
                        ix.validate_grant(&g.role, &g.scope, allow_owner)?;
                        Ok(Grant {
                            id: Uuid::now_v7(),
                            subject: Subject::User(member.id),
                            role: g.role.clone(),
                            scope: g.scope.clone(),
                            origin: GrantOrigin::Invite,
                        })
                    })
                    .collect::<Result<Vec<_>, ServiceError>>()
            })
            .await??;
        changes.extend(
            grants
                .into_iter()
                .map(|grant| Change::GrantAdded { grant }.into()),
        );
        let ctx = ChangeContext {
            provenance: "invite",
            ..ctx.clone()
        };
        // Claiming the invitation and setting the password land with the membership or not at all.
        let mut side_writes = vec![SideWrite::ConsumeInvite(invite.id)];
        if let Some(hash) = password_hash {
            side_writes.push(SideWrite::SetPassword {
                account_id: member.account_id,
                hash,
            });
        }
        let revision = self
            .commit_with(workspace, changes, &ctx, &side_writes)
            .await?;
        Ok((member, revision))
    }
}
