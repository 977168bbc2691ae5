//! IdP connections from metadata XML or a metadata URL. URLs are fetched through the outbound
//! guard (https only, public addresses only unless the operator allows more, no redirects)
//! with a timeout and a size limit, and re-read periodically (honouring `validUntil` and
//! `cacheDuration`), each connection on its own, so a certificate rollover published by the
//! IdP reaches Gatehouse without anyone acting — and is audited when it happens.

use std::time::Duration;

use chrono::Utc;
use futures_util::StreamExt;
use uuid::Uuid;

use crate::{
    domain::{
        sso::{AttributeMapping, SsoConnection},
        Actor, Workspace,
    },
    net::outbound::{Outbound, OutboundError, Purpose},
    saml::{metadata, SamlError},
    service::keyed_tasks::KeyedTasks,
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

/// Fetches metadata from `url` through the outbound guard, refusing slow, huge or failed
/// answers. Errors are generic (see [`OutboundError::public_message`]): what went wrong, and
/// what the URL answered, goes to the log only.
pub async fn fetch(outbound: &Outbound, url: &str) -> Result<String, SamlError> {
    fetch_within(outbound, url, FETCH_TIMEOUT).await
}

/// [`fetch`] with another time limit.
pub async fn fetch_within(
    outbound: &Outbound,
    url: &str,
    timeout: Duration,
) -> Result<String, SamlError> {
    read(outbound, url, timeout).await.map_err(|err| {
        tracing::warn!(sso.metadata_url = %url, error = %err.detail, "metadata URL refused or unreadable");
        SamlError::Invalid(err.public_message(Purpose::Metadata))
    })
}

async fn read(outbound: &Outbound, url: &str, timeout: Duration) -> Result<String, OutboundError> {
    let request = outbound.request(reqwest::Method::GET, url, Purpose::Metadata, timeout)?;
    let response = outbound.send(request).await?;
    let mut body = Vec::new();
    let mut stream = response.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk =
            chunk.map_err(|e| OutboundError::failed(format!("cannot read the body: {e}")))?;
        if body.len() + chunk.len() > metadata::MAX_METADATA_BYTES {
            return Err(OutboundError::failed(format!(
                "sent more than {} bytes",
                metadata::MAX_METADATA_BYTES
            )));
        }
        body.extend_from_slice(&chunk);
    }
    String::from_utf8(body).map_err(|_| OutboundError::failed("the body is not UTF-8"))
}

/// Parses fetched metadata. The document came from somewhere a tenant pointed us at, so a
/// failure says only that it is not usable metadata: never what it contains.
fn parse_fetched(url: &str, xml: &str) -> Result<metadata::IdpMetadata, SamlError> {
    metadata::parse(xml).map_err(|err| {
        tracing::warn!(sso.metadata_url = %url, error = %err, "the metadata URL did not answer usable SAML metadata");
        SamlError::Invalid(OutboundError::failed("").public_message(Purpose::Metadata))
    })
}

/// Creates (or replaces) a workspace's connection from metadata XML, or from a URL.
#[allow(clippy::too_many_arguments)]
pub async fn connect(
    store: &Store,
    outbound: &Outbound,
    workspace: &Workspace,
    metadata_xml: Option<String>,
    metadata_url: Option<String>,
    options: ConnectionOptions,
    actor: &Actor,
    request_id: Option<&str>,
) -> Result<SsoConnection, SamlError> {
    let (xml, parsed) = match (metadata_xml, &metadata_url) {
        (Some(xml), None) => {
            let parsed = metadata::parse(&xml)?;
            (xml, parsed)
        }
        (None, Some(url)) => {
            let xml = fetch(outbound, url).await?;
            let parsed = parse_fetched(url, &xml)?;
            (xml, parsed)
        }
        _ => {
            return Err(SamlError::Invalid(
                "give exactly one of metadata_xml and metadata_url".into(),
            ))
        }
    };
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
        certificates_changed_at: None,
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
/// A refresh that changes the signing certificates is logged, audited and shown on the
/// connection (`certificates_changed_at`).
pub async fn refresh_one(
    store: &Store,
    outbound: &Outbound,
    connection: &SsoConnection,
) -> Result<(), SamlError> {
    let Some(url) = &connection.metadata_url else {
        return Ok(());
    };
    let outcome = async {
        let xml = fetch(outbound, url).await?;
        let parsed = parse_fetched(url, &xml)?;
        if parsed.entity_id != connection.idp_entity_id {
            tracing::warn!(sso.idp = %connection.idp_entity_id, sso.new_entity = %parsed.entity_id, "refreshed metadata names another entity");
            return Err(SamlError::Invalid(
                "the metadata URL now describes a different IdP entity; the connection keeps its metadata".into(),
            ));
        }
        Ok((xml, parsed))
    }
    .await;
    match outcome {
        Ok((xml, parsed)) => {
            let old: std::collections::BTreeSet<&str> = connection
                .certificates
                .iter()
                .map(|c| c.der.as_str())
                .collect();
            let new: std::collections::BTreeSet<&str> =
                parsed.certificates.iter().map(|c| c.der.as_str()).collect();
            if old != new {
                tracing::warn!(
                    sso.idp = %connection.idp_entity_id, sso.connection = %connection.id,
                    before = old.len(), after = new.len(),
                    "metadata refresh changed the signing certificates"
                );
            }
            store
                .record_sso_refresh(
                    connection,
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
                .record_sso_refresh(connection, Err(&err.to_string()))
                .await?;
            Err(err)
        }
    }
}

/// At most this many metadata refreshes run at once.
const PARALLEL_REFRESHES: usize = 8;

/// Refreshes every connection that is due, each in its own task: a slow or hanging IdP
/// delays only its own connection. A connection whose previous refresh is still running is
/// skipped. Answers how many refreshes were started.
pub async fn refresh_due(
    store: &Store,
    outbound: &Outbound,
    running: &mut KeyedTasks<Uuid>,
) -> Result<usize, SamlError> {
    running.reap();
    let permits = std::sync::Arc::new(tokio::sync::Semaphore::new(PARALLEL_REFRESHES));
    let mut started = 0;
    for connection in store.sso_connections_with_url().await? {
        if running.is_running(&connection.id) {
            continue;
        }
        let cache = metadata::parse(&connection.metadata_xml)
            .ok()
            .and_then(|m| m.cache_seconds);
        if !due(&connection, cache) {
            continue;
        }
        let (store, outbound, permits) = (store.clone(), outbound.clone(), permits.clone());
        let id = connection.id;
        running.start(id, async move {
            let Ok(_permit) = permits.acquire().await else {
                return;
            };
            // The outcome is recorded on the connection (and logged) by refresh_one.
            let _ = refresh_one(&store, &outbound, &connection).await;
        });
        started += 1;
    }
    Ok(started)
}

/// Refreshes due connections every minute until the process ends.
pub fn spawn_refresher(store: Store, outbound: Outbound) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(Duration::from_secs(60));
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut running = KeyedTasks::default();
        loop {
            ticker.tick().await;
            if let Err(err) = refresh_due(&store, &outbound, &mut running).await {
                tracing::warn!(error = %err, "metadata refresh round failed");
            }
        }
    })
}

