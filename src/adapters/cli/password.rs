//! `gatehouse password set`: an account's password, for email/password sign-in.

use anyhow::Context;
use clap::Subcommand;
use serde_json::json;

use super::{exit::CliError, Outcome};
use crate::{config::Settings, storage::Store};

#[derive(Debug, Subcommand)]
pub enum PasswordCommand {
    /// Set an account's password, read from standard input (one line).
    Set {
        /// The account's email.
        #[arg(long)]
        email: String,
    },
}

pub async fn run(
    store: &Store,
    settings: &Settings,
    command: PasswordCommand,
) -> anyhow::Result<Outcome> {
    Ok(match command {
        PasswordCommand::Set { email } => {
            let mut line = String::new();
            std::io::stdin()
                .read_line(&mut line)
                .context("cannot read the password from standard input")?;
            let password =
                secrecy::SecretString::from(line.trim_end_matches(['\r', '\n']).to_string());
            let (account_id, _) = store
                .account_password(&email)
                .await?
                .ok_or_else(|| CliError::NotFound(format!("an account with the email {email}")))?;
            let hash = crate::service::passwords::hash(&settings.sign_in, &password)
                .map_err(CliError::Usage)?;
            store.set_password_hash(account_id, &hash).await?;
            // Whoever held the old password is signed out everywhere.
            let ended = store.revoke_account_sessions(account_id).await?;
            Outcome {
                text: format!("password set for {email} ({ended} sessions ended)"),
                json: json!({ "password_set": true, "email": email, "sessions_ended": ended }),
            }
        }
    })
}
