//! The `gatehouse` command line. Command and flag names are a public contract: scripts and
//! other teams call them. With the global `--json` flag every command prints exactly one
//! JSON object on stdout (errors too: `{"error": {"message": …}}`); logs go to stderr.

mod commands;

use std::{path::PathBuf, process::ExitCode};

use clap::{Args, Parser, Subcommand};
use uuid::Uuid;

use crate::{access::Product, config::Settings, domain::TokenKind};

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
    /// Apply migrations, then serve HTTP until SIGTERM/SIGINT.
    Serve,
    /// Apply pending database migrations and exit.
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
        /// display_name_equals, display_name_prefix, display_name_regex or external_id_equals.
        #[arg(long = "match")]
        match_kind: String,
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
    #[arg(long, value_delimiter = ',', value_parser = parse_product)]
    pub products: Option<Vec<Product>>,
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
        /// `scim` (for Okta/Entra) or `service` (for the admin and access APIs).
        #[arg(long, value_parser = parse_token_kind)]
        kind: TokenKind,
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

fn parse_product(s: &str) -> Result<Product, String> {
    s.trim().parse::<Product>().map_err(|e| e.to_string())
}

fn parse_token_kind(s: &str) -> Result<TokenKind, String> {
    s.parse()
}

/// What a command produced: one JSON object and its human rendering.
pub struct Outcome {
    pub json: serde_json::Value,
    pub text: String,
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let json = cli.json;
    let settings = match Settings::load(cli.config.as_deref()) {
        Ok(settings) => settings,
        Err(err) => return fail(json, &err.to_string(), ExitCode::from(2)),
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(err) => return fail(json, &format!("cannot start the runtime: {err}"), 1.into()),
    };
    match runtime.block_on(commands::run(cli.command, settings, json)) {
        Ok(None) => ExitCode::SUCCESS,
        Ok(Some(outcome)) => {
            if json {
                println!("{}", outcome.json);
            } else {
                println!("{}", outcome.text.trim_end());
            }
            ExitCode::SUCCESS
        }
        Err(err) => fail(json, &format!("{err:#}"), 1.into()),
    }
}

fn fail(json: bool, message: &str, code: ExitCode) -> ExitCode {
    let one_line = message.replace('\n', " ");
    if json {
        println!("{}", serde_json::json!({"error": {"message": one_line}}));
    }
    eprintln!("gatehouse: {one_line}");
    code
}
