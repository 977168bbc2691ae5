//! What each CLI command does.

use anyhow::Context;
use secrecy::ExposeSecret;
use serde_json::json;

use super::{Command, Outcome, TokenCommand, WorkspaceCommand, WorkspaceCreate};
use crate::{
    access::Product,
    config::Settings,
    domain::{Actor, NewWorkspace, TokenKind, Workspace},
    http::Application,
    storage::Store,
    telemetry,
};

/// Runs one command; `None` when the command already printed its output (`serve`).
pub async fn run(
    command: Command,
    settings: Settings,
    json: bool,
) -> anyhow::Result<Option<Outcome>> {
    let quiet = !matches!(command, Command::Serve);
    telemetry::init(settings.log_format, if quiet { "warn" } else { "info" });
    let store = Store::connect(&settings.database_url, settings.database_max_connections)
        .await
        .with_context(|| {
            format!(
                "cannot open the database {}",
                redact(&settings.database_url)
            )
        })?;
    store
        .migrate()
        .await
        .context("cannot migrate the database")?;
    let outcome = match command {
        Command::Serve => {
            serve(settings, store, json).await?;
            return Ok(None);
        }
        Command::Migrate => Outcome {
            json: json!({"migrated": true, "backend": store.backend_name()}),
            text: format!("{} database is up to date", store.backend_name()),
        },
        Command::Workspace(WorkspaceCommand::Create(args)) => {
            create_workspace(&store, args).await?
        }
        Command::Workspace(WorkspaceCommand::List) => {
            let workspaces = store.list_workspaces().await?;
            let text = workspaces
                .iter()
                .map(|w| format!("{}\t{}\t{}", w.slug, w.name, products_text(&w.products)))
                .collect::<Vec<_>>()
                .join("\n");
            Outcome {
                json: json!({ "workspaces": workspaces }),
                text: if text.is_empty() {
                    "no workspaces".into()
                } else {
                    text
                },
            }
        }
        Command::Token(TokenCommand::Create { workspace, kind }) => {
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
        Command::Token(TokenCommand::List { workspace }) => {
            let tokens = store.list_tokens(workspace.as_deref()).await?;
            let text = tokens
                .iter()
                .map(|t| {
                    let state = if t.revoked_at.is_some() {
                        "revoked"
                    } else {
                        "active"
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
                text: if text.is_empty() {
                    "no tokens".into()
                } else {
                    text
                },
            }
        }
        Command::Token(TokenCommand::Revoke { id }) => {
            let token = store.revoke_token(id, &Actor::Cli, None).await?;
            Outcome {
                text: format!("token {} revoked", token.id),
                json: json!({ "revoked": true, "token": token }),
            }
        }
        Command::Demo => demo(&store, &settings).await?,
    };
    store.close().await;
    Ok(Some(outcome))
}

/// Serves until stopped; with `--json` its one JSON object is the start-up line.
async fn serve(settings: Settings, store: Store, json: bool) -> anyhow::Result<()> {
    let app = Application::build(settings.clone(), store.clone())
        .with_context(|| format!("cannot listen on {}", settings.bind))?;
    let started = json!({
        "listening": format!("{}:{}", settings.bind.ip(), app.port()),
        "public_url": settings.public_url,
        "health_url": format!("{}/healthz", settings.public_url),
        "backend": store.backend_name(),
    });
    if json {
        println!("{started}");
    }
    tracing::info!(
        listening = %settings.bind.ip(), port = app.port(), backend = store.backend_name(),
        public_url = %settings.public_url, "gatehouse is serving"
    );
    app.run_until_stopped().await.context("server failed")?;
    store.close().await;
    tracing::info!("gatehouse stopped");
    Ok(())
}

async fn create_workspace(store: &Store, args: WorkspaceCreate) -> anyhow::Result<Outcome> {
    let workspace = store
        .create_workspace(
            NewWorkspace {
                slug: args.slug,
                name: args.name,
                products: args.products.unwrap_or_else(|| Product::ALL.to_vec()),
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

async fn demo(store: &Store, settings: &Settings) -> anyhow::Result<Outcome> {
    let workspace: Workspace = match store.workspace_by_slug("demo").await? {
        Some(w) => w,
        None => {
            store
                .create_workspace(
                    NewWorkspace {
                        slug: "demo".into(),
                        name: "Demo workspace".into(),
                        products: Product::ALL.to_vec(),
                        domains: vec!["example.com".into()],
                    },
                    &Actor::Cli,
                    None,
                )
                .await?
        }
    };
    let scim = store
        .create_token(&workspace.slug, TokenKind::Scim, &Actor::Cli, None)
        .await?;
    let service = store
        .create_token(&workspace.slug, TokenKind::Service, &Actor::Cli, None)
        .await?;
    let base = &settings.public_url;
    let scim_base_url = format!("{base}/scim/v2");
    let health_url = format!("{base}/healthz");
    let scim_token = scim.secret.expose_secret().to_string();
    let service_token = service.secret.expose_secret().to_string();
    Ok(Outcome {
        text: format!(
            "Demo workspace {slug:?} is ready (database: {db}).\n\
             \n  SCIM base URL   {scim_base_url}\n  SCIM token      {scim_token}\n\
             \n  Service token   {service_token}\n  Health          {health_url}\n\
             \nPaste the SCIM base URL and token into Okta or Entra ID provisioning.\n\
             The tokens are shown once; run `gatehouse demo` again for new ones.",
            slug = workspace.slug,
            db = redact(&settings.database_url),
        ),
        json: json!({
            "workspace": workspace.slug,
            "scim_base_url": scim_base_url,
            "scim_token": scim_token,
            "service_token": service_token,
            "health_url": health_url,
        }),
    })
}

fn products_text(products: &[Product]) -> String {
    products
        .iter()
        .map(|p| p.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

/// A database URL without its password, for messages.
fn redact(url: &str) -> String {
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
