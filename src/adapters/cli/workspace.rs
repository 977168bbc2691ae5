//! `gatehouse workspace create|list|export|import`.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, Subcommand};
use serde_json::json;

use super::{
    commands::{cli_context, or_none},
    exit::CliError,
    progress::Progress,
    values::ProductArg,
    Outcome,
};
use crate::{
    access::Product,
    domain::{
        transfer::{WorkspaceExport, NOT_EXPORTED},
        Actor, NewWorkspace,
    },
    service::{transfer::TransferCounts, AccessService},
    storage::Store,
};

#[derive(Debug, Subcommand)]
pub enum WorkspaceCommand {
    /// Create a workspace.
    Create(WorkspaceCreate),
    /// List workspaces.
    List,
    /// Write one workspace's access (members, groups, resources, grants, SCIM documents) as
    /// one JSON document; SSO connections, tokens and invitations are not exported.
    Export {
        /// Workspace slug.
        #[arg(long)]
        workspace: String,
        /// Write the document here instead of standard output.
        #[arg(long)]
        file: Option<PathBuf>,
    },
    /// Create a workspace from an export, in one transaction (the slug must be free).
    Import {
        /// The export document.
        #[arg(long)]
        file: PathBuf,
        /// The document is your own export (moving a workspace between databases): verify its
        /// domains and link its members to their accounts as they were. Never for a document
        /// someone else gave you: without it, domains are claims and members wait for their
        /// people.
        #[arg(long)]
        own_export: bool,
    },
}

#[derive(Debug, Args)]
pub struct WorkspaceCreate {
    /// URL name: lower-case letters, digits, hyphens.
    #[arg(long)]
    pub slug: String,
    /// Display name.
    #[arg(long)]
    pub name: String,
    /// Enabled products, comma-separated (default: all of them).
    #[arg(long, value_enum, value_delimiter = ',')]
    pub products: Option<Vec<ProductArg>>,
    /// A verified email domain (repeatable).
    #[arg(long = "domain")]
    pub domains: Vec<String>,
}

pub async fn run(store: &Store, command: WorkspaceCommand) -> anyhow::Result<Outcome> {
    match command {
        WorkspaceCommand::Create(args) => create(store, args).await,
        WorkspaceCommand::List => list(store).await,
        WorkspaceCommand::Export { workspace, file } => {
            export(store, &workspace, file.as_deref()).await
        }
        WorkspaceCommand::Import { file, own_export } => import(store, &file, own_export).await,
    }
}

async fn create(store: &Store, args: WorkspaceCreate) -> anyhow::Result<Outcome> {
    let workspace = store
        .create_workspace(
            NewWorkspace {
                slug: args.slug,
                name: args.name,
                products: args
                    .products
                    .map(|p| p.into_iter().map(Product::from).collect())
                    .unwrap_or_else(|| Product::ALL.to_vec()),
                domains: args.domains,
            },
            &Actor::Cli,
            None,
        )
        .await?;
    Ok(Outcome {
        text: format!(
            "workspace {} created ({}; domains: {})",
            workspace.slug,
            products_text(&workspace.products),
            workspace.domains.join(", ")
        ),
        json: json!({ "workspace": workspace }),
    })
}

async fn list(store: &Store) -> anyhow::Result<Outcome> {
    let workspaces = store.list_workspaces().await?;
    let text = workspaces
        .iter()
        .map(|w| format!("{}\t{}\t{}", w.slug, w.name, products_text(&w.products)))
        .collect::<Vec<_>>()
        .join("\n");
    Ok(Outcome {
        json: json!({ "workspaces": workspaces }),
        text: or_none(text, "no workspaces"),
    })
}

