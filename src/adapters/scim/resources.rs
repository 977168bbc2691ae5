//! What Users and Groups share: the request context (workspace, caller, base URL), list
//! parameters (RFC 7644 §3.4.2), ListResponse bodies, `meta`, and validating a whole
//! document against its schema by running it through the PATCH engine (one set of type and
//! mutability rules for POST, PUT and PATCH).

use std::{future::Future, pin::Pin};

use actix_web::{dev::Payload, web, FromRequest, HttpRequest};
use serde_json::{json, Map, Value};
use uuid::Uuid;

use super::http::{etag, header_version, ScimPrincipal};
use crate::scim::error::ScimError;
use crate::scim::filter::{
    parse_filter, validate, AttrPath, ResolvedAttr, SchemaLookup, TypedFilter,
};
use crate::scim::patch::{apply, parse_patch, PATCH_OP_URN};
use crate::scim::projection::{parse_attribute_list, project};
use crate::scim::schema::{ResourceSchema, LIST_RESPONSE_URN};
use crate::{
    domain::Workspace,
    storage::{scim_filter::SortOrder, AuditedChange, ChangeContext, SideWrite},
    web::AppState,
};

/// Largest page a list returns (advertised in ServiceProviderConfig).
pub const MAX_RESULTS: i64 = 1_000;
/// Page size when the client does not say.
pub const DEFAULT_COUNT: i64 = 100;

/// Everything a SCIM operation needs: the store, the caller and its workspace. Extracted
/// from the request (bearer token first, then its workspace), so a handler starts with it.
pub struct ScimContext {
    pub state: web::Data<AppState>,
    pub principal: ScimPrincipal,
    pub workspace: Workspace,
    /// Absolute base of SCIM locations, e.g. `https://gatehouse.example.com/scim/v2`.
    pub base: String,
}

impl ScimContext {
    /// Loads the caller's workspace.
    pub async fn new(
        state: web::Data<AppState>,
        principal: ScimPrincipal,
    ) -> Result<Self, ScimError> {
        let workspace = state
            .store
            .workspace_by_slug(&principal.token.workspace_slug)
            .await?
            .ok_or_else(|| ScimError::unauthorized("the token's workspace no longer exists"))?;
        let base = format!("{}/scim/v2", state.settings.public_url);
        Ok(Self {
            state,
            principal,
            workspace,
            base,
        })
    }

    pub fn change_context(&self) -> ChangeContext {
        self.principal.change_context()
    }

    /// Commits access-model changes and the SCIM side writes together, audited as the token.
    pub async fn commit(
        &self,
        changes: Vec<AuditedChange>,
        sides: &[SideWrite],
    ) -> Result<i64, ScimError> {
        Ok(self
            .state
            .access
            .commit_with(&self.workspace, changes, &self.change_context(), sides)
            .await?)
    }
}

impl FromRequest for ScimContext {
    type Error = ScimError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ScimError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let principal = ScimPrincipal::from_request(req, payload);
        let state = req.app_data::<web::Data<AppState>>().cloned();
        Box::pin(async move {
            let principal = principal.await?;
            let state =
                state.ok_or_else(|| ScimError::new(500, None, "application state is missing"))?;
            Self::new(state, principal).await
        })
    }
}

/// A resource id from the URL; anything that is not one of our ids is simply not found.
pub fn parse_id(id: &str, what: &str) -> Result<Uuid, ScimError> {
    Uuid::parse_str(id).map_err(|_| ScimError::not_found(format!("{what} {id} not found")))
}

/// `meta` of a resource (RFC 7643 §3.1).
pub fn meta(
    resource_type: &str,
    location: String,
    created: chrono::DateTime<chrono::Utc>,
    last_modified: chrono::DateTime<chrono::Utc>,
    version: i64,
) -> Value {
    json!({
        "resourceType": resource_type,
        "created": created.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "lastModified": last_modified.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "location": location,
        "version": etag(version),
    })
}

/// The `If-Match` version, if the client sent one; a malformed one can never match.
pub fn if_match(req: &HttpRequest) -> Result<Option<i64>, ScimError> {
    match header_version(req, "if-match") {
        None => Ok(None),
        Some(Ok(v)) => Ok(Some(v)),
        Some(Err(())) => Err(ScimError::new(
            412,
            None,
            "If-Match names no version of this resource",
        )),
    }
}

/// Whether `If-None-Match` names the current version (answer 304).
pub fn not_modified(req: &HttpRequest, version: i64) -> bool {
    matches!(header_version(req, "if-none-match"), Some(Ok(v)) if v == version)
}

/// Validates a whole document (POST, PUT) against `schema`: read-only and out-of-band
/// attributes are dropped (RFC 7644 §3.3: read-only values are ignored), every other value is
/// type-checked and put under its canonical name by the PATCH engine.
pub fn validated_document(
    body: &Value,
    schema: &ResourceSchema,
    dropped: &[&str],
) -> Result<Value, ScimError> {
    let Value::Object(object) = body else {
        return Err(ScimError::invalid_syntax("the body must be a JSON object"));
    };
    schema.check_schemas(object.get("schemas"))?;
    let mut values = Map::new();
    for (key, value) in object {
        let lower = key.to_ascii_lowercase();
        let skip = ["schemas", "id", "meta"].contains(&lower.as_str())
            || dropped.iter().any(|d| d.eq_ignore_ascii_case(key));
        if !skip {
            values.insert(key.clone(), value.clone());
        }
    }
    let mut doc = json!({ "schemas": [schema.core.id] });
    if values.is_empty() {
        return Ok(doc);
    }
    let message = json!({
        "schemas": [PATCH_OP_URN],
        "Operations": [{ "op": "add", "value": Value::Object(values) }],
    });
    let ops = parse_patch(&message, schema)?;
    apply(&mut doc, &ops, schema)?;
    Ok(doc)
}

