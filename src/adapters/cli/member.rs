//! `gatehouse member add|list|remove|grant|revoke`: the admin API's member and grant
//! operations for a person at the command line. The operator acts with the CLI's trust
//! (`Actor::Cli`, provenance `cli`): a member added here is linked to the person's account at
//! once, whatever the workspace's domains (see `service::needs_consent`). Every change is
//! audited like its API twin.

use clap::Subcommand;
use serde_json::json;
use uuid::Uuid;

use super::{
    commands::{cli_context, or_none, workspace},
    exit::CliError,
    values::MemberKindArg,
    Outcome,
};
use crate::{
    access::{Grant, GrantOrigin, Member, MemberKey, ResourceRef, Scope, Subject},
    service::AccessService,
    storage::Store,
};

#[derive(Debug, Subcommand)]
pub enum MemberCommand {
    /// Add a person by email; linked to their account at once (created if missing).
    Add {
        /// Workspace slug.
        #[arg(long)]
        workspace: String,
        #[arg(long)]
        email: String,
        #[arg(long, value_enum, default_value_t = MemberKindArg::Member)]
        kind: MemberKindArg,
    },
    /// List a workspace's members with their direct grants.
    List {
        /// Workspace slug.
        #[arg(long)]
        workspace: String,
    },
    /// Remove a membership (the account stays), with its group links and direct grants.
    Remove {
        /// Workspace slug.
        #[arg(long)]
        workspace: String,
        /// Email or membership id.
        #[arg(long)]
        member: String,
    },
    /// Grant a member a role, on all current and future instances or on one (`--resource`).
    Grant {
        /// Workspace slug.
        #[arg(long)]
        workspace: String,
        /// Email or membership id.
        #[arg(long)]
        member: String,
        /// Role key, e.g. source.admin (see the role catalog).
        #[arg(long)]
        role: String,
        /// Limit the grant to one instance, as TYPE:ID (e.g. source:web).
        #[arg(long)]
        resource: Option<String>,
    },
    /// Revoke a direct grant: by id, or by member, role and (for an instance grant) resource.
    Revoke {
        /// Workspace slug.
        #[arg(long)]
        workspace: String,
        /// The grant's id (as `member grant` and `member list` show it).
        #[arg(long, required_unless_present = "member", conflicts_with_all = ["member", "role", "resource"])]
        grant: Option<Uuid>,
        /// Email or membership id.
        #[arg(long, requires = "role")]
        member: Option<String>,
        /// Role key of the grant to revoke.
        #[arg(long, requires = "member")]
        role: Option<String>,
        /// The instance of the grant to revoke, as TYPE:ID (none: the all-instances grant).
        #[arg(long, requires = "member")]
        resource: Option<String>,
    },
}

/// `TYPE:ID` as a resource reference.
fn parse_resource(spec: &str) -> Result<ResourceRef, CliError> {
    match spec.split_once(':') {
        Some((t, id)) if !t.trim().is_empty() && !id.trim().is_empty() => {
            Ok(ResourceRef::new(t.trim(), id.trim()))
        }
        _ => Err(CliError::Usage(format!(
            "--resource {spec:?} must be TYPE:ID, e.g. source:web"
        ))),
    }
}

fn scope_text(scope: &Scope) -> String {
    match scope {
        Scope::All => "all instances".into(),
        Scope::Instance(r) => format!("{}:{}", r.resource_type, r.id),
    }
}

fn member_state(member: &Member) -> &'static str {
    match (member.active, member.awaiting_consent) {
        (false, _) => "inactive",
        (true, true) => "awaiting consent",
        (true, false) => "active",
    }
}

