//! The SCIM 2.0 server (RFC 7644) Okta and Microsoft Entra ID provision into: routes, the
//! SCIM wire format, Users, Groups and Bulk. A SCIM User is a workspace membership; a SCIM
//! Group is a workspace group; both land in the one grant model. The protocol's rules
//! (filters, schemas, PATCH, projection, errors) are in `crate::scim`.

pub mod bulk;
pub mod groups;
pub mod http;
pub mod kind;
pub mod resources;
pub mod routes;
pub mod users;
