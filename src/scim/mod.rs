//! SCIM 2.0 (RFC 7643, RFC 7644), the protocol's own rules without I/O: the filter grammar,
//! the schemas as data, the PATCH engine, attribute projection and SCIM errors. The server
//! (HTTP) is `crate::adapters::scim`.

pub mod error;
pub mod filter;
pub mod patch;
pub mod projection;
pub mod schema;

/// Where Gatehouse serves `docs/scim.md` (ServiceProviderConfig's `documentationUri`): which
/// interoperability-profile rules it follows and which it deliberately does not.
pub const DOC_PATH: &str = "/docs/scim.md";
