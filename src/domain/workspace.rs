//! Workspaces: the tenants. A workspace has a slug (its name in URLs), enabled products and
//! the email domains it has verified (see [`super::domains`]). A verified domain is what
//! makes a workspace the authority for the people of that domain: its IdP may sign them in,
//! it may provision and link their accounts without asking them, and nothing else does.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::access::Product;

/// A tenant of Gatehouse.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Workspace {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub products: Vec<Product>,
    /// The email domains this workspace has verified (claims still waiting for their DNS
    /// record are not here).
    pub domains: Vec<String>,
    pub settings: WorkspaceSettings,
    /// Bumped in the same transaction as every change to the workspace's access model.
    pub revision: i64,
    pub created_at: DateTime<Utc>,
}

impl Workspace {
    /// Whether this workspace verified the domain of `email`: it is then the authority for
    /// that person (its IdP may assert them, it may link their account without asking).
    pub fn is_authority_for(&self, email: &str) -> bool {
        email_domain(email).is_some_and(|d| self.domains.contains(&d))
    }
}

/// The lower-cased domain of an email address.
pub fn email_domain(email: &str) -> Option<String> {
    email
        .trim()
        .rsplit_once('@')
        .map(|(_, domain)| domain.trim_end_matches('.').to_ascii_lowercase())
        .filter(|d| !d.is_empty())
}

/// Per-workspace switches. Unknown keys are kept out by `deny_unknown_fields` so a typo in an
/// API call is an error instead of a silently ignored setting.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WorkspaceSettings {
    /// A first SSO login creates the membership (with minimal access).
    pub jit_provisioning: bool,
    /// Password sessions get no access to this workspace.
    pub require_sso: bool,
    /// Mapping rules and SCIM roles may make IdP-managed owners.
    pub allow_idp_managed_owners: bool,
    /// SCIM `roles` values become grants.
    pub scim_roles: bool,
}

/// A workspace to be created; [`NewWorkspace::validate`] normalises and checks it.
#[derive(Debug, Clone)]
pub struct NewWorkspace {
    pub slug: String,
    pub name: String,
    pub products: Vec<Product>,
    pub domains: Vec<String>,
}

impl NewWorkspace {
    /// Checks the slug, name and domains; lower-cases domains and removes duplicates.
    pub fn validate(mut self) -> Result<Self, String> {
        validate_slug(&self.slug)?;
        self.name = self.name.trim().to_string();
        if self.name.is_empty() || self.name.chars().count() > 200 {
            return Err("name must be 1 to 200 characters".into());
        }
        let mut domains = Vec::with_capacity(self.domains.len());
        for domain in &self.domains {
            let domain = normalise_domain(domain)?;
            if !domains.contains(&domain) {
                domains.push(domain);
            }
        }
        self.domains = domains;
        self.products.sort();
        self.products.dedup();
        Ok(self)
    }
}

/// Slugs appear in URLs: 1 to 63 lower-case letters, digits and inner hyphens.
pub fn validate_slug(slug: &str) -> Result<(), String> {
    let ok = !slug.is_empty()
        && slug.len() <= 63
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !slug.starts_with('-')
        && !slug.ends_with('-');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "slug {slug:?} must be 1 to 63 lower-case letters, digits or inner hyphens"
        ))
    }
}

/// A DNS name such as `example.com`, lower-cased.
pub fn normalise_domain(domain: &str) -> Result<String, String> {
    let d = domain.trim().trim_end_matches('.').to_ascii_lowercase();
    let labels_ok = d.split('.').count() >= 2
        && d.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        });
    if labels_ok && d.len() <= 253 {
        Ok(d)
    } else {
        Err(format!("{domain:?} is not a domain name like example.com"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_url_safe() {
        assert!(validate_slug("acme-prod").is_ok());
        for bad in ["", "Acme", "-x", "x-", "a b", "a/b", &"x".repeat(64)] {
            assert!(validate_slug(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn domains_are_normalised_and_checked() {
        assert_eq!(normalise_domain(" Example.COM. ").unwrap(), "example.com");
        for bad in ["localhost", "exa mple.com", "-a.com", "a..com", "@x.com"] {
            assert!(normalise_domain(bad).is_err(), "{bad:?}");
        }
    }
}
