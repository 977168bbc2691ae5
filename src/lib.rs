//! Gatehouse decides who may do what in a multi-workspace product and keeps that decision in
//! step with the company's identity provider.
//!
//! Layout (see docs/ARCHITECTURE.md): protocol adapters ([`http`], later `scim` and `saml`)
//! turn requests into calls on the domain ([`access`], [`domain`]); [`storage`] persists the
//! domain's types. The domain imports neither actix nor sqlx.

pub mod access;
pub mod auth;
pub mod cli;
pub mod config;
pub mod domain;
pub mod http;
pub mod net;
pub mod saml;
pub mod scim;
pub mod service;
pub mod storage;
pub mod telemetry;
