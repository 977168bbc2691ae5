//! Invitations: only owners invite (`workspace.invite`); an invitation carries the grants the
//! invitee gets, expires (7 days by default), can be revoked, and is single-use.

use chrono::{Duration, Utc};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use uuid::Uuid;

use super::{AccessService, ServiceError};
use crate::{
    access::{
        Change, Email, Grant, GrantOrigin, Member, MemberKey, MemberKind, ResourceRef, Subject,
    },
    domain::{token::digest, workspace::email_domain, Actor, Workspace},
    storage::{AuditedChange, ChangeContext, Invite, InviteGrant, SideWrite},
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
        let email = Email::parse(&request.email)?.into_string();
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
            // A membership still waiting for the person may be invited: accepting the
            // invitation is their yes.
            if ix
                .find_member(&MemberKey::Email(email.clone()))
                .is_some_and(|m| !m.awaiting_consent)
            {
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

    /// The invitation with this code, in whichever workspace (the code is the secret that
    /// names it), with its workspace.
    pub async fn invitation(
        &self,
        code: &SecretString,
    ) -> Result<(Invite, Workspace), ServiceError> {
        let invite = self
            .store
            .invite_by_code(&digest(code.expose_secret()))
            .await?
            .ok_or_else(|| ServiceError::NotFound("invitation".into()))?;
        let workspace = self
            .store
            .workspace_by_id(invite.workspace_id)
            .await?
            .ok_or_else(|| ServiceError::NotFound("invitation".into()))?;
        Ok((invite, workspace))
    }

    /// Accepts an invitation: the membership with the invitation's grants (or the consent a
    /// membership was waiting for), and the invitation marked used, in one transaction.
    /// Who accepts decides what may happen to the person's account; see [`Acceptor`].
    pub async fn accept_invite(
        &self,
        code: &SecretString,
        acceptor: Acceptor,
        ctx: &ChangeContext,
    ) -> Result<(Workspace, Member, i64), ServiceError> {
        let (invite, workspace) = self.invitation(code).await?;
        if invite.accepted_at.is_some() || invite.revoked_at.is_some() {
            return Err(ServiceError::Conflict(
                "this invitation was already used or has been revoked".into(),
            ));
        }
        if invite.expires_at <= Utc::now() {
            return Err(ServiceError::Conflict("this invitation has expired".into()));
        }
        let mut side_writes = vec![SideWrite::ConsumeInvite(invite.id)];
        match &acceptor {
            Acceptor::Workspace { workspace_id } => {
                if *workspace_id != workspace.id {
                    return Err(ServiceError::NotFound("invitation".into()));
                }
                // A workspace vouches only for the people of its verified domains.
                if !workspace.is_authority_for(&invite.email) {
                    return Err(ServiceError::Forbidden(format!(
                        "{} is outside this workspace's verified domains: the invitee accepts \
                         in a browser at /invites/{{code}}",
                        invite.email
                    )));
                }
            }
            Acceptor::SignedIn { email } => {
                if email.trim().to_lowercase() != invite.email.trim().to_lowercase() {
                    return Err(ServiceError::Forbidden(
                        "this invitation is for another address: sign in as the invitee".into(),
                    ));
                }
            }
            Acceptor::NewPerson { password_hash } => {
                // The people of a verified domain get their accounts from the workspace that
                // holds it (its SSO, SCIM or invitations): another workspace's invitation link
                // must not make one for them, to be linked later by their company.
                let domain = email_domain(&invite.email).unwrap_or_default();
                if let Some(holder) = self.store.verified_domain_holder(&domain).await? {
                    if holder != workspace.id {
                        return Err(ServiceError::Forbidden(format!(
                            "addresses of {domain} are managed by their organisation: sign in \
                             through its single sign-on, then open this invitation again"
                        )));
                    }
                }
                side_writes.insert(
                    0,
                    SideWrite::CreateAccount {
                        email: invite.email.clone(),
                        password_hash: password_hash.clone(),
                        // Holding the link proves no mailbox; only the domain's own workspace
                        // vouches for its people.
                        vouched: workspace.is_authority_for(&invite.email),
                    },
                )
            }
        }
        let allow_owner = workspace.settings.allow_idp_managed_owners;
        let (member, grants) = self
            .read(&workspace, None, |ix| {
                let member = match ix.find_member(&MemberKey::Email(invite.email.clone())) {
                    // The person's yes to a membership the workspace made without asking.
                    Some(m) if m.awaiting_consent => Member {
                        awaiting_consent: false,
                        kind: invite.kind,
                        ..m.clone()
                    },
                    Some(_) => {
                        return Err(ServiceError::Conflict(format!(
                            "{} is already a member of this workspace",
                            invite.email
                        )))
                    }
                    None => Member {
                        id: Uuid::now_v7(),
                        email: invite.email.clone(),
                        kind: invite.kind,
                        active: true,
                        awaiting_consent: false,
                    },
                };
                // Grants are checked again: a resource may have gone since the invitation.
                let grants = invite
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
                    .collect::<Result<Vec<_>, ServiceError>>()?;
                Ok((member, grants))
            })
            .await??;
        let mut changes: Vec<AuditedChange> = vec![Change::MemberUpserted {
            member: member.clone(),
        }
        .into()];
        changes.extend(
            grants
                .into_iter()
                .map(|grant| Change::GrantAdded { grant }.into()),
        );
        let actor = match acceptor {
            Acceptor::Workspace { .. } => ctx.actor.clone(),
            Acceptor::SignedIn { .. } | Acceptor::NewPerson { .. } => Actor::Person {
                membership_id: member.id,
            },
        };
        let ctx = ChangeContext {
            actor,
            provenance: "invite",
            ..ctx.clone()
        };
        // Claiming the invitation (and a new person's account) land with the membership or
        // not at all.
        let revision = self
            .commit_with(&workspace, changes, &ctx, &side_writes)
            .await?;
        Ok((workspace, member, revision))
    }
}

/// Who accepts an invitation, which decides what may happen to the person's account.
#[derive(Debug, Clone)]
pub enum Acceptor {
    /// The inviting workspace's own service token: only for people of its verified domains
    /// (anyone else decides for themselves).
    Workspace { workspace_id: Uuid },
    /// The invitee, signed in (password or SSO) as the account with the invited address.
    SignedIn { email: String },
    /// The invitee without an account yet, choosing a password. Refused when the address has
    /// an account: nothing a workspace holds may set an existing account's password.
    NewPerson { password_hash: String },
}
