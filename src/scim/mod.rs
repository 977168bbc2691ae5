//! SCIM 2.0 (RFC 7643, RFC 7644). So far: the filter language (`filter`), parsed into a typed
//! AST and validated against a schema; the endpoints arrive with the SCIM issue.

pub mod filter;