// A sign-in or connection step that fails in storage or a use case is, to the SAML
// endpoints, "unavailable": the cause is logged, never shown.
impl From<crate::storage::StoreError> for SamlError {
    fn from(err: crate::storage::StoreError) -> Self {
        SamlError::Storage(err.to_string())
    }
}

impl From<super::ServiceError> for SamlError {
    fn from(err: super::ServiceError) -> Self {
        SamlError::Storage(err.to_string())
    }
}

/// Days before a signing certificate expires at which owners are told, most distant first.
pub const CERTIFICATE_THRESHOLDS: [i64; 3] = [30, 7, 1];

/// Announces, in each workspace's change feed (and so to its webhooks), the SSO signing
/// certificates that crossed an expiry threshold since the last look: one notice per
/// certificate and look, naming the nearest threshold crossed, and never the same threshold
/// twice (a certificate first seen 5 days out gets the 7-day notice, then the 1-day one).
/// Answers how many notices went out.
pub async fn announce_expiring_certificates(
    store: &Store,
    now: chrono::DateTime<Utc>,
) -> Result<usize, crate::storage::StoreError> {
    use crate::access::Change;
    use crate::storage::{AuditedChange, ChangeContext, SideWrite, StoreError};

    let mut announced = 0;
    for connection in store.all_sso_connections().await? {
        for cert in &connection.certificates {
            let days_left = (cert.not_after - now).num_days();
            let crossed: Vec<i64> = CERTIFICATE_THRESHOLDS
                .into_iter()
                .filter(|t| days_left < *t)
                .collect();
            if crossed.is_empty() {
                continue;
            }
            let done = store
                .certificate_warnings(connection.id, cert.not_after)
                .await?;
            let new: Vec<i64> = crossed.into_iter().filter(|t| !done.contains(t)).collect();
            let Some(nearest) = new.iter().min().copied() else {
                continue;
            };
            let notice = AuditedChange {
                change: Change::CertificateExpiring {
                    connection_id: connection.id,
                    idp_entity_id: connection.idp_entity_id.clone(),
                    not_after: cert.not_after.to_rfc3339(),
                    days_left,
                    threshold_days: nearest,
                },
                before: None,
            };
            let claims: Vec<SideWrite> = new
                .iter()
                .map(|t| SideWrite::CertificateWarned {
                    connection_id: connection.id,
                    not_after: cert.not_after,
                    threshold_days: *t,
                })
                .collect();
            let ctx = ChangeContext {
                actor: crate::domain::Actor::System,
                request_id: None,
                provenance: "certificate_watch",
            };
            match store
                .commit_changes_with(connection.workspace_id, &[notice], &ctx, &claims)
                .await
            {
                Ok(_) => {
                    announced += 1;
                    tracing::warn!(sso.connection = %connection.id, days_left, threshold = nearest,
                        "an SSO signing certificate expires soon");
                }
                // Another instance announced it between the read and the write.
                Err(StoreError::Duplicate(_)) => {}
                Err(err) => return Err(err),
            }
        }
    }
    Ok(announced)
}

/// Looks for expiring certificates every hour until the process ends.
pub fn spawn_certificate_watch(store: Store) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(Duration::from_secs(3600));
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            if let Err(err) = announce_expiring_certificates(&store, Utc::now()).await {
                tracing::warn!(error = %err, "certificate watch failed");
            }
        }
    })
}