fn kind_text(member: &Member) -> String {
    serde_json::to_value(member.kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

pub async fn run(store: &Store, command: MemberCommand) -> anyhow::Result<Outcome> {
    let access = AccessService::new(store.clone());
    let ctx = cli_context("cli");
    Ok(match command {
        MemberCommand::Add {
            workspace: slug,
            email,
            kind,
        } => {
            let ws = workspace(store, &slug).await?;
            let email = crate::access::Email::parse(&email)?;
            let (member, revision) = access.add_member(&ws, &email, kind.into(), &ctx).await?;
            Outcome {
                text: format!(
                    "{} added to {slug} as {} (membership {})",
                    member.email,
                    kind_text(&member),
                    member.id
                ),
                json: json!({ "member": member, "revision": revision }),
            }
        }
        MemberCommand::List { workspace: slug } => {
            let ws = workspace(store, &slug).await?;
            let (listed, revision) = access
                .read(&ws, None, |ix| {
                    let mut members: Vec<(Member, Vec<Grant>)> = ix
                        .members()
                        .map(|m| {
                            let grants = ix
                                .grants_of(Subject::User(m.id))
                                .into_iter()
                                .cloned()
                                .collect();
                            (m.clone(), grants)
                        })
                        .collect();
                    members.sort_by_key(|(m, _)| m.email.to_lowercase());
                    (members, ix.revision())
                })
                .await?;
            let text = listed
                .iter()
                .map(|(m, grants)| {
                    let mut line = format!(
                        "{}\t{}\t{}\t{}",
                        m.email,
                        kind_text(m),
                        member_state(m),
                        m.id
                    );
                    for g in grants {
                        line.push_str(&format!(
                            "\n  {} on {} (grant {})",
                            g.role,
                            scope_text(&g.scope),
                            g.id
                        ));
                    }
                    line
                })
                .collect::<Vec<_>>()
                .join("\n");
            let members: Vec<_> = listed
                .iter()
                .map(|(m, grants)| {
                    let mut value = serde_json::to_value(m).unwrap_or_default();
                    value["grants"] = serde_json::to_value(grants).unwrap_or_default();
                    value
                })
                .collect();
            Outcome {
                text: or_none(text, "no members"),
                json: json!({ "members": members, "revision": revision }),
            }
        }
        MemberCommand::Remove {
            workspace: slug,
            member,
        } => {
            let ws = workspace(store, &slug).await?;
            let removed = find_member(&access, &ws, &slug, &member).await?;
            let revision = access
                .remove_member(&ws, &removed.id.to_string(), &ctx)
                .await?;
            Outcome {
                text: format!("{} removed from {slug}", removed.email),
                json: json!({ "removed": true, "member": removed, "revision": revision }),
            }
        }
        MemberCommand::Grant {
            workspace: slug,
            member,
            role,
            resource,
        } => {
            let ws = workspace(store, &slug).await?;
            let target = find_member(&access, &ws, &slug, &member).await?;
            let scope = match resource.as_deref() {
                None => Scope::All,
                Some(spec) => Scope::Instance(parse_resource(spec)?),
            };
            let (grant, revision) = access
                .add_grant(
                    &ws,
                    Subject::User(target.id),
                    crate::access::RoleKey::parse(&role)?,
                    scope,
                    GrantOrigin::Manual,
                    &ctx,
                )
                .await?;
            Outcome {
                text: format!(
                    "{} now has {} on {} (grant {})",
                    target.email,
                    grant.role,
                    scope_text(&grant.scope),
                    grant.id
                ),
                json: json!({ "grant": grant, "id": grant.id, "member": target,
                              "revision": revision }),
            }
        }
        MemberCommand::Revoke {
            workspace: slug,
            grant,
            member,
            role,
            resource,
        } => {
            let ws = workspace(store, &slug).await?;
            let id = match (grant, member, role) {
                (Some(id), _, _) => id,
                (None, Some(member), Some(role)) => {
                    let target = find_member(&access, &ws, &slug, &member).await?;
                    let scope = match resource.as_deref() {
                        None => Scope::All,
                        Some(spec) => Scope::Instance(parse_resource(spec)?),
                    };
                    let found = access
                        .read(&ws, None, |ix| {
                            ix.grants_of(Subject::User(target.id))
                                .into_iter()
                                .find(|g| g.role == role && g.scope == scope)
                                .map(|g| g.id)
                        })
                        .await?;
                    found.ok_or_else(|| {
                        CliError::NotFound(format!(
                            "a direct grant of {role} on {} to {}",
                            scope_text(&scope),
                            target.email
                        ))
                    })?
                }
                _ => {
                    return Err(CliError::Usage(
                        "name the grant: --grant ID, or --member and --role".into(),
                    )
                    .into())
                }
            };
            let revoked = access
                .read(&ws, None, |ix| ix.grant(id).cloned())
                .await?
                .ok_or_else(|| CliError::NotFound(format!("grant {id} in {slug}")))?;
            let revision = access.remove_grant(&ws, id, &ctx).await?;
            Outcome {
                text: format!(
                    "revoked {} on {} (grant {id})",
                    revoked.role,
                    scope_text(&revoked.scope)
                ),
                json: json!({ "revoked": true, "grant": revoked, "revision": revision }),
            }
        }
    })
}

/// The member named by email or membership id, or a not-found naming both.
async fn find_member(
    access: &AccessService,
    ws: &crate::domain::Workspace,
    slug: &str,
    member: &str,
) -> anyhow::Result<Member> {
    let key = MemberKey::parse(member);
    access
        .read(ws, None, |ix| ix.find_member(&key).cloned())
        .await?
        .ok_or_else(|| CliError::NotFound(format!("member {member:?} in {slug}")).into())
}
