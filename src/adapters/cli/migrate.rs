//! `gatehouse migrate`: the schema is brought up to date before any command runs (see
//! `commands::run`); this reports where it stands.

use serde_json::json;

use super::Outcome;
use crate::storage::Store;

pub async fn run(store: &Store) -> anyhow::Result<Outcome> {
    let status = store.schema_status().await?;
    let newer = if status.unknown.is_empty() {
        String::new()
    } else {
        format!(
            " (it also has migrations of a newer release: {:?})",
            status.unknown
        )
    };
    Ok(Outcome {
        text: format!(
            "{} database is up to date: schema version {}{newer}",
            store.backend_name(),
            status.version.unwrap_or(0)
        ),
        json: json!({"migrated": true, "backend": store.backend_name(),
                     "schema_version": status.version,
                     "binary_schema_version": status.binary_version,
                     "unknown_migrations": status.unknown}),
    })
}
