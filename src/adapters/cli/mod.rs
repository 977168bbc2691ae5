//! The `gatehouse` command line. Command and flag names are a public contract: scripts and
//! other teams call them. With the global `--json` flag every command prints exactly one
//! JSON object on stdout (errors too: `{"error": {"message", "class", "exit_code"}}`); logs
//! go to stderr. Failures exit with the code of their class (`exit.rs`, listed in the README).

mod check;
pub mod commands;
mod demo;
mod domain;
mod exit;
mod legacy;
mod member;
mod migrate;
mod password;
mod progress;
mod rules;
mod sso;
mod token;
mod values;
mod workspace;

use std::{path::PathBuf, process::ExitCode};

use clap::{Args, Parser, Subcommand};

pub use check::CheckArgs;
pub use domain::DomainCommand;
pub use exit::{CliError, ExitClass};
pub use legacy::LegacyCommand;
pub use member::MemberCommand;
pub use password::PasswordCommand;
pub use rules::RulesCommand;
pub use sso::SsoCommand;
pub use token::TokenCommand;
pub use workspace::{WorkspaceCommand, WorkspaceCreate};

use crate::config::Settings;

/// Gatehouse: who may do what, in step with your identity provider.
#[derive(Debug, Parser)]
#[command(name = "gatehouse", version, about, propagate_version = true)]
pub struct Cli {
    /// Print exactly one JSON object on stdout.
    #[arg(long, global = true)]
    pub json: bool,
    /// TOML settings file (environment variables GATEHOUSE_* override it).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Apply migrations (unless --no-migrate), then serve HTTP until SIGTERM/SIGINT.
    Serve(ServeArgs),
    /// Apply pending database migrations and exit (the only other command that changes the
    /// schema).
    Migrate,
    /// Manage workspaces.
    #[command(subcommand)]
    Workspace(WorkspaceCommand),
    /// Manage API tokens (SCIM and service).
    #[command(subcommand)]
    Token(TokenCommand),
    /// Create a demo workspace (if absent) with fresh SCIM and service tokens.
    Demo,
    /// Migrate legacy role assignments.
    #[command(subcommand)]
    Legacy(LegacyCommand),
    /// Decide one access question and explain the answer.
    Check(CheckArgs),
    /// Single sign-on connections.
    #[command(subcommand)]
    Sso(SsoCommand),
    /// Account passwords (for email/password sign-in).
    #[command(subcommand)]
    Password(PasswordCommand),
    /// Group mapping rules (a matching group gets a role).
    #[command(subcommand)]
    Rules(RulesCommand),
    /// Email domains of a workspace (a verified one makes it the authority for its people).
    #[command(subcommand)]
    Domain(DomainCommand),
    /// Members of a workspace and their grants.
    #[command(subcommand)]
    Member(MemberCommand),
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Serve on the schema as it is: refuse to start when it is behind this binary (another
    /// job runs `gatehouse migrate`).
    #[arg(long)]
    pub no_migrate: bool,
}

/// What a command produced: one JSON object and its human rendering.
pub struct Outcome {
    pub json: serde_json::Value,
    pub text: String,
}

/// Entry point of the binary (`serve` is the application's, handed in by `crate::app`).
pub fn main(serve: commands::Serve) -> ExitCode {
    let wants_json = std::env::args_os().any(|a| a == "--json");
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // --help and --version print to stdout and exit 0; usage errors exit 2.
        Err(err) if !err.use_stderr() || !wants_json => err.exit(),
        Err(err) => {
            let message = err.kind().to_string();
            let detail = err.to_string();
            let first = detail
                .lines()
                .find(|l| !l.trim().is_empty())
                .unwrap_or(&message)
                .trim_start_matches("error: ");
            return fail(true, first, ExitClass::Usage);
        }
    };
    let json = cli.json;
    let settings = match Settings::load(cli.config.as_deref()) {
        Ok(settings) => settings,
        Err(err) => return fail(json, &err.to_string(), ExitClass::Usage),
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(err) => {
            return fail(
                json,
                &format!("cannot start the runtime: {err}"),
                ExitClass::Failure,
            )
        }
    };
    match runtime.block_on(commands::run(cli.command, settings, json, serve)) {
        Ok(None) => ExitCode::SUCCESS,
        Ok(Some(outcome)) => {
            if json {
                println!("{}", outcome.json);
            } else {
                println!("{}", outcome.text.trim_end());
            }
            ExitCode::SUCCESS
        }
        Err(err) => fail(json, &format!("{err:#}"), exit::classify(&err)),
    }
}

fn fail(json: bool, message: &str, class: ExitClass) -> ExitCode {
    let one_line = message.replace('\n', " ");
    if json {
        println!(
            "{}",
            serde_json::json!({"error": {"message": one_line, "class": class.name(),
                                         "exit_code": class.code()}})
        );
    }
    eprintln!("gatehouse: {one_line}");
    class.into()
}

#[cfg(test)]
mod tests;
