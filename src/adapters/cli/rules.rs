//! `gatehouse rules list|add|remove|apply`: group mapping rules.

use std::path::PathBuf;

use clap::Subcommand;
use serde_json::json;
use uuid::Uuid;

use super::{
    commands::{cli_context, or_none, workspace},
    exit::CliError,
    values::MatchArg,
    Outcome,
};
use crate::{
    access::{ResourceRef, Scope},
    service::AccessService,
    storage::Store,
};

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// List a workspace's rules.
    List {
        #[arg(long)]
        workspace: String,
    },
    /// Add a rule: groups matching get the role (on all instances unless --instance).
    Add {
        #[arg(long)]
        workspace: String,
        /// How groups are matched.
        #[arg(long = "match", value_enum)]
        match_kind: MatchArg,
        #[arg(long)]
        pattern: String,
        #[arg(long)]
        role: String,
        /// Limit to one instance, as TYPE:ID (source roles only).
        #[arg(long)]
        instance: Option<String>,
    },
    /// Remove a rule and the grants it made.
    Remove {
        #[arg(long)]
        workspace: String,
        id: Uuid,
    },
    /// Apply a rules file (TOML; the file is the desired state of its rules).
    Apply {
        #[arg(long)]
        file: PathBuf,
    },
}

pub async fn run(store: &Store, command: RulesCommand) -> anyhow::Result<Outcome> {
    let access = AccessService::new(store.clone());
    let ctx = cli_context("cli");
    Ok(match command {
        RulesCommand::List { workspace: slug } => {
            let workspace = workspace(store, &slug).await?;
            let rules = store.mapping_rules(workspace.id).await?;
            let text = rules
                .iter()
                .map(|r| {
                    format!(
                        "{}\t{} {:?}\t{}\t{}",
                        r.id,
                        r.match_kind.as_str(),
                        r.pattern,
                        r.role,
                        r.source
                    )
                })
                .collect::<Vec<_>>()
                .join("\n");
            Outcome {
                text: or_none(text, "no rules"),
                json: json!({ "rules": rules }),
            }
        }
        RulesCommand::Add {
            workspace: slug,
            match_kind,
            pattern,
            role,
            instance,
        } => {
            let workspace = workspace(store, &slug).await?;
            let match_kind = crate::domain::bridge::MatchKind::from(match_kind);
            let scope = match instance {
                None => Scope::All,
                Some(spec) => {
                    let (t, id) = spec
                        .split_once(':')
                        .ok_or_else(|| CliError::Usage("--instance is TYPE:ID".into()))?;
                    Scope::Instance(ResourceRef::new(t, id))
                }
            };
            let spec = crate::service::rules::RuleSpec {
                match_kind,
                pattern,
                role,
                scope,
            };
            let rule = access.create_rule(&workspace, spec, &ctx).await?;
            Outcome {
                text: format!("rule {} added", rule.id),
                json: json!({ "rule": rule }),
            }
        }
        RulesCommand::Remove {
            workspace: slug,
            id,
        } => {
            let workspace = workspace(store, &slug).await?;
            access.delete_rule(&workspace, id, &ctx).await?;
            Outcome {
                text: format!("rule {id} removed with its grants"),
                json: json!({ "removed": id }),
            }
        }
        RulesCommand::Apply { file } => {
            let applied = crate::service::rules::apply_file(&access, &file).await?;
            Outcome {
                text: applied
                    .iter()
                    .map(|(slug, n)| format!("{slug}: {n} rule(s) added or removed"))
                    .collect::<Vec<_>>()
                    .join("\n"),
                json: json!({ "applied": applied.iter().map(|(s, n)| json!({"workspace": s, "changed": n})).collect::<Vec<_>>() }),
            }
        }
    })
}
