//! `gatehouse domain add|verify|list|remove`: a workspace's email domains.

use clap::Subcommand;
use serde_json::json;

use super::{commands::workspace, Outcome};
use crate::{config::Settings, domain::Actor, storage::Store};

#[derive(Debug, Subcommand)]
pub enum DomainCommand {
    /// Claim a domain for a workspace; prints the DNS TXT record that verifies it.
    Add {
        #[arg(long)]
        workspace: String,
        #[arg(long)]
        domain: String,
    },
    /// Verify a claimed domain by its TXT record, or on the operator's word (`--no-dns`, for
    /// single-tenant installs; claims the domain first if needed). Audited.
    Verify {
        #[arg(long)]
        workspace: String,
        #[arg(long)]
        domain: String,
        /// Skip DNS: the operator vouches that the workspace holds the domain.
        #[arg(long)]
        no_dns: bool,
    },
    /// List a workspace's domains with their state and TXT records.
    List {
        #[arg(long)]
        workspace: String,
    },
    /// Remove a domain (claimed or verified) from a workspace.
    Remove {
        #[arg(long)]
        workspace: String,
        #[arg(long)]
        domain: String,
    },
}

pub async fn run(
    store: &Store,
    settings: &Settings,
    command: DomainCommand,
) -> anyhow::Result<Outcome> {
    use crate::service::domains;
    let claim_json = |c: &crate::domain::domains::DomainClaim| {
        json!({
            "domain": c.domain,
            "state": c.state(),
            "verified_at": c.verified_at,
            "verified_by": c.verified_by,
            "txt_record": c.txt_record,
        })
    };
    let claim_text = |c: &crate::domain::domains::DomainClaim| match c.verified_at {
        Some(_) => format!("{}: verified", c.domain),
        None => format!(
            "{}: pending; publish TXT {} \"{}\", then run gatehouse domain verify",
            c.domain, c.txt_record.name, c.txt_record.value
        ),
    };
    Ok(match command {
        DomainCommand::Add {
            workspace: slug,
            domain,
        } => {
            let ws = workspace(store, &slug).await?;
            let claim = domains::claim(store, &ws, &domain, &Actor::Cli, None).await?;
            Outcome {
                text: claim_text(&claim),
                json: claim_json(&claim),
            }
        }
        DomainCommand::Verify {
            workspace: slug,
            domain,
            no_dns,
        } => {
            let ws = workspace(store, &slug).await?;
            let claim = if no_dns {
                domains::verify_as_operator(store, &ws, &domain, None).await?
            } else {
                let dns = domains::DnsVerifier::new(settings.dns_server);
                domains::verify_by_dns(store, &dns, &ws, &domain, &Actor::Cli, None).await?
            };
            Outcome {
                text: claim_text(&claim),
                json: claim_json(&claim),
            }
        }
        DomainCommand::List { workspace: slug } => {
            let ws = workspace(store, &slug).await?;
            let claims = store.domain_claims(ws.id).await?;
            Outcome {
                text: claims.iter().map(claim_text).collect::<Vec<_>>().join("\n"),
                json: json!({ "domains": claims.iter().map(claim_json).collect::<Vec<_>>() }),
            }
        }
        DomainCommand::Remove {
            workspace: slug,
            domain,
        } => {
            let ws = workspace(store, &slug).await?;
            domains::remove(store, &ws, &domain, &Actor::Cli, None).await?;
            Outcome {
                text: format!("{domain} removed from {slug}"),
                json: json!({ "removed": true, "domain": domain }),
            }
        }
    })
}
