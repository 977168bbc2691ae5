//! What the `/v1` API answers, as types: the access model's objects as callers see them, the
//! list pages and the error envelope. The OpenAPI document is generated from these (and from
//! the request types beside each handler), so it cannot drift from what is served.

use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::access::{
    Grant, GrantOrigin, GroupInfo, Member, MemberKind, Resource, ResourceRef, Scope, Subject,
};

/// A membership: the workspace's name for the person, never their global account.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MemberView {
    /// Membership id (the subject of direct grants).
    pub id: Uuid,
    /// The workspace's name for the person.
    pub email: String,
    /// `owner` or `member`.
    #[schema(value_type = String, example = "member")]
    pub kind: MemberKind,
    /// An inactive membership confers nothing.
    pub active: bool,
    /// The person has not accepted the membership yet (it confers nothing until then).
    pub awaiting_consent: bool,
}

impl From<&Member> for MemberView {
    fn from(m: &Member) -> Self {
        MemberView {
            id: m.id,
            email: m.email.clone(),
            kind: m.kind,
            active: m.active,
            awaiting_consent: m.awaiting_consent,
        }
    }
}

/// A group of the workspace.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GroupView {
    pub id: Uuid,
    pub display_name: String,
    /// The identity provider's id of the group, when it came from one.
    pub external_id: Option<String>,
}

impl From<&GroupInfo> for GroupView {
    fn from(g: &GroupInfo) -> Self {
        GroupView {
            id: g.id,
            display_name: g.display_name.clone(),
            external_id: g.external_id.clone(),
        }
    }
}

/// A resource instance another service registered.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ResourceView {
    /// `source`, `destination`, `warehouse`, `tracking_plan` or `personas_space`.
    #[serde(rename = "type")]
    pub resource_type: String,
    pub id: String,
    pub name: String,
    /// A destination's source: `{type, id}`.
    #[schema(value_type = Option<Object>)]
    pub parent: Option<ResourceRef>,
}

impl From<&Resource> for ResourceView {
    fn from(r: &Resource) -> Self {
        ResourceView {
            resource_type: r.resource_type.clone(),
            id: r.id.clone(),
            name: r.name.clone(),
            parent: r.parent.clone(),
        }
    }
}

/// A role given to a member or a group, on every current and future instance or on one.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GrantView {
    pub id: Uuid,
    /// `{"type": "user"|"group", "id": <membership or group id>}`.
    #[schema(value_type = Object)]
    pub subject: Subject,
    /// A role key of the catalog, e.g. `source.admin`.
    pub role: String,
    /// `{"type": "all"}` or `{"type": "instance", "resource": {"type", "id"}}`.
    #[schema(value_type = Object)]
    pub scope: Scope,
    /// Where the grant came from: `{"type": "manual"|"legacy"|"scim"|"invite"}` or
    /// `{"type": "rule", "id": <rule id>}`.
    #[schema(value_type = Object)]
    pub origin: GrantOrigin,
}

impl From<&Grant> for GrantView {
    fn from(g: &Grant) -> Self {
        GrantView {
            id: g.id,
            subject: g.subject,
            role: g.role.clone(),
            scope: g.scope.clone(),
            origin: g.origin,
        }
    }
}

/// The workspace revision a write produced (pass it as `at_least_revision` to the access
/// API to get answers that include the write, on any instance).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Revision {
    pub revision: i64,
}

/// What a create (or update) answers: the object's fields, the `revision` the write produced,
/// and the same object under its old wrapper key, kept one release for earlier callers.
macro_rules! written {
    ($name:ident, $view:ty, $legacy_key:literal) => {
        #[derive(Debug, Serialize, ToSchema)]
        pub struct $name {
            #[serde(flatten)]
            pub object: $view,
            pub revision: i64,
            /// The same object (deprecated; kept one release).
            #[schema(deprecated)]
            #[serde(rename = $legacy_key)]
            pub legacy: $view,
        }

        impl $name {
            pub fn new(object: $view, revision: i64) -> Self {
                $name {
                    legacy: object.clone(),
                    object,
                    revision,
                }
            }
        }
    };
}

written!(MemberWritten, MemberView, "member");
written!(GroupWritten, GroupView, "group");
written!(ResourceWritten, ResourceView, "resource");
written!(GrantWritten, GrantView, "grant");

/// Every error: `{"error": {code, message, request_id}}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorEnvelope {
    pub error: ErrorBody,
}

/// The error itself.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// A stable code: `bad_request`, `unauthorized`, `forbidden`, `not_found`, `conflict`,
    /// `precondition_failed`, `payload_too_large`, `unavailable`, `internal`.
    pub code: String,
    pub message: String,
    /// The request id (also in `X-Request-Id`) to quote.
    pub request_id: Option<String>,
}
