//! Standard Webhooks signatures, checked by a third-party verifier: the `standardwebhooks`
//! package from PyPI (in conformance/.venv) verifies deliveries a wiremock receiver on
//! 127.0.0.1 recorded, before and during a secret rotation.

use std::{
    path::PathBuf,
    process::Command,
    time::{Duration, Instant},
};

use base64::{engine::general_purpose::STANDARD, Engine as _};
use serde_json::json;
use wiremock::{matchers::path, Mock, MockServer, Request, ResponseTemplate};

use crate::helpers::on_both_backends;

/// Runs conformance/verify_webhook.py on one recorded request: Ok(()) when the library
/// verifies it, Err(its message) when it refuses.
fn python_verifies(secret: &str, request: &Request) -> Result<(), String> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("conformance");
    let python = root.join(".venv/bin/python");
    assert!(
        python.exists(),
        "needs conformance/.venv: run conformance/setup-venv"
    );
    let dir = std::env::temp_dir().join(format!("gh-webhook-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let headers: serde_json::Map<String, serde_json::Value> = request
        .headers
        .iter()
        .map(|(name, value)| (name.as_str().to_string(), json!(value.to_str().unwrap())))
        .collect();
    std::fs::write(
        dir.join("headers.json"),
        serde_json::Value::Object(headers).to_string(),
    )
    .unwrap();
    std::fs::write(dir.join("body"), &request.body).unwrap();
    let out = Command::new(python)
        .arg(root.join("verify_webhook.py"))
        .arg(secret)
        .arg(dir.join("headers.json"))
        .arg(dir.join("body"))
        .output()
        .expect("run the verifier");
    std::fs::remove_dir_all(&dir).unwrap();
    let said = String::from_utf8_lossy(&out.stdout).trim().to_string();
    match (out.status.success(), said.as_str()) {
        (true, "verified") => Ok(()),
        (false, _) if said.starts_with("refused") => Err(said),
        _ => panic!(
            "the verifier failed: {said} {}",
            String::from_utf8_lossy(&out.stderr)
        ),
    }
}

/// Waits for the receiver's `n`-th request.
async fn nth_request(server: &MockServer, n: usize) -> Request {
    let started = Instant::now();
    loop {
        let requests = server.received_requests().await.unwrap_or_default();
        if requests.len() >= n {
            return requests[n - 1].clone();
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "no delivery {n} within 15 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

on_both_backends! {
    async fn deliveries_verify_with_the_standardwebhooks_package_through_a_rotation(app: TestApp) {
        let token = app.workspace_with_token("acme").await;
        let receiver = MockServer::start().await;
        Mock::given(path("/hook")).respond_with(ResponseTemplate::new(200)).mount(&receiver).await;
        let key: Vec<u8> = (0..32).map(|_| rand::random::<u8>()).collect();
        let first_secret = format!("whsec_{}", STANDARD.encode(&key));
        let (status, webhook) = app.post("/v1/workspaces/acme/webhooks", &token,
            json!({"url": format!("{}/hook", receiver.uri()), "secret": first_secret})).await;
        assert_eq!(status, 201, "{webhook}");
        assert!(!webhook.to_string().contains(&first_secret), "the secret is never shown");

        app.post("/v1/workspaces/acme/members", &token, json!({"email": "kim@example.com"})).await;
        let first = nth_request(&receiver, 1).await;
        python_verifies(&first_secret, &first).expect("verified with the webhook's secret");
        let wrong = format!("whsec_{}", STANDARD.encode([7u8; 32]));
        assert!(python_verifies(&wrong, &first).is_err(), "another secret is refused");
        let id = first.headers.get("webhook-id").unwrap().to_str().unwrap().to_string();
        assert!(id.starts_with("msg_"), "{id}");
        // The previous header is still sent (one release).
        let legacy = first.headers.get("gatehouse-signature").unwrap().to_str().unwrap();
        assert!(legacy.starts_with("t="), "{legacy}");

        // Rotate to a raw (non-whsec) secret: for one overlap both secrets sign.
        let raw_secret = "rotated-secret-0123456789";
        let (status, rotated) = app.post(
            &format!("/v1/workspaces/acme/webhooks/{}/rotate-secret", webhook["id"].as_str().unwrap()),
            &token, json!({"secret": raw_secret, "overlap_hours": 1})).await;
        assert_eq!(status, 200, "{rotated}");
        assert!(rotated["previous_secret_expires_at"].is_string(), "{rotated}");
        app.post("/v1/workspaces/acme/members", &token, json!({"email": "lee@example.com"})).await;
        let second = nth_request(&receiver, 2).await;
        let signatures = second.headers.get("webhook-signature").unwrap().to_str().unwrap();
        assert_eq!(signatures.split(' ').count(), 2, "{signatures}");
        let raw_as_whsec = format!("whsec_{}", STANDARD.encode(raw_secret));
        python_verifies(&raw_as_whsec, &second).expect("verified with the new secret");
        python_verifies(&first_secret, &second).expect("verified with the old secret during the overlap");
        assert_ne!(second.headers.get("webhook-id").unwrap().to_str().unwrap(), id, "one id per batch");

        // Overlap 0 ends the old secret at once: only the new one signs.
        let (status, _) = app.post(
            &format!("/v1/workspaces/acme/webhooks/{}/rotate-secret", webhook["id"].as_str().unwrap()),
            &token, json!({"secret": first_secret, "overlap_hours": 0})).await;
        assert_eq!(status, 200);
        app.post("/v1/workspaces/acme/members", &token, json!({"email": "max@example.com"})).await;
        let third = nth_request(&receiver, 3).await;
        python_verifies(&first_secret, &third).expect("verified with the current secret");
        assert!(python_verifies(&raw_as_whsec, &third).is_err(), "the replaced secret no longer signs");

        // Bad rotations are refused in the API envelope; another workspace's webhook is 404.
        let (status, body) = app.post(
            &format!("/v1/workspaces/acme/webhooks/{}/rotate-secret", webhook["id"].as_str().unwrap()),
            &token, json!({"secret": "short"})).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(body["error"]["code"], "bad_request");
        let other = app.workspace_with_token("other").await;
        let (status, _) = app.post(
            &format!("/v1/workspaces/other/webhooks/{}/rotate-secret", webhook["id"].as_str().unwrap()),
            &other, json!({"secret": raw_secret})).await;
        assert_eq!(status, 404);
        let (_, audit) = app.get_json("/v1/workspaces/acme/audit", &token).await;
        let rotations: Vec<_> = audit["entries"].as_array().unwrap().iter()
            .filter(|e| e["action"] == "webhook.rotate_secret").collect();
        assert_eq!(rotations.len(), 2);
        assert!(!audit.to_string().contains(raw_secret), "secrets never reach the audit log");
    }
}
