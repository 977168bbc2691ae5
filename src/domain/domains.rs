//! Email domains a workspace claims, and the DNS proof that turns a claim into a verified
//! domain. A claim costs nothing and proves nothing; a domain is verified when a TXT record
//! `_gatehouse-challenge.<domain>` holds `gatehouse-domain-verification=<challenge>`, the
//! challenge being random and specific to the (workspace, domain) pair, so only whoever
//! controls the domain's DNS can verify it, and only for the workspace that asked. A verified
//! domain belongs to exactly one workspace (storage enforces it with a unique index).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The label under which the challenge is published.
pub const CHALLENGE_LABEL: &str = "_gatehouse-challenge";
/// The prefix of the TXT value.
pub const CHALLENGE_PREFIX: &str = "gatehouse-domain-verification=";

/// How a domain came to be verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VerifiedBy {
    /// Its TXT record was found.
    Dns,
    /// The operator vouched for it at the command line (`--no-dns`, `workspace create`,
    /// `workspace import`): single-tenant installs and moves between databases.
    Operator,
    /// It was held by exactly one workspace when domains started needing proof.
    Migration,
}

impl VerifiedBy {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Dns => "dns",
            Self::Operator => "operator",
            Self::Migration => "migration",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Dns, Self::Operator, Self::Migration]
            .into_iter()
            .find(|v| v.as_str() == s)
    }
}

/// A domain a workspace claims, verified or not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DomainClaim {
    pub domain: String,
    pub created_at: DateTime<Utc>,
    pub verified_at: Option<DateTime<Utc>>,
    pub verified_by: Option<VerifiedBy>,
    /// What to publish in DNS to verify it.
    pub txt_record: TxtRecord,
}

/// A DNS TXT record to publish.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxtRecord {
    pub name: String,
    pub value: String,
}

impl DomainClaim {
    /// The state shown to owners: `verified` or `pending`.
    pub fn state(&self) -> &'static str {
        if self.verified_at.is_some() {
            "verified"
        } else {
            "pending"
        }
    }
}

/// The TXT record that proves `domain` for the claim with this challenge.
pub fn txt_record(domain: &str, challenge: &str) -> TxtRecord {
    TxtRecord {
        name: format!("{CHALLENGE_LABEL}.{domain}"),
        value: format!("{CHALLENGE_PREFIX}{challenge}"),
    }
}

/// Whether one of the TXT strings found in DNS proves the claim.
pub fn proves(found: &[String], challenge: &str) -> bool {
    let wanted = format!("{CHALLENGE_PREFIX}{challenge}");
    found.iter().any(|value| value.trim() == wanted)
}

/// A new random challenge (128 bits, hex).
pub fn new_challenge() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_exact_challenge_proves_a_claim() {
        let record = txt_record("victim.test", "abc123");
        assert_eq!(record.name, "_gatehouse-challenge.victim.test");
        assert!(proves(std::slice::from_ref(&record.value), "abc123"));
        assert!(proves(
            &["other".into(), format!(" {} ", record.value)],
            "abc123"
        ));
        assert!(!proves(std::slice::from_ref(&record.value), "abc12"));
        assert!(!proves(
            &["gatehouse-domain-verification=abc1234".into()],
            "abc123"
        ));
        assert!(!proves(&[], "abc123"));
    }

    #[test]
    fn challenges_are_random() {
        assert_ne!(new_challenge(), new_challenge());
        assert_eq!(new_challenge().len(), 32);
    }
}
