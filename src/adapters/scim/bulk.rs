//! Bulk (RFC 7644 §3.7): up to [`BULK_MAX_OPERATIONS`] operations in order, `bulkId`
//! references resolved as resources are created (`"bulkId:alice"` in a path or anywhere in
//! `data` becomes the new id), stopping after `failOnErrors` failures. Each operation is its
//! own transaction, as the RFC allows; a failed one leaves nothing behind.

use std::collections::HashMap;

use serde_json::{json, Value};

use super::{
    http::require_schema,
    kind::{Groups, ScimKind, Users},
    resources::ScimContext,
    routes::BULK_MAX_OPERATIONS,
};
use crate::scim::error::ScimError;

const BULK_REQUEST_URN: &str = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";
const BULK_RESPONSE_URN: &str = "urn:ietf:params:scim:api:messages:2.0:BulkResponse";

/// Replaces every `bulkId:x` string (whole value) with the id created for `x`.
fn resolve(value: &mut Value, ids: &HashMap<String, String>) -> Result<(), ScimError> {
    match value {
        Value::String(s) => {
            if let Some(key) = s.strip_prefix("bulkId:") {
                let id = ids.get(key).ok_or_else(|| {
                    ScimError::conflict(format!(
                        "bulkId {key:?} does not name an earlier operation's resource"
                    ))
                })?;
                *s = id.clone();
            }
        }
        Value::Array(items) => items.iter_mut().try_for_each(|v| resolve(v, ids))?,
        Value::Object(map) => map.values_mut().try_for_each(|v| resolve(v, ids))?,
        _ => {}
    }
    Ok(())
}

/// The version an operation's `version` field names (an ETag), if any.
fn version_of(op: &Value) -> Option<i64> {
    op.get("version")?
        .as_str()?
        .trim_start_matches("W/")
        .trim_matches('"')
        .parse()
        .ok()
}

/// Runs one operation; answers (status, location, version).
async fn run_one(
    ctx: &ScimContext,
    method: &str,
    path: &str,
    data: Option<&Value>,
    version: Option<i64>,
) -> Result<(u16, Option<String>, Option<i64>), ScimError> {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let op = Operation {
        method,
        path,
        data,
        version,
    };
    match segments.as_slice() {
        [kind, rest @ ..] if *kind == Users::ENDPOINT => op.run::<Users>(ctx, rest).await,
        [kind, rest @ ..] if *kind == Groups::ENDPOINT => op.run::<Groups>(ctx, rest).await,
        _ => Err(op.unsupported()),
    }
}

/// One operation of a BulkRequest, its `bulkId` references resolved.
struct Operation<'a> {
    method: &'a str,
    path: &'a str,
    data: Option<&'a Value>,
    version: Option<i64>,
}

impl Operation<'_> {
    fn unsupported(&self) -> ScimError {
        ScimError::invalid_syntax(format!(
            "unsupported bulk operation {} {}",
            self.method, self.path
        ))
    }

    /// Runs the operation on a resource of kind `K`; `rest` is the path after `/{kind}`.
    async fn run<K: ScimKind>(
        &self,
        ctx: &ScimContext,
        rest: &[&str],
    ) -> Result<(u16, Option<String>, Option<i64>), ScimError> {
        let need_data = || {
            self.data.ok_or_else(|| {
                ScimError::invalid_syntax(format!("{} {} needs \"data\"", self.method, self.path))
            })
        };
        let location = |body: &Value| body["meta"]["location"].as_str().map(str::to_string);
        match (self.method, rest) {
            ("POST", []) => {
                let (body, v) = K::create(ctx, need_data()?).await?;
                Ok((201, location(&body), Some(v)))
            }
            ("PUT", [id]) => {
                let (body, v) = K::replace(ctx, id, need_data()?, self.version).await?;
                Ok((200, location(&body), Some(v)))
            }
            ("PATCH", [id]) => {
                let (body, v) = K::patch(ctx, id, need_data()?, self.version).await?;
                Ok((200, location(&body), Some(v)))
            }
            ("DELETE", [id]) => K::delete(ctx, id, self.version)
                .await
                .map(|_| (204, None, None)),
            _ => Err(self.unsupported()),
        }
    }
}

/// Runs a BulkRequest and builds the BulkResponse.
pub async fn run(ctx: &ScimContext, body: &Value) -> Result<Value, ScimError> {
    require_schema(body, BULK_REQUEST_URN)?;
    let operations = body
        .get("Operations")
        .and_then(Value::as_array)
        .ok_or_else(|| ScimError::invalid_syntax("\"Operations\" must be an array"))?;
    if operations.len() > BULK_MAX_OPERATIONS {
        return Err(ScimError::new(
            413,
            None,
            format!("a bulk request holds at most {BULK_MAX_OPERATIONS} operations"),
        ));
    }
    let fail_on_errors = body.get("failOnErrors").and_then(Value::as_u64);
    let mut ids: HashMap<String, String> = HashMap::new();
    let mut results = Vec::with_capacity(operations.len());
    let mut errors = 0u64;
    for op in operations {
        let method = op
            .get("method")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_ascii_uppercase();
        let bulk_id = op.get("bulkId").and_then(Value::as_str).map(str::to_string);
        let mut path = Value::String(
            op.get("path")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
        );
        let mut data = op.get("data").cloned();
        let outcome = async {
            // A path segment may be a bulkId reference too: /Users/bulkId:alice.
            if let Value::String(p) = &mut path {
                let resolved: Result<Vec<String>, ScimError> = p
                    .split('/')
                    .map(|seg| {
                        let mut v = Value::String(seg.to_string());
                        resolve(&mut v, &ids)?;
                        Ok(v.as_str().unwrap_or_default().to_string())
                    })
                    .collect();
                *p = resolved?.join("/");
            }
            if let Some(d) = data.as_mut() {
                resolve(d, &ids)?;
            }
            if method == "POST" && bulk_id.is_none() {
                return Err(ScimError::invalid_syntax("POST operations need a bulkId"));
            }
            run_one(
                ctx,
                &method,
                path.as_str().unwrap_or(""),
                data.as_ref(),
                version_of(op),
            )
            .await
        }
        .await;
        let mut result = json!({ "method": method, "status": "" });
        if let Some(id) = &bulk_id {
            result["bulkId"] = json!(id);
        }
        match outcome {
            Ok((status, location, version)) => {
                if let (Some(bulk_id), Some(location)) = (&bulk_id, &location) {
                    if let Some(id) = location.rsplit('/').next() {
                        ids.insert(bulk_id.clone(), id.to_string());
                    }
                }
                result["status"] = json!(status.to_string());
                if let Some(location) = location {
                    result["location"] = json!(location);
                }
                if let Some(v) = version {
                    result["version"] = json!(super::http::etag(v));
                }
            }
            Err(err) => {
                errors += 1;
                result["status"] = json!(err.status.to_string());
                result["response"] = err.to_json();
            }
        }
        results.push(result);
        if fail_on_errors.is_some_and(|limit| limit > 0 && errors >= limit) {
            break;
        }
    }
    Ok(json!({ "schemas": [BULK_RESPONSE_URN], "Operations": results }))
}