/// With a file: writes the document there and answers a summary. Without: the document is
/// the answer (with `--json`, the one JSON object printed).
async fn export(store: &Store, slug: &str, file: Option<&Path>) -> anyhow::Result<Outcome> {
    let mut progress = Progress::on_stderr();
    progress.step(format_args!("reading workspace {slug} (one snapshot)"));
    let access = AccessService::new(store.clone());
    let doc = access.export_workspace(slug).await?;
    let counts = TransferCounts::of(&doc);
    progress.step(format_args!(
        "read {} members, {} groups, {} resources, {} grants",
        counts.members, counts.groups, counts.resources, counts.grants
    ));
    let Some(file) = file else {
        progress.done();
        let json = serde_json::to_value(&doc)?;
        let text = serde_json::to_string_pretty(&json)?;
        return Ok(Outcome { json, text });
    };
    progress.step(format_args!("writing {}", file.display()));
    write_private_file(file, serde_json::to_string_pretty(&doc)?.as_bytes())
        .with_context(|| format!("cannot write {}", file.display()))?;
    progress.done();
    Ok(Outcome {
        text: format!(
            "exported workspace {slug} at revision {} to {}: {}.\nNot exported: {} (set them up \
             again after an import).",
            doc.source_revision,
            file.display(),
            counts_text(&counts),
            NOT_EXPORTED.join(", "),
        ),
        json: json!({ "exported": true, "workspace": slug, "file": file,
                      "format": doc.format, "source_revision": doc.source_revision,
                      "counts": counts, "not_exported": NOT_EXPORTED }),
    })
}

/// Writes `bytes` to `path` readable by its owner only (an export holds people's emails and
/// SCIM documents), through a temporary file so a failed write never leaves half a document.
fn write_private_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut tmp_name = path.as_os_str().to_owned();
    tmp_name.push(".partial");
    let tmp = PathBuf::from(tmp_name);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut out = options.open(&tmp)?;
    out.write_all(bytes)?;
    out.sync_all()?;
    drop(out);
    std::fs::rename(&tmp, path)
}

async fn import(store: &Store, file: &Path, own_export: bool) -> anyhow::Result<Outcome> {
    let mut progress = Progress::on_stderr();
    progress.step(format_args!("reading {}", file.display()));
    let text = std::fs::read_to_string(file)
        .map_err(|e| CliError::Usage(format!("cannot read {}: {e}", file.display())))?;
    let doc: WorkspaceExport = serde_json::from_str(&text).map_err(|e| {
        CliError::Usage(format!(
            "{} is not a Gatehouse workspace export: {e}",
            file.display()
        ))
    })?;
    let counts = TransferCounts::of(&doc);
    progress.step(format_args!(
        "importing {} members, {} groups, {} resources, {} grants in one transaction",
        counts.members, counts.groups, counts.resources, counts.grants
    ));
    let access = AccessService::new(store.clone());
    let ctx = cli_context("import");
    let trust = if own_export {
        crate::domain::transfer::ImportTrust::OwnExport
    } else {
        crate::domain::transfer::ImportTrust::Untrusted
    };
    let claimed = doc.workspace.domains.clone();
    let workspace = access.import_workspace(doc, trust, &ctx).await?;
    progress.done();
    let domains = if own_export {
        format!("verified domains: {}", workspace.domains.join(", "))
    } else {
        format!(
            "claimed (not verified) domains: {}; members wait for their people (use \
             --own-export for your own export)",
            claimed.join(", ")
        )
    };
    Ok(Outcome {
        text: format!(
            "imported workspace {} (revision {}): {}; {domains}.\nNot part of an export: {} \
             (connect SSO and issue tokens again).",
            workspace.slug,
            workspace.revision,
            counts_text(&counts),
            NOT_EXPORTED.join(", "),
        ),
        json: json!({ "imported": true, "workspace": workspace, "revision": workspace.revision,
                      "counts": counts, "not_imported": NOT_EXPORTED, "own_export": own_export,
                      "claimed_domains": claimed }),
    })
}

/// What a workspace document holds, as the export and import summaries say it.
fn counts_text(counts: &TransferCounts) -> String {
    format!(
        "{} members, {} groups ({} group members), {} resources, {} grants",
        counts.members, counts.groups, counts.group_members, counts.resources, counts.grants
    )
}

fn products_text(products: &[Product]) -> String {
    products
        .iter()
        .map(|p| p.as_str())
        .collect::<Vec<_>>()
        .join(",")
}
