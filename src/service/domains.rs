//! Verified email domains, the use cases: a workspace claims a domain (and is shown the TXT
//! record to publish), verifies it (Gatehouse looks the record up in DNS), lists and removes
//! them. Only DNS or the operator (`gatehouse domain verify --no-dns`) turn a claim into a
//! verified domain; the tenant API never can.

use std::{net::SocketAddr, time::Duration};

use hickory_resolver::{
    config::{ConnectionConfig, NameServerConfig, ResolverConfig, ResolverOpts},
    net::runtime::TokioRuntimeProvider,
    Resolver,
};

use super::ServiceError;
use crate::{
    domain::{
        domains::{proves, DomainClaim, VerifiedBy},
        workspace::normalise_domain,
        Actor, Workspace,
    },
    storage::Store,
};

/// Looks TXT records up, in the system's resolvers or one configured server. A resolver is
/// built per lookup, so nothing is cached: an owner who just published the record is not
/// told "not found" by an answer remembered from a minute ago. Each workspace may make a
/// few lookups a minute (a tenant makes Gatehouse ask its resolver about names it chooses).
#[derive(Clone)]
pub struct DnsVerifier {
    server: Option<SocketAddr>,
    per_workspace: std::sync::Arc<crate::net::rate_limit::RateLimiter<uuid::Uuid>>,
}

/// DNS lookups one workspace may make per minute.
const LOOKUPS_PER_MINUTE: u32 = 10;

impl DnsVerifier {
    /// `server`: `GATEHOUSE_DNS_SERVER`, or `None` for `/etc/resolv.conf`.
    pub fn new(server: Option<SocketAddr>) -> Self {
        Self {
            server,
            per_workspace: std::sync::Arc::new(crate::net::rate_limit::RateLimiter::per_minute(
                LOOKUPS_PER_MINUTE,
            )),
        }
    }

    /// The TXT strings at `name` (empty when there are none).
    pub async fn txt(&self, name: &str) -> Result<Vec<String>, String> {
        let mut options = ResolverOpts::default();
        options.timeout = Duration::from_secs(3);
        options.attempts = 2;
        options.cache_size = 0;
        let builder = match self.server {
            Some(server) => {
                let mut connections = Vec::new();
                for mut connection in [ConnectionConfig::udp(), ConnectionConfig::tcp()] {
                    connection.port = server.port();
                    connections.push(connection);
                }
                let mut name_server = NameServerConfig::udp_and_tcp(server.ip());
                name_server.connections = connections;
                Resolver::builder_with_config(
                    ResolverConfig::from_name_servers(vec![name_server]),
                    TokioRuntimeProvider::default(),
                )
            }
            None => Resolver::builder_tokio().map_err(|e| format!("no DNS configuration: {e}"))?,
        };
        let resolver = builder
            .with_options(options)
            .build()
            .map_err(|e| format!("DNS resolver: {e}"))?;
        // A fully qualified name: the system's search domains must not be tried.
        match resolver.txt_lookup(format!("{name}.")).await {
            Ok(lookup) => Ok(lookup
                .answers()
                .iter()
                .filter_map(|record| match &record.data {
                    hickory_resolver::proto::rr::RData::TXT(txt) => Some(
                        txt.txt_data
                            .iter()
                            .map(|part| String::from_utf8_lossy(part))
                            .collect::<String>(),
                    ),
                    _ => None,
                })
                .collect()),
            Err(e) if e.is_no_records_found() => Ok(Vec::new()),
            Err(e) => Err(format!("DNS lookup of {name} failed: {e}")),
        }
    }
}

/// Claims a domain for the workspace (unverified until its TXT record is found).
pub async fn claim(
    store: &Store,
    workspace: &Workspace,
    domain: &str,
    actor: &Actor,
    request_id: Option<&str>,
) -> Result<DomainClaim, ServiceError> {
    let domain = normalise_domain(domain).map_err(ServiceError::Invalid)?;
    Ok(store
        .claim_domain(workspace.id, &domain, actor, request_id)
        .await?)
}

/// Verifies a claimed domain by its TXT record.
pub async fn verify_by_dns(
    store: &Store,
    dns: &DnsVerifier,
    workspace: &Workspace,
    domain: &str,
    actor: &Actor,
    request_id: Option<&str>,
) -> Result<DomainClaim, ServiceError> {
    let domain = normalise_domain(domain).map_err(ServiceError::Invalid)?;
    let claim = store
        .domain_claim(workspace.id, &domain)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("domain {domain} (claim it first)")))?;
    if claim.verified_at.is_some() {
        return Ok(claim);
    }
    if let Err(wait) = dns.per_workspace.take(workspace.id) {
        return Err(ServiceError::Conflict(format!(
            "too many verifications: try again in {} s",
            wait.as_secs().max(1)
        )));
    }
    let challenge = claim
        .txt_record
        .value
        .trim_start_matches(crate::domain::domains::CHALLENGE_PREFIX);
    // One answer whether the record is missing or DNS failed: the lookup is the tenant's to
    // aim, so its outcome must not describe anybody's resolver or network.
    let proven = match dns.txt(&claim.txt_record.name).await {
        Ok(found) => proves(&found, challenge),
        Err(e) => {
            tracing::info!(domain.name = %domain, error = %e, "domain verification: DNS lookup failed");
            false
        }
    };
    if !proven {
        return Err(ServiceError::Conflict(format!(
            "no TXT record {:?} holding {:?} was found: publish it, then verify again",
            claim.txt_record.name, claim.txt_record.value
        )));
    }
    Ok(store
        .verify_domain(
            workspace.id,
            &domain,
            VerifiedBy::Dns,
            false,
            actor,
            request_id,
        )
        .await?)
}

/// Verifies a domain on the operator's word (single-tenant installs; never the tenant API).
pub async fn verify_as_operator(
    store: &Store,
    workspace: &Workspace,
    domain: &str,
    request_id: Option<&str>,
) -> Result<DomainClaim, ServiceError> {
    let domain = normalise_domain(domain).map_err(ServiceError::Invalid)?;
    Ok(store
        .verify_domain(
            workspace.id,
            &domain,
            VerifiedBy::Operator,
            true,
            &Actor::Cli,
            request_id,
        )
        .await?)
}

/// Removes a claim or verified domain.
pub async fn remove(
    store: &Store,
    workspace: &Workspace,
    domain: &str,
    actor: &Actor,
    request_id: Option<&str>,
) -> Result<(), ServiceError> {
    let domain = normalise_domain(domain).map_err(ServiceError::Invalid)?;
    Ok(store
        .remove_domain(workspace.id, &domain, actor, request_id)
        .await?)
}
