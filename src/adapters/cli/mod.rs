//! The `gatehouse` command line. Command and flag names are a public contract: scripts and
//! other teams call them. With the global `--json` flag every command prints exactly one
//! JSON object on stdout (errors too: `{"error": {"message", "class", "exit_code"}}`); logs
//! go to stderr. Failures exit with the code of their class (`exit.rs`, listed in the README).

pub mod commands;
mod demo;
mod exit;
mod member;
mod progress;
mod values;

use std::{path::PathBuf, process::ExitCode};

use clap::{Args, Parser, Subcommand};
use uuid::Uuid;

pub use exit::{CliError, ExitClass};
use values::{MatchArg, ProductArg, TokenKindArg};

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
    Member(member::MemberCommand),
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Serve on the schema as it is: refuse to start when it is behind this binary (another
    /// job runs `gatehouse migrate`).
    #[arg(long)]
    pub no_migrate: bool,
}

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

#[derive(Debug, Subcommand)]
pub enum PasswordCommand {
    /// Set an account's password, read from standard input (one line).
    Set {
        /// The account's email.
        #[arg(long)]
        email: String,
    },
}

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

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Workspace slug.
    #[arg(long)]
    pub workspace: String,
    /// Email, membership id or account id.
    #[arg(long)]
    pub user: String,
    /// Action, e.g. source.update.
    #[arg(long)]
    pub action: String,
    /// Resource as TYPE:ID (TYPE alone for create actions).
    #[arg(long)]
    pub resource: String,
}

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
