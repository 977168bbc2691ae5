//! Verified email domains: a claim proves nothing until its TXT record is found on a real DNS
//! server (the test one, on 127.0.0.1), a verified domain belongs to one workspace, and only
//! the operator verifies without DNS.

use serde_json::json;

use crate::{
    cli::{gatehouse, one_json_object},
    dns_support::test_dns,
    helpers::{on_both_backends, TestApp},
};
use gatehouse::domain::TokenKind;

/// A domain no other test uses (they share the DNS server).
fn fresh_domain(label: &str) -> String {
    format!("{label}-{}.test", uuid::Uuid::new_v4().simple())
}

async fn tenant(app: &TestApp, slug: &str) -> String {
    app.create_workspace_with_domains(slug, &[]).await;
    app.issue_token(slug, TokenKind::Service).await.1
}

on_both_backends! {
    async fn a_domain_verifies_only_when_its_txt_record_is_published(app: TestApp) {
        let token = tenant(&app, "victim").await;
        let domain = fresh_domain("victim");
        let (status, claim) = app.post("/v1/workspaces/victim/domains", &token, json!({"domain": domain})).await;
        assert_eq!(status, 201, "{claim}");
        assert_eq!(claim["state"], "pending");
        let name = claim["txt_record"]["name"].as_str().unwrap().to_string();
        let value = claim["txt_record"]["value"].as_str().unwrap().to_string();
        assert_eq!(name, format!("_gatehouse-challenge.{domain}"));
        assert!(value.starts_with("gatehouse-domain-verification="), "{value}");

        let verify = format!("/v1/workspaces/victim/domains/{domain}/verify");
        // Nothing published: not verified, and the answer says what to publish.
        let (status, body) = app.post(&verify, &token, json!({})).await;
        assert_eq!(status, 409, "{body}");
        assert!(body["error"]["message"].as_str().unwrap().contains(&value), "{body}");
        // A record with another value proves nothing.
        test_dns().publish_txt(&name, "gatehouse-domain-verification=somebody-else").await;
        assert_eq!(app.post(&verify, &token, json!({})).await.0, 409);
        let workspace = app.store.workspace_fresh("victim").await.unwrap().unwrap();
        assert!(workspace.domains.is_empty());

        test_dns().publish_txt(&name, &value).await;
        let (status, body) = app.post(&verify, &token, json!({})).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["state"], "verified");
        assert_eq!(body["verified_by"], "dns");
        let (_, list) = app.get_json("/v1/workspaces/victim/domains", &token).await;
        assert_eq!(list["domains"][0]["state"], "verified", "{list}");
        let workspace = app.store.workspace_fresh("victim").await.unwrap().unwrap();
        assert_eq!(workspace.domains, std::slice::from_ref(&domain));
        let (_, audit) = app.get_json("/v1/workspaces/victim/audit", &token).await;
        let actions: Vec<&str> = audit["entries"].as_array().unwrap().iter()
            .map(|e| e["action"].as_str().unwrap()).collect();
        assert!(actions.contains(&"domain.claim") && actions.contains(&"domain.verify"), "{actions:?}");
    }

    async fn a_verified_domain_belongs_to_exactly_one_workspace(app: TestApp) {
        let victim = tenant(&app, "victim").await;
        let evil = tenant(&app, "evil").await;
        let domain = fresh_domain("shared");
        // Both may claim it while nobody holds it.
        let (_, mine) = app.post("/v1/workspaces/victim/domains", &victim, json!({"domain": domain})).await;
        let (status, theirs) = app.post("/v1/workspaces/evil/domains", &evil, json!({"domain": domain})).await;
        assert_eq!(status, 201, "{theirs}");
        assert_ne!(mine["txt_record"]["value"], theirs["txt_record"]["value"], "challenges are per workspace");
        // Even with both records published, the first to verify holds it.
        let name = mine["txt_record"]["name"].as_str().unwrap();
        test_dns().publish_txt(name, mine["txt_record"]["value"].as_str().unwrap()).await;
        test_dns().publish_txt(name, theirs["txt_record"]["value"].as_str().unwrap()).await;
        let (status, _) = app.post(&format!("/v1/workspaces/victim/domains/{domain}/verify"), &victim, json!({})).await;
        assert_eq!(status, 200);
        let (status, body) = app.post(&format!("/v1/workspaces/evil/domains/{domain}/verify"), &evil, json!({})).await;
        assert_eq!(status, 409, "{body}");
        assert!(body["error"]["message"].as_str().unwrap().contains("verified by another workspace"), "{body}");
        // A new claim is refused outright, and the operator cannot hand it over either.
        let other = fresh_domain("x");
        let (status, _) = app.post("/v1/workspaces/evil/domains", &evil, json!({"domain": other})).await;
        assert_eq!(status, 201);
        let out = gatehouse(&app.db.url, &[], &["--json", "domain", "verify", "--workspace", "evil", "--domain", &domain, "--no-dns"]);
        assert!(!out.status.success());
        assert!(one_json_object(&out)["error"]["message"].as_str().unwrap().contains("another workspace"));
        let evil_ws = app.store.workspace_fresh("evil").await.unwrap().unwrap();
        assert!(evil_ws.domains.is_empty());
    }

    async fn tenants_cannot_set_domains_directly(app: TestApp) {
        let token = tenant(&app, "evil").await;
        let (status, body) = app.call(reqwest::Method::PATCH, "/v1/workspaces/evil", &token,
            Some(json!({"domains": ["evil.test", "victim.test"], "settings": {"jit_provisioning": true}}))).await;
        assert_eq!(status, 400, "{body}");
        assert!(body["error"]["message"].as_str().unwrap().contains("/domains"), "{body}");
        let workspace = app.store.workspace_fresh("evil").await.unwrap().unwrap();
        assert!(workspace.domains.is_empty());
        assert!(!workspace.settings.jit_provisioning, "nothing of a refused request is applied");
    }

    async fn the_operator_verifies_without_dns_and_it_is_audited(app: TestApp) {
        let token = tenant(&app, "solo").await;
        let domain = fresh_domain("solo");
        let out = gatehouse(&app.db.url, &[], &["--json", "domain", "verify", "--workspace", "solo", "--domain", &domain, "--no-dns"]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let body = one_json_object(&out);
        assert_eq!(body["state"], "verified");
        assert_eq!(body["verified_by"], "operator");
        let (_, audit) = app.get_json("/v1/workspaces/solo/audit", &token).await;
        let verify = audit["entries"].as_array().unwrap().iter()
            .find(|e| e["action"] == "domain.verify").expect("a domain.verify audit row");
        assert_eq!(verify["actor"]["type"], "cli");
        assert_eq!(verify["target"], format!("domain:{domain}"));
        // `domain list` shows it; removing it ends the workspace's authority.
        let out = gatehouse(&app.db.url, &[], &["--json", "domain", "list", "--workspace", "solo"]);
        assert_eq!(one_json_object(&out)["domains"][0]["domain"], domain);
        let (status, _) = app.delete(&format!("/v1/workspaces/solo/domains/{domain}"), &token).await;
        assert_eq!(status, 200);
        assert!(app.store.workspace_fresh("solo").await.unwrap().unwrap().domains.is_empty());
    }
}
