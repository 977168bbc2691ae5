//! Webhook signatures in the Standard Webhooks format (standardwebhooks.com), so receivers
//! verify deliveries with any of its libraries instead of writing their own:
//!
//! - `webhook-id`: the message id, the same on every retry of one batch (an idempotency key);
//! - `webhook-timestamp`: the send time in Unix seconds (receivers refuse old ones);
//! - `webhook-signature`: space-separated `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`,
//!   one per secret: during a secret rotation both the new and the old secret sign.
//!
//! The HMAC key of a `whsec_<base64>` secret is its decoded bytes (the format Standard Webhooks
//! libraries take); any other secret's key is its UTF-8 bytes, which a receiver hands to a
//! library as `whsec_` + base64(secret).
//!
//! `Gatehouse-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "t.body">` (the header before this
//! one, keyed with the current secret's UTF-8 bytes) is still sent, unchanged, for one
//! release, then removed.

use base64::{engine::general_purpose::STANDARD, Engine};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The prefix of secrets in the Standard Webhooks format.
pub const SECRET_PREFIX: &str = "whsec_";

/// The HMAC key of a webhook secret.
pub fn key_bytes(secret: &str) -> Vec<u8> {
    secret
        .strip_prefix(SECRET_PREFIX)
        .and_then(|encoded| STANDARD.decode(encoded).ok())
        .filter(|key| !key.is_empty())
        .unwrap_or_else(|| secret.as_bytes().to_vec())
}

fn hmac(key: &[u8], content: &[&[u8]]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    for part in content {
        mac.update(part);
    }
    mac.finalize().into_bytes().to_vec()
}

/// One `v1,<base64>` signature of `body` under `secret`.
pub fn sign(secret: &str, message_id: &str, timestamp: i64, body: &str) -> String {
    let signed = hmac(
        &key_bytes(secret),
        &[
            message_id.as_bytes(),
            b".",
            timestamp.to_string().as_bytes(),
            b".",
            body.as_bytes(),
        ],
    );
    format!("v1,{}", STANDARD.encode(signed))
}

/// The message id of the batch `from..=to` of a webhook: stable across retries.
pub fn message_id(webhook_id: uuid::Uuid, from_revision: i64, to_revision: i64) -> String {
    format!("msg_{}_{from_revision}_{to_revision}", webhook_id.simple())
}

/// Every signature header of one delivery attempt, as (name, value); `secrets` are the
/// webhook's current secret first, then the previous one while it overlaps.
pub fn headers(
    secrets: &[&str],
    message_id: &str,
    timestamp: i64,
    body: &str,
) -> Vec<(&'static str, String)> {
    let signatures = secrets
        .iter()
        .map(|secret| sign(secret, message_id, timestamp, body))
        .collect::<Vec<_>>()
        .join(" ");
    vec![
        ("webhook-id", message_id.to_string()),
        ("webhook-timestamp", timestamp.to_string()),
        ("webhook-signature", signatures),
        (
            "Gatehouse-Signature",
            super::webhooks::signature(secrets.first().copied().unwrap_or(""), timestamp, body),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of the Standard Webhooks specification's reference libraries.
    #[test]
    fn signs_like_the_reference_implementations() {
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
        let body = r#"{"test": 2432232314}"#;
        assert_eq!(
            sign(secret, id, 1_614_265_330, body),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn a_raw_secret_is_its_own_key_and_whsec_is_decoded() {
        assert_eq!(key_bytes("0123456789abcdef"), b"0123456789abcdef");
        assert_eq!(key_bytes("whsec_AAEC"), vec![0, 1, 2]);
        // Not base64 after the prefix: the whole string is the key.
        assert_eq!(key_bytes("whsec_not base64!"), b"whsec_not base64!");
    }

    #[test]
    fn during_a_rotation_both_secrets_sign() {
        let headers = headers(&["new-secret-0123456", "old-secret-0123456"], "m", 7, "{}");
        let find = |name: &str| headers.iter().find(|(n, _)| *n == name).unwrap().1.clone();
        let signatures: Vec<String> = find("webhook-signature")
            .split(' ')
            .map(str::to_string)
            .collect();
        assert_eq!(
            signatures,
            [
                sign("new-secret-0123456", "m", 7, "{}"),
                sign("old-secret-0123456", "m", 7, "{}")
            ]
        );
        assert_eq!(find("webhook-id"), "m");
        assert_eq!(find("webhook-timestamp"), "7");
        // The previous header, unchanged, with the current secret.
        assert_eq!(
            find("Gatehouse-Signature"),
            crate::service::webhooks::signature("new-secret-0123456", 7, "{}")
        );
    }

    #[test]
    fn message_ids_name_the_batch() {
        let id = uuid::Uuid::nil();
        assert_eq!(
            message_id(id, 4, 9),
            "msg_00000000000000000000000000000000_4_9"
        );
        assert_ne!(message_id(id, 4, 9), message_id(id, 4, 10));
    }
}
