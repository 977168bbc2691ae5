//! Email domains of workspaces: claims, and the verified domains that make a workspace the
//! authority for the people of that domain. A verified domain belongs to one workspace: the
//! partial unique index `workspace_domains_verified_once` decides races, and losing one is a
//! conflict with a clear message. Every change is audited and clears the workspace cache (a
//! workspace's verified domains ride along with it).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{audit::append_audit, in_transaction, with_pool, Store, StoreError};
use crate::domain::{
    domains::{txt_record, DomainClaim, VerifiedBy},
    Actor, NewAuditEntry,
};

#[derive(sqlx::FromRow)]
struct ClaimRow {
    domain: String,
    challenge: String,
    created_at: DateTime<Utc>,
    verified_at: Option<DateTime<Utc>>,
    verified_by: Option<String>,
}

impl From<ClaimRow> for DomainClaim {
    fn from(r: ClaimRow) -> Self {
        DomainClaim {
            txt_record: txt_record(&r.domain, &r.challenge),
            domain: r.domain,
            created_at: r.created_at,
            verified_at: r.verified_at,
            verified_by: r.verified_by.as_deref().and_then(VerifiedBy::parse),
        }
    }
}

pub(crate) fn taken(domain: &str) -> StoreError {
    StoreError::Conflict(format!(
        "{domain} is verified by another workspace; a domain belongs to one workspace"
    ))
}

/// Claims a domain inside the caller's transaction (no-op when claimed already); fails when
/// another workspace verified it.
macro_rules! insert_claim {
    ($tx:expr, $ws:expr, $domain:expr, $now:expr) => {{
        let verified_elsewhere: Option<(uuid::Uuid,)> = sqlx::query_as(
            "SELECT workspace_id FROM workspace_domains \
             WHERE domain = $1 AND verified_at IS NOT NULL AND workspace_id <> $2",
        )
        .bind($domain)
        .bind($ws)
        .fetch_optional(&mut *$tx)
        .await?;
        if verified_elsewhere.is_some() {
            return Err($crate::storage::domains::taken($domain));
        }
        sqlx::query(
            "INSERT INTO workspace_domains (workspace_id, domain, challenge, created_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (workspace_id, domain) DO NOTHING",
        )
        .bind($ws)
        .bind($domain)
        .bind($crate::domain::domains::new_challenge())
        .bind($now)
        .execute(&mut *$tx)
        .await?
        .rows_affected()
            == 1
    }};
}

/// Marks a claimed domain verified inside the caller's transaction; a race lost to another
/// workspace is a conflict.
macro_rules! mark_verified {
    ($tx:expr, $ws:expr, $domain:expr, $by:expr, $now:expr) => {{
        sqlx::query(
            "UPDATE workspace_domains SET verified_at = $3, verified_by = $4 \
             WHERE workspace_id = $1 AND domain = $2 AND verified_at IS NULL",
        )
        .bind($ws)
        .bind($domain)
        .bind($now)
        .bind($by.as_str())
        .execute(&mut *$tx)
        .await
        .map_err(|e| match StoreError::on_unique_violation(e, "") {
            StoreError::Conflict(_) => $crate::storage::domains::taken($domain),
            other => other,
        })?
        .rows_affected()
    }};
}
pub(super) use {insert_claim, mark_verified};

impl Store {
    /// The domains a workspace verified, sorted.
    pub async fn verified_domains(&self, workspace_id: Uuid) -> Result<Vec<String>, StoreError> {
        let rows: Vec<(String,)> = with_pool!(self, pool => {
            sqlx::query_as(
                "SELECT domain FROM workspace_domains WHERE workspace_id = $1 \
                 AND verified_at IS NOT NULL ORDER BY domain",
            )
            .bind(workspace_id)
            .fetch_all(pool)
            .await?
        });
        Ok(rows.into_iter().map(|(d,)| d).collect())
    }

    /// The workspace that verified `domain`, if one did.
    pub async fn verified_domain_holder(&self, domain: &str) -> Result<Option<Uuid>, StoreError> {
        let row: Option<(Uuid,)> = with_pool!(self, pool => {
            sqlx::query_as(
                "SELECT workspace_id FROM workspace_domains WHERE domain = $1 \
                 AND verified_at IS NOT NULL",
            )
            .bind(domain)
            .fetch_optional(pool)
            .await?
        });
        Ok(row.map(|(w,)| w))
    }

    /// Whether an account's address is vouched for (by the operator or its domain's
    /// workspace) rather than only held through an invitation link.
    pub async fn account_vouched(&self, account_id: Uuid) -> Result<bool, StoreError> {
        let row: Option<(bool,)> = with_pool!(self, pool => {
            sqlx::query_as("SELECT vouched FROM accounts WHERE id = $1")
                .bind(account_id)
                .fetch_optional(pool)
                .await?
        });
        Ok(row.is_some_and(|(v,)| v))
    }

