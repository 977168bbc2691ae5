//! `gatehouse sso connect`: trust a SAML IdP for a workspace.

use anyhow::Context;
use clap::Subcommand;
use serde_json::json;
use std::path::PathBuf;

use super::{commands::workspace, exit::CliError, Outcome};
use crate::{config::Settings, domain::Actor, storage::Store};

#[derive(Debug, Subcommand)]
pub enum SsoCommand {
    /// Trust a SAML IdP for a workspace, from its metadata XML.
    Connect {
        /// Workspace slug.
        #[arg(long)]
        workspace: String,
        /// The IdP's metadata XML file.
        #[arg(long)]
        metadata_file: PathBuf,
        /// Accept logins the IdP starts (not answering an AuthnRequest).
        #[arg(long)]
        allow_idp_initiated: bool,
        /// Accept SHA-1 signatures (legacy IdPs only).
        #[arg(long)]
        allow_sha1: bool,
    },
}

pub async fn run(
    store: &Store,
    settings: &Settings,
    command: SsoCommand,
) -> anyhow::Result<Outcome> {
    Ok(match command {
        SsoCommand::Connect {
            workspace: slug,
            metadata_file,
            allow_idp_initiated,
            allow_sha1,
        } => {
            let workspace = workspace(store, &slug).await?;
            let xml = std::fs::read_to_string(&metadata_file)
                .with_context(|| format!("cannot read {}", metadata_file.display()))?;
            let options = crate::service::sso::ConnectionOptions {
                allow_idp_initiated,
                allow_sha1,
                ..Default::default()
            };
            let outbound =
                crate::net::outbound::Outbound::new(settings.network.outbound_allow.clone());
            let connection = crate::service::sso::connect(
                store,
                &outbound,
                &workspace,
                Some(xml),
                None,
                options,
                &Actor::Cli,
                None,
            )
            .await
            .map_err(|e| match e {
                crate::saml::SamlError::Invalid(m) | crate::saml::SamlError::Rejected(m) => {
                    anyhow::Error::from(CliError::Usage(m))
                }
                other => anyhow::anyhow!(other.to_string()),
            })?;
            let base = &settings.public_url;
            Outcome {
                text: format!(
                    "workspace {slug} trusts {} ({} signing certificate(s)).\n  SP entity id  {}\n  ACS URL       {}\n  Login URL     {base}/saml/{slug}/login",
                    connection.idp_entity_id,
                    connection.certificates.len(),
                    crate::saml::sp_entity_id(base, &slug),
                    crate::saml::acs_url(base, &slug),
                ),
                json: json!({
                    "connection": connection.id,
                    "idp_entity_id": connection.idp_entity_id,
                    "sp_entity_id": crate::saml::sp_entity_id(base, &slug),
                    "acs_url": crate::saml::acs_url(base, &slug),
                    "login_url": format!("{base}/saml/{slug}/login"),
                }),
            }
        }
    })
}
