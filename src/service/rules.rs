//! Group mapping rules: "a group whose displayName equals / starts with / matches X (or whose
//! externalId is Y) gets role R with scope S". The grants a rule makes carry its id as their
//! origin, so reconciling is a plain set difference: the grants the rules want, against the
//! rule grants that exist. It runs whenever groups or rules change — whoever made the group
//! (SCIM, a SAML claim, an owner) — and removing a rule removes exactly its grants.

use std::collections::{BTreeSet, HashMap};

use chrono::Utc;
use serde::Deserialize;
use uuid::Uuid;

use super::{AccessService, ServiceError};
use crate::{
    access::{Change, Grant, GrantOrigin, Scope, Subject},
    domain::{
        bridge::{MappingRule, MatchKind},
        Actor, Workspace,
    },
    storage::{AuditedChange, ChangeContext},
};

/// What a rule would give now (see [`AccessService::preview_rule`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RulePreview {
    /// The display names of the groups it matches.
    pub groups: Vec<String>,
    /// Distinct members of those groups.
    pub members: usize,
}

/// A rule as callers write it (API body, TOML file).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    #[serde(rename = "match")]
    pub match_kind: MatchKind,
    pub pattern: String,
    pub role: String,
    #[serde(default = "all_scope")]
    pub scope: Scope,
}

fn all_scope() -> Scope {
    Scope::All
}

impl AccessService {
    /// Validates a rule spec against the workspace (role, product, scope, owner setting).
    async fn rule_from_spec(
        &self,
        workspace: &Workspace,
        spec: RuleSpec,
        source: &str,
    ) -> Result<MappingRule, ServiceError> {
        MappingRule::validate_pattern(spec.match_kind, &spec.pattern)
            .map_err(ServiceError::Invalid)?;
        let allow_owner = workspace.settings.allow_idp_managed_owners;
        if spec.role == crate::access::catalog::OWNER_ROLE && !allow_owner {
            return Err(ServiceError::Invalid(
                "mapping a group to workspace.owner needs the workspace setting allow_idp_managed_owners".into(),
            ));
        }
        self.read(workspace, None, |ix| {
            ix.validate_grant(&spec.role, &spec.scope, allow_owner)
        })
        .await??;
        Ok(MappingRule {
            id: Uuid::now_v7(),
            match_kind: spec.match_kind,
            pattern: spec.pattern,
            role: spec.role,
            scope: spec.scope,
            source: source.into(),
            created_at: Utc::now(),
        })
    }

    /// What a rule would give before it is saved: the groups it matches now and how many
    /// distinct members they hold (validated as [`Self::create_rule`] validates).
    pub async fn preview_rule(
        &self,
        workspace: &Workspace,
        spec: RuleSpec,
    ) -> Result<RulePreview, ServiceError> {
        let rule = self.rule_from_spec(workspace, spec, "api").await?;
        self.read(workspace, None, |ix| {
            let compiled = rule.compile();
            let mut groups = Vec::new();
            let mut members = std::collections::HashSet::new();
            for group in ix.groups().filter(|g| compiled.matches(g)) {
                groups.push(group.display_name.clone());
                members.extend(ix.group_members(group.id).into_iter().map(|(m, _)| m));
            }
            groups.sort();
            RulePreview {
                groups,
                members: members.len(),
            }
        })
        .await
    }

    /// Adds a rule and applies it.
    pub async fn create_rule(
        &self,
        workspace: &Workspace,
        spec: RuleSpec,
        ctx: &ChangeContext,
    ) -> Result<MappingRule, ServiceError> {
        let rule = self.rule_from_spec(workspace, spec, "api").await?;
        self.store
            .change_mapping_rules(
                workspace.id,
                std::slice::from_ref(&rule),
                &[],
                &ctx.actor,
                ctx.request_id.as_deref(),
            )
            .await?;
        self.reconcile_rules(workspace, ctx).await?;
        Ok(rule)
    }

    /// Removes a rule and exactly the grants it made.
    pub async fn delete_rule(
        &self,
        workspace: &Workspace,
        id: Uuid,
        ctx: &ChangeContext,
    ) -> Result<(), ServiceError> {
        let rules = self.store.mapping_rules(workspace.id).await?;
        if !rules.iter().any(|r| r.id == id) {
            return Err(ServiceError::NotFound(format!("mapping rule {id}")));
        }
        self.store
            .change_mapping_rules(
                workspace.id,
                &[],
                &[id],
                &ctx.actor,
                ctx.request_id.as_deref(),
            )
            .await?;
        self.reconcile_rules(workspace, ctx).await
    }

    /// Makes the file's rules the workspace's file-sourced rules (declarative, idempotent).
    pub async fn apply_rules_file(
        &self,
        workspace: &Workspace,
        specs: Vec<RuleSpec>,
    ) -> Result<usize, ServiceError> {
        let ctx = ChangeContext {
            actor: Actor::System,
            request_id: None,
            provenance: "rules",
        };
        let existing: Vec<MappingRule> = self
            .store
            .mapping_rules(workspace.id)
            .await?
            .into_iter()
            .filter(|r| r.source == "file")
            .collect();
        let key = |kind: MatchKind, pattern: &str, role: &str, scope: &Scope| {
            (
                kind.as_str().to_string(),
                pattern.to_string(),
                role.to_string(),
                serde_json::to_string(scope).unwrap_or_default(),
            )
        };
        let wanted: BTreeSet<_> = specs
            .iter()
            .map(|s| key(s.match_kind, &s.pattern, &s.role, &s.scope))
            .collect();
        let have: BTreeSet<_> = existing
            .iter()
            .map(|r| key(r.match_kind, &r.pattern, &r.role, &r.scope))
            .collect();
        let remove: Vec<Uuid> = existing
            .iter()
            .filter(|r| !wanted.contains(&key(r.match_kind, &r.pattern, &r.role, &r.scope)))
            .map(|r| r.id)
            .collect();
        let mut add = Vec::new();
        for spec in specs {
            if !have.contains(&key(
                spec.match_kind,
                &spec.pattern,
                &spec.role,
                &spec.scope,
            )) {
                add.push(self.rule_from_spec(workspace, spec, "file").await?);
            }
        }
        let changed = add.len() + remove.len();
        if changed > 0 {
            self.store
                .change_mapping_rules(workspace.id, &add, &remove, &ctx.actor, None)
                .await?;
        }
        self.reconcile_rules(workspace, &ctx).await?;
        Ok(changed)
    }