    /// Every workspace's verified domains.
    pub(crate) async fn verified_domains_by_workspace(
        &self,
    ) -> Result<HashMap<Uuid, Vec<String>>, StoreError> {
        let rows: Vec<(Uuid, String)> = with_pool!(self, pool => {
            sqlx::query_as(
                "SELECT workspace_id, domain FROM workspace_domains \
                 WHERE verified_at IS NOT NULL ORDER BY domain",
            )
            .fetch_all(pool)
            .await?
        });
        let mut out: HashMap<Uuid, Vec<String>> = HashMap::new();
        for (workspace_id, domain) in rows {
            out.entry(workspace_id).or_default().push(domain);
        }
        Ok(out)
    }

    /// A workspace's claims, verified or not, by domain.
    pub async fn domain_claims(&self, workspace_id: Uuid) -> Result<Vec<DomainClaim>, StoreError> {
        let rows: Vec<ClaimRow> = with_pool!(self, pool => {
            sqlx::query_as(
                "SELECT domain, challenge, created_at, verified_at, verified_by \
                 FROM workspace_domains WHERE workspace_id = $1 ORDER BY domain",
            )
            .bind(workspace_id)
            .fetch_all(pool)
            .await?
        });
        Ok(rows.into_iter().map(DomainClaim::from).collect())
    }

    /// One claim of a workspace.
    pub async fn domain_claim(
        &self,
        workspace_id: Uuid,
        domain: &str,
    ) -> Result<Option<DomainClaim>, StoreError> {
        let row: Option<ClaimRow> = with_pool!(self, pool => {
            sqlx::query_as(
                "SELECT domain, challenge, created_at, verified_at, verified_by \
                 FROM workspace_domains WHERE workspace_id = $1 AND domain = $2",
            )
            .bind(workspace_id)
            .bind(domain)
            .fetch_optional(pool)
            .await?
        });
        Ok(row.map(DomainClaim::from))
    }

    /// Claims a domain (unverified; idempotent), audited when new.
    pub async fn claim_domain(
        &self,
        workspace_id: Uuid,
        domain: &str,
        actor: &Actor,
        request_id: Option<&str>,
    ) -> Result<DomainClaim, StoreError> {
        let audit = NewAuditEntry::new(
            workspace_id,
            actor,
            "domain.claim",
            format!("domain:{domain}"),
            request_id,
        );
        let now = Utc::now();
        in_transaction!(self, tx => {
            if insert_claim!(tx, workspace_id, domain, now) {
                append_audit!(&mut *tx, &audit)?;
            }
        });
        self.domain_claim(workspace_id, domain)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("domain {domain}")))
    }

    /// Marks a claimed domain verified (its TXT record was found, or the operator vouched for
    /// it, `claim` first when `claim_if_missing`), audited. A domain verified by another
    /// workspace is a conflict.
    pub async fn verify_domain(
        &self,
        workspace_id: Uuid,
        domain: &str,
        by: VerifiedBy,
        claim_if_missing: bool,
        actor: &Actor,
        request_id: Option<&str>,
    ) -> Result<DomainClaim, StoreError> {
        let audit = NewAuditEntry::new(
            workspace_id,
            actor,
            "domain.verify",
            format!("domain:{domain}"),
            request_id,
        )
        .after(Some(
            serde_json::json!({ "domain": domain, "verified_by": by }),
        ));
        let now = Utc::now();
        in_transaction!(self, tx => {
            if claim_if_missing {
                let _ = insert_claim!(tx, workspace_id, domain, now);
            }
            let exists: Option<(Option<DateTime<Utc>>,)> = sqlx::query_as(
                "SELECT verified_at FROM workspace_domains WHERE workspace_id = $1 AND domain = $2",
            )
            .bind(workspace_id)
            .bind(domain)
            .fetch_optional(&mut *tx)
            .await?;
            match exists {
                None => return Err(StoreError::NotFound(format!("domain {domain}"))),
                Some((Some(_),)) => {} // verified already: nothing to record
                Some((None,)) => {
                    if mark_verified!(tx, workspace_id, domain, by, now) == 1 {
                        append_audit!(&mut *tx, &audit)?;
                    }
                }
            }
        });
        self.caches.workspaces.clear();
        self.domain_claim(workspace_id, domain)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("domain {domain}")))
    }

    /// Removes a claim or a verified domain (the workspace stops being the authority for it),
    /// audited.
    pub async fn remove_domain(
        &self,
        workspace_id: Uuid,
        domain: &str,
        actor: &Actor,
        request_id: Option<&str>,
    ) -> Result<(), StoreError> {
        let audit = NewAuditEntry::new(
            workspace_id,
            actor,
            "domain.remove",
            format!("domain:{domain}"),
            request_id,
        );
        in_transaction!(self, tx => {
            let removed = sqlx::query(
                "DELETE FROM workspace_domains WHERE workspace_id = $1 AND domain = $2",
            )
            .bind(workspace_id)
            .bind(domain)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if removed == 0 {
                return Err(StoreError::NotFound(format!("domain {domain}")));
            }
            append_audit!(&mut *tx, &audit)?;
        });
        self.caches.workspaces.clear();
        Ok(())
    }
}
