//! SCIM error responses (RFC 7644 §3.12): an HTTP status, an optional
//! `scimType` keyword (Table 9) and a human-readable `detail`, rendered as the
//! `urn:ietf:params:scim:api:messages:2.0:Error` message.

use serde_json::{json, Value};

use crate::scim::filter::FilterError;

/// Schema URN of SCIM error messages (RFC 7644 §3.12).
pub const ERROR_URN: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

/// A SCIM protocol error (RFC 7644 §3.12).
///
/// `status` is the HTTP status code; `scim_type` is one of the keywords of
/// RFC 7644 §3.12, Table 9 (only meaningful with 400, 409 and 403);
/// `detail` is safe to show to the client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{status}{}: {detail}", scim_type.map(|t| format!(" {t}")).unwrap_or_default())]
pub struct ScimError {
    /// HTTP status code, e.g. 400.
    pub status: u16,
    /// `scimType` keyword (RFC 7644 §3.12, Table 9), e.g. `"invalidPath"`.
    pub scim_type: Option<&'static str>,
    /// Human-readable explanation.
    pub detail: String,
}

impl ScimError {
    /// An error with any status and `scimType`.
    pub fn new(status: u16, scim_type: Option<&'static str>, detail: impl Into<String>) -> Self {
        ScimError {
            status,
            scim_type,
            detail: detail.into(),
        }
    }

    fn bad_request(scim_type: &'static str, detail: impl Into<String>) -> Self {
        ScimError::new(400, Some(scim_type), detail)
    }

    /// 400 `invalidFilter`: the filter syntax was invalid or the attribute and
    /// comparison combination is not supported (RFC 7644 §3.12, Table 9).
    pub fn invalid_filter(detail: impl Into<String>) -> Self {
        ScimError::bad_request("invalidFilter", detail)
    }

    /// 400 `tooMany`: the query would return too many results (RFC 7644 §3.12).
    pub fn too_many(detail: impl Into<String>) -> Self {
        ScimError::bad_request("tooMany", detail)
    }

    /// 409 `uniqueness`: a value is already in use (RFC 7644 §3.12, §3.3).
    pub fn uniqueness(detail: impl Into<String>) -> Self {
        ScimError::new(409, Some("uniqueness"), detail)
    }

    /// 400 `mutability`: the modification is not compatible with the
    /// attribute's mutability (RFC 7644 §3.12; RFC 7643 §2.2).
    pub fn mutability(detail: impl Into<String>) -> Self {
        ScimError::bad_request("mutability", detail)
    }

    /// 400 `invalidSyntax`: the request body does not follow the message
    /// schema (RFC 7644 §3.12).
    pub fn invalid_syntax(detail: impl Into<String>) -> Self {
        ScimError::bad_request("invalidSyntax", detail)
    }

    /// 400 `invalidPath`: a PATCH `path` is malformed or names an unknown
    /// attribute (RFC 7644 §3.12, §3.5.2).
    pub fn invalid_path(detail: impl Into<String>) -> Self {
        ScimError::bad_request("invalidPath", detail)
    }

    /// 400 `noTarget`: the path did not yield an attribute or value that
    /// could be operated on (RFC 7644 §3.12, §3.5.2.2).
    pub fn no_target(detail: impl Into<String>) -> Self {
        ScimError::bad_request("noTarget", detail)
    }

    /// 400 `invalidValue`: a required value is missing or a value does not
    /// fit the operation or attribute type (RFC 7644 §3.12).
    pub fn invalid_value(detail: impl Into<String>) -> Self {
        ScimError::bad_request("invalidValue", detail)
    }

    /// 400 `invalidVers`: unsupported SCIM protocol version (RFC 7644 §3.12).
    pub fn invalid_vers(detail: impl Into<String>) -> Self {
        ScimError::bad_request("invalidVers", detail)
    }

    /// 403 `sensitive`: the request cannot be completed because it would
    /// expose sensitive information, e.g. in the URI (RFC 7644 §3.12, §7.5.2).
    pub fn sensitive(detail: impl Into<String>) -> Self {
        ScimError::new(403, Some("sensitive"), detail)
    }

    /// 401 Unauthorized (RFC 7644 §3.12, §2).
    pub fn unauthorized(detail: impl Into<String>) -> Self {
        ScimError::new(401, None, detail)
    }

    /// 403 Forbidden (RFC 7644 §3.12).
    pub fn forbidden(detail: impl Into<String>) -> Self {
        ScimError::new(403, None, detail)
    }

    /// 404 Not Found: unknown resource or endpoint (RFC 7644 §3.12).
    pub fn not_found(detail: impl Into<String>) -> Self {
        ScimError::new(404, None, detail)
    }

