//! `gatehouse token create|list|revoke|rotate`.

use clap::Subcommand;
use secrecy::ExposeSecret;
use serde_json::json;
use uuid::Uuid;

use super::{commands::or_none, values::TokenKindArg, Outcome};
use crate::{
    domain::{Actor, TokenKind},
    storage::Store,
};

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Issue a token; its secret is printed once and never stored.
    Create {
        /// Workspace slug.
        #[arg(long)]
        workspace: String,
        /// What the token is for.
        #[arg(long, value_enum)]
        kind: TokenKindArg,
    },
    /// List tokens (never their secrets).
    List {
        /// Only this workspace's tokens.
        #[arg(long)]
        workspace: Option<String>,
    },
    /// Revoke a token by id.
    Revoke { id: Uuid },
    /// Issue a new token of the same workspace and kind; the old one keeps working for the
    /// overlap, then expires.
    Rotate {
        id: Uuid,
        /// Hours the old token keeps working (0: it stops at once; at most 8760).
        #[arg(long, default_value_t = 24, value_parser = clap::value_parser!(u32).range(0..=8760))]
        overlap_hours: u32,
    },
}

pub async fn run(store: &Store, command: TokenCommand) -> anyhow::Result<Outcome> {
    Ok(match command {
        TokenCommand::Create { workspace, kind } => {
            let kind = TokenKind::from(kind);
            let issued = store
                .create_token(&workspace, kind, &Actor::Cli, None)
                .await?;
            let secret = issued.secret.expose_secret().to_string();
            Outcome {
                text: format!(
                    "{} token {} for workspace {}:\n{secret}\n(shown once: store it now)",
                    kind, issued.token.id, workspace
                ),
                json: json!({ "token": secret, "id": issued.token.id, "kind": kind,
                              "workspace": workspace }),
            }
        }
        TokenCommand::List { workspace } => {
            let tokens = store.list_tokens(workspace.as_deref()).await?;
            let text = tokens
                .iter()
                .map(|t| {
                    let state = match (t.revoked_at, t.expires_at) {
                        (Some(_), _) => "revoked".to_string(),
                        (None, Some(at)) if at <= chrono::Utc::now() => "expired".to_string(),
                        (None, Some(at)) => format!("expires {}", at.to_rfc3339()),
                        (None, None) => "active".to_string(),
                    };
                    format!(
                        "{}\t{}\t{}\t{}…\t{state}",
                        t.id, t.workspace_slug, t.kind, t.prefix
                    )
                })
                .collect::<Vec<_>>()
                .join("\n");
            Outcome {
                json: json!({ "tokens": tokens }),
                text: or_none(text, "no tokens"),
            }
        }
        TokenCommand::Revoke { id } => {
            let token = store.revoke_token(id, &Actor::Cli, None).await?;
            Outcome {
                text: format!("token {} revoked", token.id),
                json: json!({ "revoked": true, "token": token }),
            }
        }
        TokenCommand::Rotate { id, overlap_hours } => {
            let overlap = chrono::Duration::hours(i64::from(overlap_hours));
            let rotated = store.rotate_token(id, overlap, &Actor::Cli, None).await?;
            let new = &rotated.issued.token;
            let secret = rotated.issued.secret.expose_secret().to_string();
            let old_expires_at = rotated.old.expires_at;
            let old_state = match old_expires_at {
                Some(at) if at > chrono::Utc::now() => {
                    format!("the old token works until {}", at.to_rfc3339())
                }
                _ => "the old token no longer works".to_string(),
            };
            Outcome {
                text: format!(
                    "{} token {} for workspace {} replaces {id}:\n{secret}\n(shown once: store it now)\n{old_state}",
                    new.kind, new.id, new.workspace_slug
                ),
                json: json!({ "token": secret, "id": new.id, "kind": new.kind,
                              "workspace": new.workspace_slug, "replaces": id,
                              "old_expires_at": old_expires_at }),
            }
        }
    })
}
