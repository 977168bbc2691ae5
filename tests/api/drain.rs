//! Shutdown without dropped requests: on SIGTERM `/readyz` answers 503 at once, requests are
//! still served for the drain period, then the listener closes and the request in flight
//! still gets its answer.

use std::{
    io::{BufRead, BufReader},
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use crate::{
    cli::{gatehouse, one_json_object},
    helpers::on_both_backends,
};

/// A fresh connection per request, so every probe reaches the listener (no pooled socket).
fn fresh_client() -> reqwest::Client {
    reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap()
}

on_both_backends! {
    async fn sigterm_turns_readyz_to_503_at_once_and_in_flight_requests_finish(app: TestApp) {
        let url = app.db.url.clone();
        app.create_workspace("acme").await;
        let token = one_json_object(&gatehouse(&url, &[], &["--json", "token", "create", "--workspace", "acme",
            "--kind", "service"]))["token"].as_str().unwrap().to_string();
        let mut child = Command::new(env!("CARGO_BIN_EXE_gatehouse"))
            .args(["--json", "serve"])
            .env("GATEHOUSE_DATABASE_URL", &url)
            .env("GATEHOUSE_BIND", "127.0.0.1:0")
            .env("GATEHOUSE_DRAIN_SECONDS", "2")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let started: serde_json::Value = serde_json::from_str(&line).expect("start-up JSON");
        let listening = started["listening"].as_str().unwrap().to_string();
        let base = format!("http://{listening}");
        assert_eq!(fresh_client().get(format!("{base}/readyz")).send().await.unwrap().status(), 200);

        // A request in flight: its body arrives in two parts, the second after the listener
        // has closed.
        let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(2);
        let body = futures_util::stream::unfold(rx, |mut rx| async move {
            rx.recv().await.map(|chunk| (chunk, rx))
        });
        let body_text = serde_json::json!({"email": "late@example.com"}).to_string();
        let (first, second) = body_text.split_at(10);
        let in_flight = tokio::spawn(
            fresh_client()
                .post(format!("{base}/v1/workspaces/acme/members"))
                .bearer_auth(&token)
                .header("content-type", "application/json")
                .header("content-length", body_text.len())
                .body(reqwest::Body::wrap_stream(body))
                .send(),
        );
        tx.send(Ok(first.as_bytes().to_vec())).await.unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;

        let signalled = Instant::now();
        assert!(Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap().success());
        // 503 at once (the signal handler needs a moment to run; well under the drain period).
        let mut readyz = None;
        while signalled.elapsed() < Duration::from_millis(1500) {
            let response = fresh_client().get(format!("{base}/readyz")).send().await.unwrap();
            if response.status() == 503 {
                readyz = Some(response.json::<serde_json::Value>().await.unwrap());
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let readyz = readyz.expect("/readyz answers 503 during the drain");
        assert_eq!(readyz["status"], "draining");
        assert!(signalled.elapsed() < Duration::from_millis(1500));
        // Still serving during the drain: liveness and ordinary requests answer.
        assert_eq!(fresh_client().get(format!("{base}/healthz")).send().await.unwrap().status(), 200);

        // After the drain period the listener is closed…
        let mut closed = false;
        while signalled.elapsed() < Duration::from_secs(10) {
            if std::net::TcpStream::connect(&listening).is_err() {
                closed = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(closed, "the listener closes after the drain period");
        assert!(signalled.elapsed() >= Duration::from_secs(2), "not before the drain period");
        // …and the request in flight still completes.
        tx.send(Ok(second.as_bytes().to_vec())).await.unwrap();
        drop(tx);
        let response = in_flight.await.unwrap().expect("the in-flight request is answered");
        assert_eq!(response.status(), 201);
        let created: serde_json::Value = response.json().await.unwrap();
        assert_eq!(created["member"]["email"], "late@example.com");
        let exit = child.wait().unwrap();
        assert!(exit.success(), "{exit:?}");
    }
}