    /// 409 Conflict without `scimType`, e.g. a version conflict on create
    /// (RFC 7644 §3.12).
    pub fn conflict(detail: impl Into<String>) -> Self {
        ScimError::new(409, None, detail)
    }

    /// 412 Precondition Failed: `If-Match` did not match (RFC 7644 §3.12,
    /// §3.14).
    pub fn precondition_failed(detail: impl Into<String>) -> Self {
        ScimError::new(412, None, detail)
    }

    /// 413 Payload Too Large (RFC 7644 §3.12, §3.7.4).
    pub fn payload_too_large(detail: impl Into<String>) -> Self {
        ScimError::new(413, None, detail)
    }

    /// 500 Internal Server Error (RFC 7644 §3.12).
    pub fn internal(detail: impl Into<String>) -> Self {
        ScimError::new(500, None, detail)
    }

    /// 501 Not Implemented: unsupported operation (RFC 7644 §3.12).
    pub fn not_implemented(detail: impl Into<String>) -> Self {
        ScimError::new(501, None, detail)
    }

    /// The same error with `prefix: ` put in front of the detail.
    pub fn context(mut self, prefix: impl std::fmt::Display) -> Self {
        self.detail = format!("{prefix}: {}", self.detail);
        self
    }

    /// The error message of RFC 7644 §3.12: `schemas`, `status` (a string, as
    /// in the RFC's examples), `scimType` when set, and `detail`.
    pub fn to_json(&self) -> Value {
        let mut body = json!({
            "schemas": [ERROR_URN],
            "status": self.status.to_string(),
            "detail": self.detail,
        });
        if let Some(scim_type) = self.scim_type {
            body["scimType"] = Value::from(scim_type);
        }
        body
    }
}

/// Filter errors are `400 invalidFilter`, PATCH path errors `400 invalidPath`
/// (RFC 7644 §3.12, as chosen by [`FilterError::scim_type`]).
impl From<FilterError> for ScimError {
    fn from(err: FilterError) -> Self {
        ScimError::bad_request(err.scim_type(), err.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::filter::{parse_filter, parse_patch_path};

    #[test]
    fn constructors_have_rfc_status_and_type() {
        let table: [(ScimError, u16, Option<&str>); 18] = [
            (ScimError::invalid_filter("x"), 400, Some("invalidFilter")),
            (ScimError::too_many("x"), 400, Some("tooMany")),
            (ScimError::uniqueness("x"), 409, Some("uniqueness")),
            (ScimError::mutability("x"), 400, Some("mutability")),
            (ScimError::invalid_syntax("x"), 400, Some("invalidSyntax")),
            (ScimError::invalid_path("x"), 400, Some("invalidPath")),
            (ScimError::no_target("x"), 400, Some("noTarget")),
            (ScimError::invalid_value("x"), 400, Some("invalidValue")),
            (ScimError::invalid_vers("x"), 400, Some("invalidVers")),
            (ScimError::sensitive("x"), 403, Some("sensitive")),
            (ScimError::unauthorized("x"), 401, None),
            (ScimError::forbidden("x"), 403, None),
            (ScimError::not_found("x"), 404, None),
            (ScimError::conflict("x"), 409, None),
            (ScimError::precondition_failed("x"), 412, None),
            (ScimError::payload_too_large("x"), 413, None),
            (ScimError::internal("x"), 500, None),
            (ScimError::not_implemented("x"), 501, None),
        ];
        for (err, status, scim_type) in table {
            assert_eq!((err.status, err.scim_type), (status, scim_type), "{err}");
            assert_eq!(err.detail, "x");
        }
    }

    #[test]
    fn json_has_string_status_and_optional_type() {
        let err = ScimError::invalid_path("no such attribute");
        assert_eq!(
            err.to_json(),
            json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
                "status": "400",
                "scimType": "invalidPath",
                "detail": "no such attribute",
            })
        );
        let body = ScimError::not_found("Resource 2819c223 not found").to_json();
        assert_eq!(body["status"], "404");
        assert!(body.get("scimType").is_none());
    }

    #[test]
    fn filter_errors_convert() {
        let err: ScimError = parse_filter("userName eq").unwrap_err().into();
        assert_eq!((err.status, err.scim_type), (400, Some("invalidFilter")));
        let err: ScimError = parse_patch_path("emails[").unwrap_err().into();
        assert_eq!((err.status, err.scim_type), (400, Some("invalidPath")));
        assert!(err.detail.starts_with("invalid path"), "{}", err.detail);
    }

    #[test]
    fn display_and_context() {
        let err = ScimError::no_target("nothing matched").context("operation 2");
        assert_eq!(err.detail, "operation 2: nothing matched");
        assert_eq!(
            err.to_string(),
            "400 noTarget: operation 2: nothing matched"
        );
        assert_eq!(ScimError::not_found("gone").to_string(), "404: gone");
    }
}
