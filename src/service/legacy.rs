//! Importing legacy role assignments (Workspace owner, Workspace read-only, Source
//! collaborator) as memberships and grants, following the product document's table (see
//! [`crate::access::legacy`]). The plan is computed against a copy of the workspace's index,
//! so a dry run shows exactly what an import would change; an import applies the whole plan
//! in one transaction, and importing the same file again changes nothing.

use std::collections::BTreeMap;

use uuid::Uuid;

use super::{AccessService, ServiceError};
use crate::{
    access::{
        legacy::{self, LegacyAssignment},
        Change, Email, Grant, GrantOrigin, Member, MemberKey, MemberKind, Resource, Scope, Subject,
    },
    domain::Workspace,
    storage::ChangeContext,
};

/// What an import does (or would do).
#[derive(Debug, Clone, serde::Serialize)]
pub struct LegacyPlan {
    /// One human-readable line per change, in order.
    pub steps: Vec<String>,
    /// The changes themselves.
    pub changes: Vec<Change>,
    /// The revision after applying; `None` for a dry run or when nothing changed.
    pub revision: Option<i64>,
}

/// Parses JSON lines (`{email, role, sources?}`), naming the line of any error.
pub fn parse_assignments(text: &str) -> Result<Vec<LegacyAssignment>, ServiceError> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(n, line)| {
            serde_json::from_str(line)
                .map_err(|e| ServiceError::Invalid(format!("line {}: {e}", n + 1)))
        })
        .collect()
}

impl AccessService {
    /// Plans the import and, unless `dry_run`, applies it in one transaction.
    pub async fn import_legacy(
        &self,
        workspace: &Workspace,
        assignments: &[LegacyAssignment],
        dry_run: bool,
        ctx: &ChangeContext,
    ) -> Result<LegacyPlan, ServiceError> {
        let mut ix = self.read(workspace, None, |ix| ix.clone()).await?;
        let mut by_email: BTreeMap<String, Vec<LegacyAssignment>> = BTreeMap::new();
        for a in assignments {
            let email = Email::parse(&a.email)?.into_string();
            by_email
                .entry(email.to_lowercase())
                .or_default()
                .push(a.clone());
        }
        let mut steps = Vec::new();
        let mut changes = Vec::new();
        let revision = ix.revision();
        let mut record = |ix: &mut crate::access::WorkspaceIndex, step: String, change: Change| {
            ix.apply(revision, &change);
            steps.push(step);
            changes.push(change);
        };
        for (key, lines) in by_email {
            let targets = lines
                .iter()
                .map(|a| legacy::plan(ix.products(), a))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| ServiceError::Invalid(e.to_string()))?;
            let target = legacy::merge(targets);
            let email = Email::parse(&lines[0].email)?.into_string();
            let member = match ix.find_member(&MemberKey::Email(key.clone())).cloned() {
                Some(m) if m.kind == MemberKind::Member && target.kind == MemberKind::Owner => {
                    let upgraded = Member {
                        kind: MemberKind::Owner,
                        ..m
                    };
                    record(
                        &mut ix,
                        format!("make {email} an owner"),
                        Change::MemberUpserted {
                            member: upgraded.clone(),
                        },
                    );
                    upgraded
                }
                Some(m) => m,
                None => {
                    let member = Member {
                        id: Uuid::now_v7(),
                        email: email.clone(),
                        kind: target.kind,
                        active: true,
                        // A legacy file is data, like an import document: whoever runs it, a
                        // person outside the workspace's domains decides for themselves.
                        awaiting_consent: super::needs_consent(
                            workspace,
                            &email,
                            &crate::domain::Actor::System,
                        ),
                    };
                    let kind = if target.kind == MemberKind::Owner {
                        "owner"
                    } else {
                        "member"
                    };
                    record(
                        &mut ix,
                        format!("add {email} as {kind}"),
                        Change::MemberUpserted {
                            member: member.clone(),
                        },
                    );
                    member
                }
            };
            if member.kind == MemberKind::Owner {
                continue; // owners may do everything; grants would only be noise
            }
            for (role, scope) in target.grants {
                if let Scope::Instance(r) = &scope {
                    if ix.resource(r).is_none() {
                        let resource = Resource {
                            resource_type: r.resource_type.clone(),
                            id: r.id.clone(),
                            name: r.id.clone(),
                            parent: None,
                        };
                        record(
                            &mut ix,
                            format!("register {} {}", r.resource_type, r.id),
                            Change::ResourceUpserted { resource },
                        );
                    }
                }
                let held = ix
                    .grants_of(Subject::User(member.id))
                    .iter()
                    .any(|g| g.role == role && g.scope == scope);
                if held {
                    continue;
                }
                ix.validate_grant(&role, &scope, false)?;
                let on = match &scope {
                    Scope::All => "all current and future instances".to_string(),
                    Scope::Instance(r) => format!("{} {}", r.resource_type, r.id),
                };
                let grant = Grant {
                    id: Uuid::now_v7(),
                    subject: Subject::User(member.id),
                    role: role.clone(),
                    scope,
                    origin: GrantOrigin::Legacy,
                };
                record(
                    &mut ix,
                    format!("grant {email} {role} on {on}"),
                    Change::GrantAdded { grant },
                );
            }
        }
        let revision = if dry_run || changes.is_empty() {
            None
        } else {
            let audited = changes.iter().cloned().map(Into::into).collect();
            Some(self.commit(workspace, audited, ctx).await?)
        };
        Ok(LegacyPlan {
            steps,
            changes,
            revision,
        })
    }
}
