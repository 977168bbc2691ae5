//! The adapters: each turns one outside format into calls on the use cases (`service`).
//! They share the web toolkit (`crate::web`) and import no other adapter.

pub mod api;
pub mod auth;
pub mod cli;
pub mod console;
pub mod saml;
pub mod scim;
