//! The grant model through the admin and access APIs: every rule of the brief's §1, on both
//! backends.

use serde_json::{json, Value};

use crate::helpers::{on_both_backends, TestApp};

/// A small DSL over the API for one workspace.
struct Ws<'a> {
    app: &'a TestApp,
    slug: String,
    token: String,
}

impl<'a> Ws<'a> {
    async fn new(app: &'a TestApp, slug: &str) -> Ws<'a> {
        let token = app.workspace_with_token(slug).await;
        Ws {
            app,
            slug: slug.into(),
            token,
        }
    }

    fn path(&self, rest: &str) -> String {
        format!("/v1/workspaces/{}{rest}", self.slug)
    }

    async fn post(&self, rest: &str, body: Value) -> (u16, Value) {
        self.app.post(&self.path(rest), &self.token, body).await
    }

    async fn ok(&self, rest: &str, body: Value) -> Value {
        let (status, body) = self.post(rest, body).await;
        assert!(status == 200 || status == 201, "{rest}: {status} {body}");
        body
    }

    async fn source(&self, id: &str) {
        self.ok(
            "/resources",
            json!({"type": "source", "id": id, "name": id}),
        )
        .await;
    }

    async fn destination(&self, id: &str, source: &str) {
        self.ok(
            "/resources",
            json!({"type": "destination", "id": id, "name": id,
            "parent": {"type": "source", "id": source}}),
        )
        .await;
    }

    async fn member(&self, email: &str) -> String {
        let body = self.ok("/members", json!({"email": email})).await;
        body["member"]["id"].as_str().unwrap().to_string()
    }

    async fn owner(&self, email: &str) -> String {
        let body = self
            .ok("/members", json!({"email": email, "kind": "owner"}))
            .await;
        body["member"]["id"].as_str().unwrap().to_string()
    }

    async fn grant(&self, user: &str, role: &str, scope: Value) -> (u16, Value) {
        self.post(
            "/grants",
            json!({"subject": {"type": "user", "id": user}, "role": role, "scope": scope}),
        )
        .await
    }

    async fn grant_ok(&self, user: &str, role: &str, scope: Value) -> Value {
        let (status, body) = self.grant(user, role, scope).await;
        assert_eq!(status, 201, "{body}");
        body
    }

    async fn group(&self, name: &str) -> String {
        let body = self.ok("/groups", json!({"display_name": name})).await;
        body["group"]["id"].as_str().unwrap().to_string()
    }

    async fn check(&self, user: &str, action: &str, rtype: &str, id: &str) -> bool {
        let body = self
            .ok(
                "/access/check",
                json!({"user": user, "action": action,
            "resource": {"type": rtype, "id": id}}),
            )
            .await;
        body["allowed"].as_bool().unwrap()
    }
}

fn all() -> Value {
    json!({"type": "all"})
}

fn instance(id: &str) -> Value {
    json!({"type": "instance", "resource": {"type": "source", "id": id}})
}

on_both_backends! {
    async fn source_admin_on_ios_prod_only_may_update_it_and_its_destinations(app: TestApp) {
        let ws = Ws::new(&app, "acme").await;
        ws.source("ios-prod").await;
        ws.source("android-prod").await;
        ws.destination("ios-to-warehouse", "ios-prod").await;
        ws.member("alice@example.com").await;
        ws.grant_ok("alice@example.com", "source.admin", instance("ios-prod")).await;
        let alice = "alice@example.com";
        assert!(ws.check(alice, "source.update", "source", "ios-prod").await);
        assert!(ws.check(alice, "source.read", "source", "ios-prod").await);
        assert!(ws.check(alice, "destination.update", "destination", "ios-to-warehouse").await);
        assert!(!ws.check(alice, "source.update", "source", "android-prod").await);
        assert!(!ws.check(alice, "source.create", "source", "").await);

        ws.member("bob@example.com").await;
        ws.grant_ok("bob@example.com", "source.admin", all()).await;
        assert!(ws.check("bob@example.com", "source.create", "source", "").await);
        assert!(ws.check("bob@example.com", "source.update", "source", "a-future-source").await);
    }

    async fn roles_are_additive_across_direct_and_group_grants(app: TestApp) {
        let ws = Ws::new(&app, "acme").await;
        ws.source("ios-prod").await;
        ws.member("carol@example.com").await;
        ws.grant_ok("carol@example.com", "source.read", all()).await;
        let group = ws.group("Warehouse Admins").await;
        ws.ok(&format!("/groups/{group}/members"), json!({"member": "carol@example.com"})).await;
        let (status, _) = ws.post("/grants", json!({"subject": {"type": "group", "id": group},
            "role": "warehouse.admin", "scope": all()})).await;
        assert_eq!(status, 201);
        let carol = "carol@example.com";
        assert!(ws.check(carol, "source.read", "source", "ios-prod").await);
        assert!(ws.check(carol, "warehouse.update", "warehouse", "wh-1").await);
        assert!(!ws.check(carol, "source.update", "source", "ios-prod").await);
        let explained = ws.ok("/access/explain", json!({"user": carol, "action": "warehouse.read",
            "resource": {"type": "warehouse", "id": "wh-1"}})).await;
        assert_eq!(explained["allowed"], true);
        assert_eq!(explained["via"][0]["role"], "warehouse.admin");
        assert_eq!(explained["via"][0]["through"]["type"], "group");
        assert_eq!(explained["via"][0]["through"]["display_name"], "Warehouse Admins");

        // Leaving the group takes its roles away at the next check.
        let (status, _) = app.delete(&ws.path(&format!("/groups/{group}/members/{carol}")), &ws.token).await;
        assert_eq!(status, 200);
        assert!(!ws.check(carol, "warehouse.read", "warehouse", "wh-1").await);
        assert!(ws.check(carol, "source.read", "source", "ios-prod").await);
    }

    async fn an_admin_role_includes_its_read_only_counterpart(app: TestApp) {
        let ws = Ws::new(&app, "acme").await;
        ws.member("dan@example.com").await;
        for role in ["warehouse.admin", "protocols.admin", "personas.admin"] {
            ws.grant_ok("dan@example.com", role, all()).await;
        }
        assert!(ws.check("dan@example.com", "warehouse.read", "warehouse", "w").await);
        assert!(ws.check("dan@example.com", "tracking_plan.read", "tracking_plan", "t").await);
        assert!(ws.check("dan@example.com", "personas_space.read", "personas_space", "p").await);
    }

    async fn roles_of_products_not_enabled_cannot_be_granted(app: TestApp) {
        app.store.create_workspace(gatehouse::domain::NewWorkspace {
            slug: "lean".into(), name: "Lean".into(),
            products: vec![gatehouse::access::Product::Sources], domains: vec![],
        }, &gatehouse::domain::Actor::Cli, None).await.unwrap();
        let token = app.issue_token("lean", gatehouse::domain::TokenKind::Service).await.1;
        let ws = Ws { app: &app, slug: "lean".into(), token };
        ws.member("erin@example.com").await;
        let (status, body) = ws.grant("erin@example.com", "personas.read", all()).await;
        assert_eq!(status, 400, "{body}");
        assert!(body["error"]["message"].as_str().unwrap().contains("personas"), "{body}");
        let (status, _) = ws.grant("erin@example.com", "source.read", all()).await;
        assert_eq!(status, 201);
    }

    async fn only_source_roles_take_an_instance_scope_and_only_on_registered_sources(app: TestApp) {
        let ws = Ws::new(&app, "acme").await;
        ws.source("ios-prod").await;
        ws.member("fay@example.com").await;
        let (status, _) = ws.grant("fay@example.com", "warehouse.read", instance("ios-prod")).await;
        assert_eq!(status, 400);
        let (status, _) = ws.grant("fay@example.com", "source.read", instance("nope")).await;
        assert_eq!(status, 400);
        let (status, _) = ws.grant("fay@example.com", "workspace.owner", all()).await;
        assert_eq!(status, 400);
        let (status, _) = ws.grant("fay@example.com", "source.superuser", all()).await;
        assert_eq!(status, 400);
    }

    async fn an_inactive_membership_confers_nothing_and_reactivation_restores_it(app: TestApp) {
        let ws = Ws::new(&app, "acme").await;
        ws.member("gus@example.com").await;
        ws.grant_ok("gus@example.com", "source.admin", all()).await;
        assert!(ws.check("gus@example.com", "source.update", "source", "s").await);
        let (status, body) = app.call(reqwest::Method::PATCH, &ws.path("/members/gus@example.com"),
            &ws.token, Some(json!({"active": false}))).await;
        assert_eq!(status, 200, "{body}");
        assert!(!ws.check("gus@example.com", "source.update", "source", "s").await);
        assert!(!ws.check("gus@example.com", "workspace.sign_in", "workspace", "").await);
        let explained = ws.ok("/access/explain", json!({"user": "gus@example.com",
            "action": "source.update", "resource": {"type": "source", "id": "s"}})).await;
        assert_eq!(explained["reason"], "inactive");
        app.call(reqwest::Method::PATCH, &ws.path("/members/gus@example.com"),
            &ws.token, Some(json!({"active": true}))).await;
        assert!(ws.check("gus@example.com", "source.update", "source", "s").await);
    }

    async fn a_member_without_grants_can_only_sign_in(app: TestApp) {
        let ws = Ws::new(&app, "acme").await;
        ws.source("ios-prod").await;
        ws.member("hal@example.com").await;
        assert!(ws.check("hal@example.com", "workspace.sign_in", "workspace", "").await);
        assert!(!ws.check("hal@example.com", "source.read", "source", "ios-prod").await);
        assert!(!ws.check("hal@example.com", "warehouse.read", "warehouse", "w").await);
        assert!(!ws.check("nobody@example.com", "workspace.sign_in", "workspace", "").await);
    }

    async fn owners_may_do_everything_and_only_owners_may_invite(app: TestApp) {
        let ws = Ws::new(&app, "acme").await;
        ws.owner("olga@example.com").await;
        ws.member("ivan@example.com").await;
        ws.grant_ok("ivan@example.com", "source.admin", all()).await;
        for (action, rtype) in [("workspace.invite", "workspace"), ("source.create", "source"),
                                ("personas_settings.update", "personas_settings")] {
            assert!(ws.check("olga@example.com", action, rtype, "").await, "{action}");
        }
        assert!(!ws.check("ivan@example.com", "workspace.invite", "workspace", "").await);
    }

    async fn the_last_active_owner_cannot_be_removed_or_deactivated(app: TestApp) {
        let ws = Ws::new(&app, "acme").await;
        ws.owner("olga@example.com").await;
        let (status, body) = app.call(reqwest::Method::PATCH, &ws.path("/members/olga@example.com"),
            &ws.token, Some(json!({"active": false}))).await;
        assert_eq!(status, 409, "{body}");
        let (status, _) = app.delete(&ws.path("/members/olga@example.com"), &ws.token).await;
        assert_eq!(status, 409);
        ws.owner("pat@example.com").await;
        let (status, _) = app.delete(&ws.path("/members/olga@example.com"), &ws.token).await;
        assert_eq!(status, 200);
    }

    async fn list_resources_says_all_or_lists_every_instance(app: TestApp) {
        let ws = Ws::new(&app, "acme").await;
        for i in 0..25 {
            ws.source(&format!("src-{i:02}")).await;
        }
        ws.member("jo@example.com").await;
        for i in 0..25 {
            ws.grant_ok("jo@example.com", "source.read", instance(&format!("src-{i:02}"))).await;
        }
        let mut ids = Vec::new();
        let mut cursor = Value::Null;
        loop {
            let page = ws.ok("/access/resources", json!({"user": "jo@example.com",
                "action": "source.read", "resource_type": "source", "limit": 10, "cursor": cursor})).await;
            assert_eq!(page["all"], false);
            ids.extend(page["ids"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()));
            cursor = page["next_cursor"].clone();
            if cursor.is_null() { break; }
        }
        assert_eq!(ids.len(), 25);
        ws.grant_ok("jo@example.com", "source.read", all()).await;
        let page = ws.ok("/access/resources", json!({"user": "jo@example.com",
            "action": "source.read", "resource_type": "source"})).await;
        assert_eq!(page["all"], true);

        let subjects = ws.ok("/access/subjects", json!({"action": "source.read",
            "resource": {"type": "source", "id": "src-01"}})).await;
        assert_eq!(subjects["members"].as_array().unwrap().len(), 1);
    }

    async fn every_change_bumps_the_revision_is_audited_and_in_the_change_feed(app: TestApp) {
        let ws = Ws::new(&app, "acme").await;
        let r1 = ws.ok("/resources", json!({"type": "source", "id": "s1", "name": "S1"})).await["revision"].as_i64().unwrap();
        ws.member("kim@example.com").await;
        let grant = ws.grant_ok("kim@example.com", "source.admin", instance("s1")).await;
        let (status, removed) = app.delete(&ws.path(&format!("/grants/{}", grant["id"].as_str().unwrap())), &ws.token).await;
        assert_eq!(status, 200);
        let r4 = removed["revision"].as_i64().unwrap();
        assert_eq!(r4, r1 + 3);
        let (_, feed) = app.get_json(&ws.path(&format!("/changes?after_revision={r1}")), &ws.token).await;
        let kinds: Vec<&str> = feed["changes"].as_array().unwrap().iter()
            .map(|c| c["change"]["kind"].as_str().unwrap()).collect();
        assert_eq!(kinds, ["member_upserted", "grant_added", "grant_removed"]);
        let (_, audit) = app.get_json(&ws.path("/audit"), &ws.token).await;
        let last = audit["entries"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(last["action"], "grant.delete");
        assert_eq!(last["before"]["role"], "source.admin");
        assert_eq!(last["actor"]["type"], "token");
        assert!(last["request_id"].is_string());
        // A revision from the future is refused rather than silently answered.
        let (status, _) = ws.post("/access/check", json!({"user": "kim@example.com", "action": "source.read",
            "resource": {"type": "source", "id": "s1"}, "at_least_revision": r4 + 100})).await;
        assert_eq!(status, 400);
    }

    async fn a_token_of_workspace_a_gets_404_for_everything_of_workspace_b(app: TestApp) {
        // B first: it verifies example.com, the domain of its people.
        let b = Ws::new(&app, "beta").await;
        let a = Ws::new(&app, "alpha").await;
        b.source("b-src").await;
        let member = b.member("zed@example.com").await;
        let group = b.group("B Team").await;
        let grant = b.grant_ok("zed@example.com", "source.read", all()).await;
        let grant = grant["id"].as_str().unwrap();
        let gets = [
            "".to_string(), "/audit".into(), "/changes".into(), "/resources".into(),
            "/resources/source/b-src".into(), "/members".into(), format!("/members/{member}"),
            "/members/zed@example.com".into(), "/groups".into(), format!("/groups/{group}"),
            format!("/groups/{group}/members"), "/grants".into(), format!("/grants?subject=user:{member}"),
            format!("/users/{member}/permissions"), "/invites".into(),
        ];
        for rest in &gets {
            let (status, _) = app.get_json(&b.path(rest), &a.token).await;
            assert_eq!(status, 404, "GET {rest}");
        }
        let posts = [
            ("/resources", json!({"type": "source", "id": "x", "name": "x"})),
            ("/members", json!({"email": "mallory@example.com"})),
            ("/groups", json!({"display_name": "Evil"})),
            (&*format!("/groups/{group}/members"), json!({"member": "zed@example.com"})),
            ("/grants", json!({"subject": {"type": "user", "id": member}, "role": "source.admin", "scope": all()})),
            ("/access/check", json!({"user": member, "action": "source.read", "resource": {"type": "source", "id": "b-src"}})),
            ("/access/check-batch", json!({"checks": []})),
            ("/access/explain", json!({"user": member, "action": "source.read", "resource": {"type": "source", "id": "b-src"}})),
            ("/access/resources", json!({"user": member, "action": "source.read", "resource_type": "source"})),
            ("/access/subjects", json!({"action": "source.read", "resource": {"type": "source", "id": "b-src"}})),
            ("/invites", json!({"email": "x@example.com", "invited_by": member})),
            ("/invites/accept", json!({"code": "gh_invite_nope"})),
        ];
        for (rest, body) in posts {
            let (status, _) = app.post(&b.path(rest), &a.token, body).await;
            assert_eq!(status, 404, "POST {rest}");
        }
        let deletes = [
            "/resources/source/b-src".to_string(), format!("/members/{member}"), format!("/groups/{group}"),
            format!("/groups/{group}/members/{member}"), format!("/grants/{grant}"),
            format!("/invites/{}", uuid::Uuid::new_v4()),
        ];
        for rest in &deletes {
            let (status, _) = app.delete(&b.path(rest), &a.token).await;
            assert_eq!(status, 404, "DELETE {rest}");
        }
        let (status, _) = app.call(reqwest::Method::PATCH, &b.path(&format!("/members/{member}")),
            &a.token, Some(json!({"active": false}))).await;
        assert_eq!(status, 404);
        // And workspace A's own objects never include B's.
        let (_, members) = app.get_json(&a.path("/members"), &a.token).await;
        assert_eq!(members["members"].as_array().unwrap().len(), 0);
        // Nothing of B changed.
        assert!(b.check("zed@example.com", "source.read", "source", "b-src").await);
    }

    async fn batches_answer_in_order_and_are_bounded(app: TestApp) {
        let ws = Ws::new(&app, "acme").await;
        ws.source("s1").await;
        ws.member("lee@example.com").await;
        ws.grant_ok("lee@example.com", "source.read", instance("s1")).await;
        let check = |action: &str| json!({"user": "lee@example.com", "action": action, "resource": {"type": "source", "id": "s1"}});
        let body = ws.ok("/access/check-batch", json!({"checks": [check("source.read"), check("source.update"), check("source.read")]})).await;
        let allowed: Vec<bool> = body["results"].as_array().unwrap().iter().map(|r| r["allowed"].as_bool().unwrap()).collect();
        assert_eq!(allowed, [true, false, true]);
        let too_many: Vec<Value> = (0..1001).map(|_| check("source.read")).collect();
        let (status, _) = ws.post("/access/check-batch", json!({"checks": too_many})).await;
        assert_eq!(status, 400);
        // Past the body limit (256 KiB in tests) the answer is 413 in the error envelope.
        let huge: Vec<Value> = (0..5000).map(|_| check("source.read")).collect();
        let (status, body) = ws.post("/access/check-batch", json!({"checks": huge})).await;
        assert_eq!(status, 413, "{body}");
        assert_eq!(body["error"]["code"], "payload_too_large");
    }
}
