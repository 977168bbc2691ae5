//! What every CLI command shares, and the dispatch: `run` opens the database, applies the
//! schema rule (only `migrate` and `serve` migrate; every other command refuses a schema that
//! is behind) and hands the command to its module (`workspace.rs`, `token.rs`, `member.rs`,
//! ...). The helpers those modules share (the workspace by slug, the CLI's change context,
//! list text) are here too.

use anyhow::Context;

use super::{
    check, demo, domain, exit::CliError, legacy, member, migrate, password, rules, sso, token,
    Command, Outcome,
};
use crate::{
    config::Settings,
    domain::{Actor, Workspace},
    storage::{ChangeContext, Store},
    telemetry,
};

/// Runs the server (the application's assembly hands it in: the CLI knows no other
/// adapter); with `--json` its one JSON object is the start-up line.
pub type Serve = fn(
    Settings,
    Store,
    bool,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = anyhow::Result<()>>>>;

/// Runs one command; `None` when the command already printed its output (`serve`).
pub async fn run(
    command: Command,
    settings: Settings,
    json: bool,
    serve: Serve,
) -> anyhow::Result<Option<Outcome>> {
    let quiet = !matches!(command, Command::Serve(_));
    telemetry::init(settings.log_format, if quiet { "warn" } else { "info" });
    let migrates = match &command {
        Command::Migrate => true,
        Command::Serve(args) => !args.no_migrate,
        _ => false,
    };
    let store = open(&settings, migrates).await?;
    if migrates {
        crate::service::migrate(&store)
            .await
            .context("cannot migrate the database")?;
    } else {
        require_current_schema(&store).await?;
    }
    let outcome = match command {
        Command::Serve(_) => {
            serve(settings, store, json).await?;
            return Ok(None);
        }
        Command::Migrate => migrate::run(&store).await?,
        Command::Workspace(command) => super::workspace::run(&store, command).await?,
        Command::Token(command) => token::run(&store, command).await?,
        Command::Demo => demo::run(&store, &settings).await?,
        Command::Legacy(command) => legacy::run(&store, command).await?,
        Command::Check(args) => check::run(&store, args).await?,
        Command::Sso(command) => sso::run(&store, &settings, command).await?,
        Command::Password(command) => password::run(&store, &settings, command).await?,
        Command::Rules(command) => rules::run(&store, command).await?,
        Command::Domain(command) => domain::run(&store, &settings, command).await?,
        Command::Member(command) => member::run(&store, command).await?,
    };
    store.close().await;
    Ok(Some(outcome))
}

/// Opens the database. Only a migrating command may create a missing SQLite file; the others
/// say it is missing and leave it so.
async fn open(settings: &Settings, migrates: bool) -> anyhow::Result<Store> {
    let url = &settings.database_url;
    if !migrates {
        if let Some(path) = sqlite_file(url) {
            if !path.exists() {
                return Err(CliError::Unavailable(format!(
                    "the database {} does not exist: run `gatehouse migrate` to create it",
                    redact(url)
                ))
                .into());
            }
        }
    }
    let max = settings.database_max_connections;
    let store = if migrates {
        Store::connect(url, max).await
    } else {
        Store::connect_existing(url, max).await
    };
    store.with_context(|| format!("cannot open the database {}", redact(url)))
}

/// The file of a `sqlite:` URL (`None` for other backends and in-memory databases).
fn sqlite_file(url: &str) -> Option<std::path::PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or(url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    if path.is_empty() || path == ":memory:" {
        return None;
    }
    Some(path.into())
}

/// Refuses to go on (exit code 5) when the schema is behind this binary; a schema ahead of
/// it (a newer release's migrations) is fine.
async fn require_current_schema(store: &Store) -> anyhow::Result<()> {
    let status = store
        .schema_status()
        .await
        .context("cannot read the database schema version")?;
    match status.problem() {
        None => Ok(()),
        Some(problem) => Err(CliError::Unavailable(problem).into()),
    }
}

/// The workspace with this slug, or a not-found (exit code 3).
pub(super) async fn workspace(store: &Store, slug: &str) -> anyhow::Result<Workspace> {
    store
        .workspace_by_slug(slug)
        .await?
        .ok_or_else(|| CliError::NotFound(format!("workspace {slug:?}")).into())
}

/// The change context of a command: the operator (`Actor::Cli`), under `provenance`.
pub(super) fn cli_context(provenance: &'static str) -> ChangeContext {
    ChangeContext {
        actor: Actor::Cli,
        request_id: None,
        provenance,
    }
}

/// A listing's text, or `empty` (e.g. "no tokens") when it lists nothing.
pub(super) fn or_none(text: String, empty: &str) -> String {
    if text.is_empty() {
        empty.into()
    } else {
        text
    }
}

/// A database URL without its password, for messages.
pub(super) fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &url[scheme_end + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_are_redacted_from_database_urls() {
        assert_eq!(
            super::redact("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(
            super::redact("sqlite://gatehouse.db"),
            "sqlite://gatehouse.db"
        );
    }
}
