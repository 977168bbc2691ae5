//! Passwords: argon2id with the configured cost, verified off the async workers. Unknown
//! emails are verified against a dummy hash so both answers take the same time.

use std::sync::OnceLock;

use argon2::{
    password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString},
    Algorithm, Argon2, Params, Version,
};
use secrecy::{ExposeSecret, SecretString};

use crate::config::SignInSettings;

/// Shortest password accepted when one is set.
pub const MIN_PASSWORD_CHARS: usize = 12;

fn hasher(settings: &SignInSettings) -> Argon2<'static> {
    let params = Params::new(
        settings.argon2_memory_kib,
        settings.argon2_iterations,
        1,
        None,
    )
    .unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes a new password (PHC string: algorithm, parameters and salt travel with the hash).
pub fn hash(settings: &SignInSettings, password: &SecretString) -> Result<String, String> {
    let chars = password.expose_secret().chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(format!(
            "a password needs at least {MIN_PASSWORD_CHARS} characters"
        ));
    }
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    hasher(settings)
        .hash_password(password.expose_secret().as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| format!("cannot hash the password: {e}"))
}

/// A hash of nothing in particular, with the configured cost, for unknown accounts.
fn dummy_hash(settings: &SignInSettings) -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        hasher(settings)
            .hash_password(b"gatehouse-dummy-password", &salt)
            .map(|h| h.to_string())
            .unwrap_or_default()
    })
}

/// At most this many password hashes are computed at once: each takes the configured memory
/// and a core, and running more than the machine has cores only makes all of them slower.
pub fn hashing_permits() -> &'static tokio::sync::Semaphore {
    static PERMITS: OnceLock<tokio::sync::Semaphore> = OnceLock::new();
    PERMITS.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        tokio::sync::Semaphore::new(cores)
    })
}

/// Whether `password` matches `stored` (or, when there is no stored hash, spends the same
/// time and answers false).
pub fn verify(settings: &SignInSettings, password: &SecretString, stored: Option<&str>) -> bool {
    let (hash, real) = match stored {
        Some(h) => (h, true),
        None => (dummy_hash(settings), false),
    };
    let Ok(parsed) = PasswordHash::new(hash) else {
        return false;
    };
    let ok = hasher(settings)
        .verify_password(password.expose_secret().as_bytes(), &parsed)
        .is_ok();
    ok && real
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> SignInSettings {
        crate::config::Settings::load_from(None, &[])
            .unwrap()
            .sign_in
    }

    #[test]
    fn a_hash_verifies_only_its_password() {
        let s = settings();
        let h = hash(&s, &SecretString::from("correct horse battery")).unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify(
            &s,
            &SecretString::from("correct horse battery"),
            Some(&h)
        ));
        assert!(!verify(
            &s,
            &SecretString::from("wrong horse battery"),
            Some(&h)
        ));
        assert!(!verify(
            &s,
            &SecretString::from("correct horse battery"),
            None
        ));
        assert!(hash(&s, &SecretString::from("short")).is_err());
    }
}
