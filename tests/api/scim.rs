//! SCIM 2.0: semantics the bar names (isolation, deactivation, concurrency, ETags, errors).

use serde_json::{json, Value};

use crate::helpers::{on_both_backends, spawn_app, Backend};
use crate::scim_support::{urlencode, Scim, PATCH, USER};
use gatehouse::domain::TokenKind;

on_both_backends! {
    async fn users_round_trip_and_filters_are_exact(app: TestApp) {
        let scim = Scim::new(&app, "acme").await;
        let (status, created) = scim.post("/Users", json!({"schemas": [USER, "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
            "userName": "Alice@Example.com", "externalId": "okta-1", "password": "hunter2!",
            "name": {"givenName": "Alice", "familyName": "Smith"}, "title": "Engineer",
            "emails": [{"value": "alice@example.com", "type": "work", "primary": true}],
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "R&D", "employeeNumber": "42"}})).await;
        assert_eq!(status, 201, "{created}");
        assert!(created.get("password").is_none());
        assert_eq!(created["meta"]["resourceType"], "User");
        assert!(created["meta"]["location"].as_str().unwrap().starts_with(&app.address));
        let id = created["id"].as_str().unwrap();
        let (_, got) = scim.get(&format!("/Users/{id}")).await;
        assert_eq!(got["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]["department"], "R&D");
        assert_eq!(got["title"], "Engineer");
        scim.user("bob@example.com").await;

        for (filter, expected) in [
            (r#"userName eq "alice@example.com""#, 1), // case-insensitive
            (r#"externalId eq "okta-1""#, 1),
            (r#"externalId eq "OKTA-1""#, 0), // case-exact
            (r#"emails[type eq "work" and value co "@example.com"]"#, 2),
            (r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "R&D""#, 1),
            (r#"name.givenName sw "Al" or title pr"#, 1),
            (r#"not (userName eq "bob@example.com")"#, 1),
            (r#"userName eq "x\" or 1=1""#, 0),
            (r#"userName eq "x' OR '1'='1""#, 0),
            (r#"userName co "%""#, 0),
        ] {
            let (status, list) = scim.get(&format!("/Users?filter={}", urlencode(filter))).await;
            assert_eq!(status, 200, "{filter}: {list}");
            assert_eq!(list["totalResults"], expected, "{filter}");
        }
        let (status, err) = scim.get(&format!("/Users?filter={}", urlencode("nosuch eq 1"))).await;
        assert_eq!(status, 400);
        assert_eq!(err["scimType"], "invalidFilter");
        let (status, err) = scim.get(&format!("/Users?filter={}", urlencode("userName eq"))).await;
        assert_eq!((status, err["scimType"].as_str()), (400, Some("invalidFilter")));
        let (_, counted) = scim.get("/Users?count=0").await;
        assert_eq!(counted["totalResults"], 2);
        assert_eq!(counted["Resources"].as_array().unwrap().len(), 0);
        let (status, dup) = scim.post("/Users", json!({"schemas": [USER], "userName": "ALICE@example.com"})).await;
        assert_eq!((status, dup["scimType"].as_str()), (409, Some("uniqueness")), "{dup}");
    }

    async fn deactivating_a_user_denies_access_at_the_next_check(app: TestApp) {
        let scim = Scim::new(&app, "acme").await;
        let id = scim.user("dana@example.com").await;
        let (_, service) = app.issue_token("acme", TokenKind::Service).await;
        app.post("/v1/workspaces/acme/grants", &service, json!({"subject": {"type": "user", "id": "dana@example.com"},
            "role": "warehouse.read", "scope": {"type": "all"}})).await;
        let check = json!({"user": "dana@example.com", "action": "warehouse.read", "resource": {"type": "warehouse", "id": "w"}});
        assert_eq!(app.post("/v1/workspaces/acme/access/check", &service, check.clone()).await.1["allowed"], true);
        let (status, body) = scim.patch(&format!("/Users/{id}"), json!([{"op": "replace", "value": {"active": false}}])).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["active"], false);
        assert_eq!(app.post("/v1/workspaces/acme/access/check", &service, check.clone()).await.1["allowed"], false);
        // Still readable, by id and by filter.
        let (status, got) = scim.get(&format!("/Users/{id}")).await;
        assert_eq!((status, got["active"].as_bool()), (200, Some(false)));
        let (_, list) = scim.get(&format!("/Users?filter={}", urlencode("active eq false"))).await;
        assert_eq!(list["totalResults"], 1);
        // Entra's string boolean reactivates.
        scim.patch(&format!("/Users/{id}"), json!([{"op": "Replace", "path": "active", "value": "True"}])).await;
        assert_eq!(app.post("/v1/workspaces/acme/access/check", &service, check).await.1["allowed"], true);
    }

    async fn a_token_never_sees_another_workspaces_users_or_groups(app: TestApp) {
        let a = Scim::new(&app, "alpha").await;
        let b = Scim::new(&app, "beta").await;
        let user = b.user("zoe@example.com").await;
        let group = b.group("Beta Team").await;
        assert_eq!(a.get(&format!("/Users/{user}")).await.0, 404);
        assert_eq!(a.get(&format!("/Groups/{group}")).await.0, 404);
        assert_eq!(a.get("/Users").await.1["totalResults"], 0);
        assert_eq!(a.get("/Groups").await.1["totalResults"], 0);
        assert_eq!(a.get(&format!("/Users?filter={}", urlencode(r#"userName eq "zoe@example.com""#))).await.1["totalResults"], 0);
        assert_eq!(a.get(&format!("/Groups?filter={}", urlencode(&format!(r#"members.value eq "{user}""#)))).await.1["totalResults"], 0);
        let search = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "filter": "userName pr"});
        assert_eq!(a.post("/Users/.search", search.clone()).await.1["totalResults"], 0);
        assert_eq!(a.post("/.search", search).await.1["totalResults"], 0);
        assert_eq!(a.patch(&format!("/Users/{user}"), json!([{"op": "replace", "value": {"active": false}}])).await.0, 404);
        assert_eq!(a.send(reqwest::Method::DELETE, &format!("/Groups/{group}"), None).await.0, 404);
        let (_, bulk) = a.post("/Bulk", json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"], "Operations": [
            {"method": "PATCH", "path": format!("/Groups/{group}"), "data": {"schemas": [PATCH], "Operations": [{"op": "add", "path": "members", "value": [{"value": user}]}]}},
            {"method": "DELETE", "path": format!("/Users/{user}")}]})).await;
        assert_eq!(bulk["Operations"][0]["status"], "404", "{bulk}");
        assert_eq!(bulk["Operations"][1]["status"], "404", "{bulk}");
        // A's group cannot take B's user either.
        let mine = a.group("Alpha Team").await;
        let (status, _) = a.patch(&format!("/Groups/{mine}"), json!([{"op": "add", "path": "members", "value": [{"value": user}]}])).await;
        assert_eq!(status, 400);
        assert_eq!(b.get(&format!("/Users/{user}")).await.1["active"], true);
    }

    async fn authentication_errors_are_scim_errors(app: TestApp) {
        let scim = Scim::new(&app, "acme").await;
        let response = app.client.get(app.url("/scim/v2/Users")).send().await.unwrap();
        assert_eq!(response.status(), 401);
        assert_eq!(response.headers()["content-type"], "application/scim+json");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["schemas"][0], "urn:ietf:params:scim:api:messages:2.0:Error");
        assert_eq!(body["status"], "401");
        let tokens = app.store.list_tokens(Some("acme")).await.unwrap();
        app.store.revoke_token(tokens[0].id, &gatehouse::domain::Actor::Cli, None).await.unwrap();
        assert_eq!(scim.get("/Users").await.0, 403);
        let (service_id, service) = app.issue_token("acme", TokenKind::Service).await;
        let _ = service_id;
        let response = app.client.get(app.url("/scim/v2/Users")).bearer_auth(service).send().await.unwrap();
        assert_eq!(response.status(), 401, "a service token is not a SCIM token");
    }

    async fn unknown_paths_and_methods_are_scim_404_and_405(app: TestApp) {
        let scim = Scim::new(&app, "acme").await;
        assert_eq!(scim.get("/Nope").await.0, 404);
        assert_eq!(scim.send(reqwest::Method::DELETE, "/Users", None).await.0, 405);
        let (status, body) = scim.post("/Users", json!("not an object")).await;
        assert_eq!((status, body["scimType"].as_str()), (400, Some("invalidSyntax")));
        let (status, body) = scim.get("/ServiceProviderConfig").await;
        assert_eq!(status, 200);
        assert_eq!(body["patch"]["supported"], true);
        assert_eq!(scim.get("/Schemas").await.0, 200);
        assert_eq!(scim.get("/ResourceTypes/User").await.0, 200);
    }

    async fn etags_guard_updates(app: TestApp) {
        let scim = Scim::new(&app, "acme").await;
        let id = scim.user("eve@example.com").await;
        let response = app.client.get(app.url(&format!("/scim/v2/Users/{id}"))).bearer_auth(&scim.token).send().await.unwrap();
        let etag = response.headers()["etag"].to_str().unwrap().to_string();
        let stale = app.client.patch(app.url(&format!("/scim/v2/Users/{id}"))).bearer_auth(&scim.token)
            .header("If-Match", "W/\"999\"").header("content-type", "application/scim+json")
            .body(json!({"schemas": [PATCH], "Operations": [{"op": "replace", "path": "title", "value": "x"}]}).to_string())
            .send().await.unwrap();
        assert_eq!(stale.status(), 412);
        let fresh = app.client.patch(app.url(&format!("/scim/v2/Users/{id}"))).bearer_auth(&scim.token)
            .header("If-Match", &etag).header("content-type", "application/scim+json")
            .body(json!({"schemas": [PATCH], "Operations": [{"op": "replace", "path": "title", "value": "x"}]}).to_string())
            .send().await.unwrap();
        assert_eq!(fresh.status(), 200);
        let new_etag = fresh.headers()["etag"].to_str().unwrap().to_string();
        assert_ne!(new_etag, etag);
        let cached = app.client.get(app.url(&format!("/scim/v2/Users/{id}"))).bearer_auth(&scim.token)
            .header("If-None-Match", &new_etag).send().await.unwrap();
        assert_eq!(cached.status(), 304);
    }

    async fn group_members_land_in_the_grant_model(app: TestApp) {
        let scim = Scim::new(&app, "acme").await;
        let alice = scim.user("alice@example.com").await;
        let bob = scim.user("bob@example.com").await;
        let group = scim.group("Source Admins").await;
        let (status, _) = scim.patch(&format!("/Groups/{group}"), json!([{"op": "Add", "path": "members", "value": [{"value": alice}, {"value": bob}]}])).await;
        assert_eq!(status, 204);
        let (_, service) = app.issue_token("acme", TokenKind::Service).await;
        app.post("/v1/workspaces/acme/grants", &service, json!({"subject": {"type": "group", "id": group},
            "role": "source.admin", "scope": {"type": "all"}})).await;
        let check = |user: &str| json!({"user": user, "action": "source.create", "resource": {"type": "source"}});
        assert_eq!(app.post("/v1/workspaces/acme/access/check", &service, check("bob@example.com")).await.1["allowed"], true);
        let (status, _) = scim.patch(&format!("/Groups/{group}"), json!([{"op": "remove", "path": format!("members[value eq \"{bob}\"]")}])).await;
        assert_eq!(status, 204);
        assert_eq!(app.post("/v1/workspaces/acme/access/check", &service, check("bob@example.com")).await.1["allowed"], false);
        assert_eq!(app.post("/v1/workspaces/acme/access/check", &service, check("alice@example.com")).await.1["allowed"], true);
        let (_, got) = scim.get(&format!("/Groups/{group}")).await;
        assert_eq!(got["members"].as_array().unwrap().len(), 1);
        let (_, got) = scim.get(&format!("/Groups/{group}?excludedAttributes=members")).await;
        assert!(got.get("members").is_none());
        let (_, user) = scim.get(&format!("/Users/{alice}")).await;
        assert_eq!(user["groups"][0]["display"], "Source Admins");
    }

    async fn the_last_active_owner_cannot_be_deactivated_or_deleted(app: TestApp) {
        let scim = Scim::new(&app, "acme").await;
        let id = scim.user("owner@example.com").await;
        let (_, service) = app.issue_token("acme", TokenKind::Service).await;
        let (status, _) = app.call(reqwest::Method::PATCH, "/v1/workspaces/acme/members/owner@example.com", &service,
            Some(json!({"kind": "owner"}))).await;
        assert_eq!(status, 200);
        let (status, body) = scim.patch(&format!("/Users/{id}"), json!([{"op": "replace", "value": {"active": false}}])).await;
        assert_eq!(status, 409, "{body}");
        assert!(body["detail"].as_str().unwrap().contains("last active owner"));
        assert_eq!(scim.send(reqwest::Method::DELETE, &format!("/Users/{id}"), None).await.0, 409);
        assert_eq!(scim.get(&format!("/Users/{id}")).await.1["active"], true);
    }
}

#[tokio::test]
async fn fifty_concurrent_group_patches_lose_no_member() {
    let Some(app) = spawn_app(Backend::Postgres).await else {
        return;
    };
    let scim = Scim::new(&app, "acme").await;
    let mut users = Vec::new();
    for i in 0..50 {
        users.push(scim.user(&format!("user{i}@example.com")).await);
    }
    let group = scim.group("Everyone").await;
    let patches = users.iter().map(|user| {
        let scim = &scim;
        let group = &group;
        async move {
            scim.patch(
                &format!("/Groups/{group}"),
                json!([{"op": "Add", "path": "members", "value": [{"value": user}]}]),
            )
            .await
            .0
        }
    });
    let statuses = futures_util::future::join_all(patches).await;
    assert!(statuses.iter().all(|s| *s == 204), "{statuses:?}");
    let (_, got) = scim.get(&format!("/Groups/{group}")).await;
    assert_eq!(got["members"].as_array().unwrap().len(), 50);
}
