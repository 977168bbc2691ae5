//! `gatehouse legacy import`: legacy role assignments into grants.

use std::path::{Path, PathBuf};

use clap::Subcommand;
use serde_json::json;

use super::{
    commands::{cli_context, workspace},
    exit::CliError,
    progress::Progress,
    Outcome,
};
use crate::{
    service::{legacy::parse_assignments, AccessService},
    storage::Store,
};

#[derive(Debug, Subcommand)]
pub enum LegacyCommand {
    /// Import legacy assignments (JSON lines: {email, role, sources?}); idempotent.
    Import {
        /// Workspace slug.
        #[arg(long)]
        workspace: String,
        /// JSON-lines file of legacy assignments.
        #[arg(long)]
        file: PathBuf,
        /// Print the planned changes without applying them.
        #[arg(long)]
        dry_run: bool,
    },
}

pub async fn run(store: &Store, command: LegacyCommand) -> anyhow::Result<Outcome> {
    match command {
        LegacyCommand::Import {
            workspace,
            file,
            dry_run,
        } => import(store, &workspace, &file, dry_run).await,
    }
}

async fn import(store: &Store, slug: &str, file: &Path, dry_run: bool) -> anyhow::Result<Outcome> {
    let mut progress = Progress::on_stderr();
    let workspace = workspace(store, slug).await?;
    progress.step(format_args!("reading {}", file.display()));
    let text = std::fs::read_to_string(file)
        .map_err(|e| CliError::Usage(format!("cannot read {}: {e}", file.display())))?;
    let assignments = parse_assignments(&text)?;
    progress.step(format_args!(
        "{} {} legacy assignment(s)",
        if dry_run { "planning" } else { "applying" },
        assignments.len()
    ));
    let access = AccessService::new(store.clone());
    let ctx = cli_context("legacy");
    let plan = access
        .import_legacy(&workspace, &assignments, dry_run, &ctx)
        .await?;
    progress.done();
    let header = match (dry_run, plan.steps.len()) {
        (_, 0) => "nothing to change: the workspace already matches the legacy assignments".into(),
        (true, n) => format!("dry run: {n} change(s) would be made"),
        (false, n) => format!("applied {n} change(s)"),
    };
    let text = std::iter::once(header)
        .chain(plan.steps.iter().map(|s| format!("  {s}")))
        .collect::<Vec<_>>()
        .join("\n");
    Ok(Outcome {
        text,
        json: json!({ "dry_run": dry_run, "steps": plan.steps, "changes": plan.changes,
                      "revision": plan.revision }),
    })
}
