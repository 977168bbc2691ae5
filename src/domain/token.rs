//! API tokens. A token is a random secret shown once; only its SHA-256 digest is stored.
//! A fast digest is the right tool here: the secret has 256 bits of entropy, so there is
//! nothing to brute-force, and every SCIM request must authenticate cheaply.

use std::{fmt, str::FromStr};

use chrono::{DateTime, Utc};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// What a token may be used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenKind {
    /// Bearer token for the SCIM 2.0 endpoints of one workspace (Okta, Entra ID).
    Scim,
    /// Bearer token for the admin and access APIs of one workspace (other services).
    Service,
}

impl TokenKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Scim => "scim",
            Self::Service => "service",
        }
    }
}

impl fmt::Display for TokenKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for TokenKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "scim" => Ok(Self::Scim),
            "service" => Ok(Self::Service),
            _ => Err(format!("{s:?} is not a token kind (use scim or service)")),
        }
    }
}

/// A stored token, without its secret.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiToken {
    pub id: Uuid,
    pub workspace_id: Uuid,
    pub workspace_slug: String,
    pub kind: TokenKind,
    /// The first characters of the secret, so people can tell their tokens apart.
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// Set when the token was rotated: it is refused from this moment on.
    #[serde(default)]
    pub expires_at: Option<DateTime<Utc>>,
}

impl ApiToken {
    /// Whether the token's expiry (set by a rotation) has passed at `now`.
    pub fn is_expired_at(&self, now: DateTime<Utc>) -> bool {
        self.expires_at.is_some_and(|at| at <= now)
    }
}

/// A token just created: the only moment its secret exists outside the caller's hands.
#[derive(Debug)]
pub struct IssuedToken {
    pub token: ApiToken,
    pub secret: SecretString,
}

/// A rotation: the new token (its secret shown once) and the old one, which now expires.
#[derive(Debug)]
pub struct RotatedToken {
    pub issued: IssuedToken,
    pub old: ApiToken,
}

/// A freshly generated secret and the digest that is stored in its place.
pub struct TokenSecret {
    pub secret: SecretString,
    pub digest: String,
    pub prefix: String,
}

impl TokenSecret {
    /// 32 random bytes from the OS generator, hex-encoded behind a kind marker
    /// (`gh_scim_…`, `gh_service_…`) so leaked tokens are recognisable by secret scanners.
    pub fn generate(kind: TokenKind) -> Self {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        let secret = format!("gh_{}_{}", kind.as_str(), hex::encode(bytes));
        let prefix = secret[..secret.len().min(kind.as_str().len() + 4 + 6)].to_string();
        Self {
            digest: digest(&secret),
            prefix,
            secret: SecretString::from(secret),
        }
    }
}

/// The stored form of a token secret.
pub fn digest(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Constant-time comparison of a presented secret's digest with a stored one.
pub fn digest_matches(presented: &SecretString, stored_digest: &str) -> bool {
    use subtle::ConstantTimeEq;
    let presented = digest(presented.expose_secret());
    presented.as_bytes().ct_eq(stored_digest.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_random_and_only_their_digest_matches() {
        let a = TokenSecret::generate(TokenKind::Scim);
        let b = TokenSecret::generate(TokenKind::Scim);
        assert_ne!(a.secret.expose_secret(), b.secret.expose_secret());
        assert!(a.secret.expose_secret().starts_with("gh_scim_"));
        assert!(digest_matches(&a.secret, &a.digest));
        assert!(!digest_matches(&b.secret, &a.digest));
        assert!(!a.digest.contains(&a.secret.expose_secret()[8..]));
    }
}
