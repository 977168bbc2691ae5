//! IdP connections from metadata XML or a metadata URL. URLs are fetched with a timeout and a
//! size limit, and re-read periodically (honouring `validUntil` and `cacheDuration`), so a
//! certificate rollover published by the IdP reaches Gatehouse without anyone acting.

use std::time::Duration;

use chrono::Utc;
use futures_util::StreamExt;
use uuid::Uuid;

use super::{metadata, SamlError};
use crate::{
    domain::{
        sso::{AttributeMapping, SsoConnection},
        Actor, Workspace,
    },
    storage::{sso::RefreshedMetadata, Store},
};

/// Time allowed for fetching metadata.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(10);
/// Refresh metadata at least this often (unless the metadata asks for sooner).
const DEFAULT_REFRESH: chrono::Duration = chrono::Duration::hours(1);
/// …and not more often than this.
const MIN_REFRESH: chrono::Duration = chrono::Duration::minutes(5);

/// Options of a connection besides its metadata.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ConnectionOptions {
    pub allow_idp_initiated: bool,
    pub allow_sha1: bool,
    pub attribute_mapping: AttributeMapping,
}

/// Fetches metadata from `url` (http or https), refusing slow, huge or failed answers.
pub async fn fetch(url: &str) -> Result<String, SamlError> {
    fetch_within(url, FETCH_TIMEOUT).await
}

/// [`fetch`] with another time limit.
pub async fn fetch_within(url: &str, timeout: Duration) -> Result<String, SamlError> {
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return Err(SamlError::Invalid(
            "the metadata URL must be http(s)".into(),
        ));
    }
    let client = reqwest::Client::builder()
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::limited(3))
        .build()
        .map_err(|e| SamlError::Invalid(format!("cannot build an HTTP client: {e}")))?;
    let response = client
        .get(url)
        .send()
        .await
        .map_err(|e| SamlError::Invalid(format!("cannot fetch {url}: {}", short(&e))))?;
    if !response.status().is_success() {
        return Err(SamlError::Invalid(format!(
            "{url} answered {}",
            response.status()
        )));
    }
    let mut body = Vec::new();
    let mut stream = response.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk =
            chunk.map_err(|e| SamlError::Invalid(format!("cannot read {url}: {}", short(&e))))?;
        if body.len() + chunk.len() > metadata::MAX_METADATA_BYTES {
            return Err(SamlError::Invalid(format!(
                "{url} sent more than {} bytes",
                metadata::MAX_METADATA_BYTES
            )));
        }
        body.extend_from_slice(&chunk);
    }
    String::from_utf8(body).map_err(|_| SamlError::Invalid(format!("{url} did not send UTF-8 XML")))
}

fn short(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "timed out".into()
    } else if e.is_connect() {
        "connection failed".into()
    } else {
        e.to_string()
    }
}

/// Creates (or replaces) a workspace's connection from metadata XML, or from a URL.
pub async fn connect(
    store: &Store,
    workspace: &Workspace,
    metadata_xml: Option<String>,
    metadata_url: Option<String>,
    options: ConnectionOptions,
    actor: &Actor,
    request_id: Option<&str>,
) -> Result<SsoConnection, SamlError> {
    let xml = match (metadata_xml, &metadata_url) {
        (Some(xml), None) => xml,
        (None, Some(url)) => fetch(url).await?,
        _ => {
            return Err(SamlError::Invalid(
                "give exactly one of metadata_xml and metadata_url".into(),
            ))
        }
    };
    let parsed = metadata::parse(&xml)?;
    let now = Utc::now();
    let connection = SsoConnection {
        id: Uuid::now_v7(),
        workspace_id: workspace.id,
        idp_entity_id: parsed.entity_id,
        sso_url: parsed.sso_url,
        certificates: parsed.certificates,
        metadata_xml: xml,
        refreshed_at: metadata_url.as_ref().map(|_| now),
        metadata_url,
        metadata_valid_until: parsed.valid_until,
        refresh_error: None,
        allow_idp_initiated: options.allow_idp_initiated,
        allow_sha1: options.allow_sha1,
        attribute_mapping: options.attribute_mapping,
        created_at: now,
        updated_at: now,
    };
    Ok(store
        .save_sso_connection(&connection, actor, request_id)
        .await?)
}

/// Whether a URL-backed connection is due for a refresh.
fn due(connection: &SsoConnection, cache_seconds: Option<i64>) -> bool {
    let Some(last) = connection.refreshed_at else {
        return true;
    };
    let mut every = cache_seconds
        .map(chrono::Duration::seconds)
        .unwrap_or(DEFAULT_REFRESH)
        .max(MIN_REFRESH);
    if let Some(valid_until) = connection.metadata_valid_until {
        // Re-read before the metadata stops being valid.
        every = every.min((valid_until - last) / 2).max(MIN_REFRESH);
    }
    Utc::now() - last >= every
}

/// Refreshes one URL-backed connection now; keeps the old metadata when the new one is bad.
pub async fn refresh_one(store: &Store, connection: &SsoConnection) -> Result<(), SamlError> {
    let Some(url) = &connection.metadata_url else {
        return Ok(());
    };
    let outcome = async {
        let xml = fetch(url).await?;
        let parsed = metadata::parse(&xml)?;
        if parsed.entity_id != connection.idp_entity_id {
            return Err(SamlError::Invalid(format!(
                "the metadata now names entity {}, not {}",
                parsed.entity_id, connection.idp_entity_id
            )));
        }
        Ok((xml, parsed))
    }
    .await;
    match outcome {
        Ok((xml, parsed)) => {
            store
                .record_sso_refresh(
                    connection.id,
                    Ok(RefreshedMetadata {
                        certificates: &parsed.certificates,
                        sso_url: &parsed.sso_url,
                        xml: &xml,
                        valid_until: parsed.valid_until,
                    }),
                )
                .await?;
            Ok(())
        }
        Err(err) => {
            tracing::warn!(sso.idp = %connection.idp_entity_id, error = %err, "metadata refresh failed; keeping the previous metadata");
            store
                .record_sso_refresh(connection.id, Err(&err.to_string()))
                .await?;
            Err(err)
        }
    }
}

/// Refreshes every connection that is due.
pub async fn refresh_due(store: &Store) -> Result<usize, SamlError> {
    let mut refreshed = 0;
    for connection in store.sso_connections_with_url().await? {
        let cache = metadata::parse(&connection.metadata_xml)
            .ok()
            .and_then(|m| m.cache_seconds);
        if due(&connection, cache) && refresh_one(store, &connection).await.is_ok() {
            refreshed += 1;
        }
    }
    Ok(refreshed)
}

/// Refreshes due connections every minute until the process ends.
pub fn spawn_refresher(store: Store) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(Duration::from_secs(60));
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            if let Err(err) = refresh_due(&store).await {
                tracing::warn!(error = %err, "metadata refresh round failed");
            }
        }
    })
}
