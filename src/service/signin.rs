//! From a verified assertion to a signed-in member: the email must be in one of the
//! workspace's verified domains (a workspace's IdP speaks only for the people of the domains
//! the workspace proved it holds, existing accounts and new ones alike); the account is
//! linked (never duplicated); a first login creates the membership only with just-in-time
//! provisioning on; a deactivated membership cannot sign in; group claims (names → displayName, Entra object ids → externalId) replace
//! only the SAML-sourced group memberships, and Entra's overage claim keeps them as they are.

use std::collections::HashSet;

use uuid::Uuid;

use crate::{
    access::{Change, Member, MemberKey, MemberKind, MemberSource},
    domain::{
        sso::{SsoConnection, ENTRA_GROUPS_OVERAGE},
        Actor, Workspace,
    },
    saml::{verify::VerifiedAssertion, SamlError},
    service::AccessService,
    storage::{AuditedChange, ChangeContext, Store},
};

/// Who signed in.
#[derive(Debug, Clone)]
pub struct SignedInMember {
    pub account_id: Uuid,
    pub membership_id: Uuid,
    pub email: String,
    /// Group ids the member is now in through SAML.
    pub saml_groups: Vec<Uuid>,
}

/// The email an assertion names, per the connection's mapping.
fn email_of(
    connection: &SsoConnection,
    assertion: &VerifiedAssertion,
) -> Result<String, SamlError> {
    let raw = match &connection.attribute_mapping.email {
        None => assertion.name_id.clone(),
        Some(attribute) => assertion
            .attributes
            .get(attribute)
            .and_then(|v| v.first().cloned())
            .ok_or_else(|| {
                SamlError::Rejected(format!("the assertion has no {attribute} attribute"))
            })?,
    };
    crate::access::Email::parse(&raw)
        .map(crate::access::Email::into_string)
        .map_err(|_| SamlError::Rejected("the assertion does not name an email".into()))
}

/// Applies a verified login to the workspace; returns the member who signed in.
pub async fn provision(
    store: &Store,
    access: &AccessService,
    workspace: &Workspace,
    connection: &SsoConnection,
    assertion: &VerifiedAssertion,
    request_id: Option<String>,
) -> Result<SignedInMember, SamlError> {
    let email = email_of(connection, assertion)?;
    if !workspace.is_authority_for(&email) {
        let domain = crate::domain::workspace::email_domain(&email).unwrap_or_default();
        return Err(SamlError::Rejected(format!(
            "{domain} is not a verified domain of workspace {}",
            workspace.slug
        )));
    }
    let existing = access
        .read(workspace, None, |ix| {
            ix.find_member(&MemberKey::Email(email.clone())).cloned()
        })
        .await?;
    // Refuse before writing anything: a refused login creates no account.
    match &existing {
        Some(m) if !m.active => {
            return Err(SamlError::Rejected(format!(
                "{email} is deactivated in workspace {}",
                workspace.slug
            )))
        }
        None if !workspace.settings.jit_provisioning => {
            return Err(SamlError::Rejected(format!(
                "{email} is not a member of workspace {} (just-in-time provisioning is off)",
                workspace.slug
            )))
        }
        _ => {}
    }
    let mut changes: Vec<AuditedChange> = Vec::new();
    let member = match existing {
        // A membership made before the workspace verified this domain waited for the person;
        // the domain's IdP now speaks for them.
        Some(m) if m.awaiting_consent => {
            let linked = Member {
                awaiting_consent: false,
                ..m
            };
            changes.push(
                Change::MemberUpserted {
                    member: linked.clone(),
                }
                .into(),
            );
            linked
        }
        Some(m) => m,
        None => {
            let member = Member {
                id: Uuid::now_v7(),
                email: email.clone(),
                kind: MemberKind::Member,
                active: true,
                awaiting_consent: false,
            };
            changes.push(
                Change::MemberUpserted {
                    member: member.clone(),
                }
                .into(),
            );
            member
        }
    };
    let ctx = ChangeContext {
        actor: Actor::SamlLogin {
            membership_id: Some(member.id),
        },
        request_id,
        provenance: "sso",
    };

    let overage = assertion.attributes.contains_key(ENTRA_GROUPS_OVERAGE);
    let claims: Vec<String> = connection
        .attribute_mapping
        .group_attributes()
        .iter()
        .filter_map(|name| assertion.attributes.get(name))
        .flatten()
        .cloned()
        .collect();
    let saml_groups = access
        .read(workspace, None, |ix| {
            let current: Vec<(Uuid, MemberSource)> = ix
                .member_groups(member.id)
                .into_iter()
                .map(|(g, s)| (g.id, s))
                .collect();
            let claimed: HashSet<Uuid> = ix
                .groups()
                .filter(|g| {
                    claims.iter().any(|c| {
                        c.eq_ignore_ascii_case(&g.display_name)
                            || g.external_id.as_deref() == Some(c.as_str())
                    })
                })
                .map(|g| g.id)
                .collect();
            (current, claimed)
        })
        .await?;
    let (current, claimed) = saml_groups;
    if overage {
        tracing::warn!(
            saml.email = %email,
            "Entra ID sent a groups overage claim; keeping the member's SAML groups as they are"
        );
    } else {
        let in_group: HashSet<Uuid> = current.iter().map(|(g, _)| *g).collect();
        for group_id in claimed.iter().filter(|g| !in_group.contains(g)) {
            changes.push(
                Change::GroupMembersAdded {
                    group_id: *group_id,
                    membership_ids: vec![member.id],
                    source: MemberSource::Saml,
                }
                .into(),
            );
        }
        // Only memberships SAML made are taken away; SCIM and manual ones stay.
        for (group_id, _) in current
            .iter()
            .filter(|(g, s)| *s == MemberSource::Saml && !claimed.contains(g))
        {
            changes.push(
                Change::GroupMembersRemoved {
                    group_id: *group_id,
                    membership_ids: vec![member.id],
                }
                .into(),
            );
        }
    }
    if !changes.is_empty() {
        access.commit(workspace, changes, &ctx).await?;
    }
    let saml_groups = access
        .read(workspace, None, |ix| {
            ix.member_groups(member.id)
                .into_iter()
                .filter(|(_, s)| *s == MemberSource::Saml)
                .map(|(g, _)| g.id)
                .collect()
        })
        .await?;
    let account_id = store
        .membership_account(workspace.id, member.id)
        .await?
        .ok_or_else(|| SamlError::Rejected(format!("{email} has no account")))?;
    Ok(SignedInMember {
        account_id,
        membership_id: member.id,
        email,
        saml_groups,
    })
}
