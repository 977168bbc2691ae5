//! The SCIM client the SCIM integration tests share: a workspace with a SCIM token, JSON
//! calls answering (status, body), and helpers to create Users and Groups.

use serde_json::{json, Value};

use crate::helpers::TestApp;
use gatehouse::domain::TokenKind;

pub const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
pub const PATCH: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

pub struct Scim<'a> {
    pub app: &'a TestApp,
    pub token: String,
}

impl<'a> Scim<'a> {
    pub async fn new(app: &'a TestApp, slug: &str) -> Scim<'a> {
        app.create_workspace(slug).await;
        let (_, token) = app.issue_token(slug, TokenKind::Scim).await;
        Scim { app, token }
    }

    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut req = self
            .app
            .client
            .request(method, self.app.url(&format!("/scim/v2{path}")))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            req = req
                .header("content-type", "application/scim+json")
                .body(body.to_string());
        }
        let response = req.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        self.send(reqwest::Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.send(reqwest::Method::POST, path, Some(body)).await
    }

    pub async fn patch(&self, path: &str, ops: Value) -> (u16, Value) {
        self.send(
            reqwest::Method::PATCH,
            path,
            Some(json!({"schemas": [PATCH], "Operations": ops})),
        )
        .await
    }

    pub async fn user(&self, user_name: &str) -> String {
        let (status, body) = self
            .post(
                "/Users",
                json!({"schemas": [USER], "userName": user_name,
            "name": {"givenName": "G", "familyName": "F"},
            "emails": [{"value": user_name, "type": "work", "primary": true}], "active": true}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        body["id"].as_str().unwrap().to_string()
    }

    pub async fn group(&self, name: &str) -> String {
        let (status, body) = self
            .post(
                "/Groups",
                json!({"schemas": [GROUP], "displayName": name, "members": []}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        body["id"].as_str().unwrap().to_string()
    }
}

/// Percent-encodes a query-string value.
pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
