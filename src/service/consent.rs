//! The person's own say over memberships. A workspace that adds someone outside its verified
//! domains (admin API, SCIM, an import of someone who has an account here) gets a membership
//! that confers nothing and names no account; the person, signed in as the account with that
//! address, accepts it (it then links to their account) or declines it (it goes).

use uuid::Uuid;

use super::{AccessService, ServiceError};
use crate::{
    access::{Change, Member, MemberKey},
    domain::{Actor, Workspace},
    storage::{AuditedChange, ChangeContext},
};

impl AccessService {
    /// The person signed in as `email` accepts (`accept`) or declines the membership waiting
    /// for them. A membership that is not theirs or not waiting is "not found".
    pub async fn answer_membership(
        &self,
        workspace: &Workspace,
        membership_id: Uuid,
        email: &str,
        accept: bool,
        request_id: Option<String>,
    ) -> Result<i64, ServiceError> {
        let member = self
            .read(workspace, None, |ix| {
                ix.find_member(&MemberKey::Membership(membership_id))
                    .filter(|m| m.awaiting_consent && m.email.eq_ignore_ascii_case(email))
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
