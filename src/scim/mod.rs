//! SCIM 2.0 (RFC 7643, RFC 7644): the server Okta and Microsoft Entra ID provision into.
//! A SCIM User is a workspace membership; a SCIM Group is a workspace group; both land in the
//! one grant model.

pub mod bulk;
pub mod error;
pub mod filter;
pub mod groups;
pub mod http;
pub mod patch;
pub mod projection;
pub mod resources;
pub mod routes;
pub mod schema;
pub mod users;
