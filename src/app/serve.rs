//! The `serve` command: the one part of the command line that needs the whole application.
//! The CLI adapter gets it handed in ([`crate::adapters::cli::commands::Serve`]), so it
//! imports no other adapter.

use anyhow::Context;
use serde_json::json;

use super::Application;
use crate::{config::Settings, service::AccessService, storage::Store};

/// The binary's entry point: the command line, with this application's `serve`.
pub fn main() -> std::process::ExitCode {
    crate::adapters::cli::main(|settings, store, json| Box::pin(serve(settings, store, json)))
}

/// `gatehouse serve`: applies the rules file, serves until SIGTERM or SIGINT; with `--json`
/// its one JSON object is the start-up line.
async fn serve(settings: Settings, store: Store, json: bool) -> anyhow::Result<()> {
    if let Some(path) = &settings.mapping_rules_file {
        let access = AccessService::new(store.clone());
        let applied = crate::service::rules::apply_file(&access, path)
            .await
            .with_context(|| format!("cannot apply the mapping rules file {}", path.display()))?;
        tracing::info!(file = %path.display(), workspaces = applied.len(), "mapping rules file applied");
    }
    let signals =
        super::ShutdownSignals::listen().context("cannot listen for SIGTERM and SIGINT")?;
    let app = Application::build(settings.clone(), store.clone())
        .with_context(|| format!("cannot listen on {}", settings.bind))?;
    let started = json!({
        "listening": format!("{}:{}", settings.bind.ip(), app.port()),
        "public_url": settings.public_url,
        "health_url": format!("{}/healthz", settings.public_url),
        "backend": store.backend_name(),
        "schema_version": store.schema_version().await?,
    });
    if json {
        println!("{started}");
    }
    tracing::info!(
        listening = %settings.bind.ip(), port = app.port(), backend = store.backend_name(),
        public_url = %settings.public_url, "gatehouse is serving"
    );
    app.run_until_signalled(
        signals,
        std::time::Duration::from_secs(settings.drain_seconds),
    )
    .await
    .context("server failed")?;
    store.close().await;
    tracing::info!("gatehouse stopped");
    Ok(())
}