/// The document to store: what the client sent, without `id`, `meta` and the attributes
/// Gatehouse keeps elsewhere (`kept_elsewhere`).
pub fn stored_document(mut doc: Value, kept_elsewhere: &[&str]) -> Value {
    if let Some(object) = doc.as_object_mut() {
        for key in ["id", "meta"].iter().chain(kept_elsewhere) {
            object.remove(*key);
        }
    }
    doc
}

/// A required, non-empty string attribute of a validated document.
pub fn required_string(doc: &Value, name: &str) -> Result<String, ScimError> {
    match doc.get(name).and_then(Value::as_str).map(str::trim) {
        Some(s) if !s.is_empty() => Ok(s.to_string()),
        _ => Err(ScimError::invalid_value(format!("\"{name}\" is required"))),
    }
}

/// An optional string attribute of a validated document.
pub fn optional_string(doc: &Value, name: &str) -> Option<String> {
    doc.get(name).and_then(Value::as_str).map(str::to_string)
}

/// List parameters (RFC 7644 §3.4.2), from a query string or a SearchRequest body.
#[derive(Debug, Default)]
pub struct ListParams {
    pub filter: Option<TypedFilter>,
    pub sort: Option<(ResolvedAttr, SortOrder)>,
    /// 1-based (RFC 7644 §3.4.2.4).
    pub start_index: i64,
    pub count: i64,
    pub attributes: Option<Vec<AttrPath>>,
    pub excluded: Option<Vec<AttrPath>>,
}

impl ListParams {
    /// Reads the parameters from name/value pairs (query string or SearchRequest).
    pub fn parse(
        get: impl Fn(&str) -> Option<String>,
        schema: &ResourceSchema,
    ) -> Result<Self, ScimError> {
        let filter = match get("filter") {
            Some(text) if !text.trim().is_empty() => {
                Some(validate(parse_filter(&text)?, schema as &dyn SchemaLookup)?)
            }
            _ => None,
        };
        let order = match get("sortOrder").map(|s| s.to_ascii_lowercase()) {
            None => SortOrder::Ascending,
            Some(s) if s == "ascending" => SortOrder::Ascending,
            Some(s) if s == "descending" => SortOrder::Descending,
            Some(other) => {
                return Err(ScimError::invalid_value(format!(
                    "sortOrder must be ascending or descending, not {other:?}"
                )))
            }
        };
        let sort = match get("sortBy") {
            Some(name) if !name.trim().is_empty() => {
                let path = parse_attribute_list(&name)?
                    .into_iter()
                    .next()
                    .ok_or_else(|| ScimError::invalid_value("sortBy names no attribute"))?;
                let attr = schema.lookup(&path).ok_or_else(|| {
                    ScimError::invalid_value(format!("sortBy names an unknown attribute {name:?}"))
                })?;
                Some((attr, order))
            }
            _ => None,
        };
        let number = |name: &str, default: i64| -> Result<i64, ScimError> {
            match get(name) {
                None => Ok(default),
                Some(v) => v.trim().parse::<i64>().map_err(|_| {
                    ScimError::invalid_value(format!("{name} must be an integer, not {v:?}"))
                }),
            }
        };
        // RFC 7644 §3.4.2.4: values below 1 mean 1; a negative count means 0.
        let start_index = number("startIndex", 1)?.max(1);
        let count = number("count", DEFAULT_COUNT)?.clamp(0, MAX_RESULTS);
        let list = |name: &str| -> Result<Option<Vec<AttrPath>>, ScimError> {
            get(name).map(|v| parse_attribute_list(&v)).transpose()
        };
        Ok(Self {
            filter,
            sort,
            start_index,
            count,
            attributes: list("attributes")?,
            excluded: list("excludedAttributes")?,
        })
    }

    /// Applies `attributes` / `excludedAttributes` to a rendered resource.
    pub fn project(&self, doc: &Value, schema: &ResourceSchema) -> Value {
        if self.attributes.is_none() && self.excluded.is_none() {
            return doc.clone();
        }
        project(
            doc,
            schema,
            self.attributes.as_deref(),
            self.excluded.as_deref(),
        )
    }

    /// Whether the response will include `name` (so costly attributes such as a group's
    /// `members` are only read when they will be shown).
    pub fn wants(&self, name: &str) -> bool {
        let named = |list: &Option<Vec<AttrPath>>| {
            list.as_ref().map(|l| {
                l.iter()
                    .any(|p| p.name.eq_ignore_ascii_case(name) && p.sub.is_none())
            })
        };
        if named(&self.excluded) == Some(true) {
            return false;
        }
        match &self.attributes {
            None => true,
            Some(list) => list.iter().any(|p| p.name.eq_ignore_ascii_case(name)),
        }
    }
}

/// A ListResponse (RFC 7644 §3.4.2).
pub fn list_response(total: i64, start_index: i64, resources: Vec<Value>) -> Value {
    json!({
        "schemas": [LIST_RESPONSE_URN],
        "totalResults": total,
        "startIndex": start_index,
        "itemsPerPage": resources.len(),
        "Resources": resources,
    })
}
