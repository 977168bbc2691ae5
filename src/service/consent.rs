//! The person's own say over memberships. A workspace that adds someone outside its verified
//! domains (admin API, SCIM, an untrusted import) gets a membership that confers nothing and
//! names no account; the person, signed in as the account with that address, accepts it (it
//! then links to their account) or declines it (it goes). Only an account whose address is
//! vouched for (by the operator or its domain's workspace) answers: an account made through
//! an invitation link proves only that its maker held the link, not the mailbox, so it joins
//! other workspaces through their invitations alone.

use uuid::Uuid;

use super::{AccessService, ServiceError};
use crate::{
    access::{Change, Member, MemberKey},
    domain::{Actor, Workspace},
    storage::{AuditedChange, ChangeContext},
};

impl AccessService {
    /// The person signed in as `email` (account `account_id`) accepts (`accept`) or declines
    /// the membership waiting for them. A membership that is not theirs or not waiting is "not
    /// found".
    pub async fn answer_membership(
        &self,
        workspace: &Workspace,
        membership_id: Uuid,
        (account_id, email): (Uuid, &str),
        accept: bool,
        request_id: Option<String>,
    ) -> Result<i64, ServiceError> {
        if !self.store.account_vouched(account_id).await? {
            return Err(ServiceError::Forbidden(
                "this account was made through an invitation link: join other workspaces \
                 through their invitations"
                    .into(),
            ));
        }
        let key = email.trim().to_lowercase();
        let member = self
            .read(workspace, None, |ix| {
                ix.find_member(&MemberKey::Membership(membership_id))
                    .filter(|m| m.awaiting_consent && m.email.trim().to_lowercase() == key)
                    .cloned()
            })
            .await?
            .ok_or_else(|| ServiceError::NotFound("membership".into()))?;
        let change = if accept {
            Change::MemberUpserted {
                member: Member {
                    awaiting_consent: false,
                    ..member.clone()
                },
            }
        } else {
            Change::MemberRemoved { membership_id }
        };
        let ctx = ChangeContext {
            actor: Actor::Person { membership_id },
            request_id,
            provenance: "consent",
        };
        let audited = AuditedChange {
            change,
            before: serde_json::to_value(&member).ok(),
        };
        self.commit(workspace, vec![audited], &ctx).await
    }
}