    /// Brings rule-made grants in line with the rules and the current groups.
    pub async fn reconcile_rules(
        &self,
        workspace: &Workspace,
        ctx: &ChangeContext,
    ) -> Result<(), ServiceError> {
        let rules = self.store.mapping_rules(workspace.id).await?;
        self.reconcile_with(workspace, rules, ctx).await
    }

    /// After a group change: nothing to do in a workspace without rules (a deleted rule's
    /// grants were already removed by [`AccessService::delete_rule`]).
    pub(crate) async fn reconcile_after_group_change(
        &self,
        workspace: &Workspace,
        ctx: &ChangeContext,
    ) -> Result<(), ServiceError> {
        let rules = self.store.mapping_rules(workspace.id).await?;
        if rules.is_empty() {
            return Ok(());
        }
        self.reconcile_with(workspace, rules, ctx).await
    }

    async fn reconcile_with(
        &self,
        workspace: &Workspace,
        rules: Vec<MappingRule>,
        ctx: &ChangeContext,
    ) -> Result<(), ServiceError> {
        let changes = self
            .read(workspace, None, |ix| {
                let mut wanted: HashMap<(Uuid, Uuid), &MappingRule> = HashMap::new();
                // Each rule's regex is compiled once per reconcile, not once per group.
                let compiled: Vec<_> = rules.iter().map(MappingRule::compile).collect();
                for group in ix.groups() {
                    for rule in compiled.iter().filter(|r| r.matches(group)) {
                        wanted.insert((rule.rule.id, group.id), rule.rule);
                    }
                }
                let mut changes: Vec<AuditedChange> = Vec::new();
                let mut present = BTreeSet::new();
                for grant in ix.grants() {
                    let (GrantOrigin::Rule(rule_id), Subject::Group(group_id)) =
                        (grant.origin, grant.subject)
                    else {
                        continue;
                    };
                    let still = wanted
                        .get(&(rule_id, group_id))
                        .is_some_and(|r| r.role == grant.role && r.scope == grant.scope);
                    if still {
                        present.insert((rule_id, group_id));
                    } else {
                        changes.push(AuditedChange {
                            change: Change::GrantRemoved { grant_id: grant.id },
                            before: serde_json::to_value(grant).ok(),
                        });
                    }
                }
                let held: BTreeSet<(Uuid, String, String)> = ix
                    .grants()
                    .filter_map(|g| match g.subject {
                        Subject::Group(id) => Some((
                            id,
                            g.role.clone(),
                            serde_json::to_string(&g.scope).unwrap_or_default(),
                        )),
                        Subject::User(_) => None,
                    })
                    .collect();
                for ((rule_id, group_id), rule) in &wanted {
                    let scope_key = serde_json::to_string(&rule.scope).unwrap_or_default();
                    // A group that already holds the role (by hand, or by another rule) keeps
                    // that grant; the rule adds nothing twice.
                    if present.contains(&(*rule_id, *group_id))
                        || held.contains(&(*group_id, rule.role.clone(), scope_key))
                    {
                        continue;
                    }
                    changes.push(
                        Change::GrantAdded {
                            grant: Grant {
                                id: Uuid::now_v7(),
                                subject: Subject::Group(*group_id),
                                role: rule.role.clone(),
                                scope: rule.scope.clone(),
                                origin: GrantOrigin::Rule(*rule_id),
                            },
                        }
                        .into(),
                    );
                }
                changes
            })
            .await?;
        if !changes.is_empty() {
            let ctx = ChangeContext {
                actor: Actor::System,
                request_id: ctx.request_id.clone(),
                provenance: "rules",
            };
            self.commit_inner(workspace, changes, &ctx, &[]).await?;
        }
        Ok(())
    }
}

/// The rules file: `[[workspace]]` tables with a `slug` and `[[workspace.rule]]` entries.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RulesFile {
    #[serde(default, rename = "workspace")]
    pub workspaces: Vec<WorkspaceRules>,
}

/// One workspace's desired file rules.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkspaceRules {
    pub slug: String,
    #[serde(default, rename = "rule")]
    pub rules: Vec<RuleSpec>,
}

/// Reads and applies a rules file; answers (workspace slug, rules added or removed).
pub async fn apply_file(
    access: &AccessService,
    path: &std::path::Path,
) -> Result<Vec<(String, usize)>, ServiceError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ServiceError::Invalid(format!("cannot read {}: {e}", path.display())))?;
    let file: RulesFile = toml::from_str(&text)
        .map_err(|e| ServiceError::Invalid(format!("{}: {}", path.display(), e.message())))?;
    let mut outcome = Vec::new();
    for entry in file.workspaces {
        let workspace = access
            .store
            .workspace_by_slug(&entry.slug)
            .await?
            .ok_or_else(|| {
                ServiceError::NotFound(format!(
                    "workspace {:?} (in {})",
                    entry.slug,
                    path.display()
                ))
            })?;
        let changed = access.apply_rules_file(&workspace, entry.rules).await?;
        outcome.push((entry.slug, changed));
    }
    Ok(outcome)
}
