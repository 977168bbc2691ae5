//! Gatehouse decides who may do what in a multi-workspace product and keeps that decision in
//! step with the company's identity provider.
//!
//! Layers, imports pointing down only (docs/ARCHITECTURE.md draws them; the test
//! `layers::imports_point_one_way` fails on one that points back up):
//! - [`app`]: the application's assembly: the server, every adapter's routes mounted, the
//!   background tasks. The one module that knows every adapter.
//! - [`adapters`]: the outside world's formats: the admin and access API (`api`), SCIM, SAML,
//!   the sign-in pages (`auth`) and the command line (`cli`). None imports another.
//! - [`web`]: the small HTTP toolkit the web adapters share: state, the error envelope, the
//!   request context, the caller extractor, sessions, pages, metrics.
//! - [`service`]: every use case.
//! - [`scim`] and [`saml`]: the protocols' own rules (filters, schemas, PATCH, metadata,
//!   response checks), without I/O.
//! - [`access`] (the grant model) and [`domain`]: pure data and rules; [`storage`] persists
//!   them; [`net`] and [`config`] are infrastructure.

pub mod access;
pub mod adapters;
pub mod app;
pub mod config;
pub mod domain;
pub mod net;
pub mod saml;
pub mod scim;
pub mod service;
pub mod storage;
pub mod telemetry;
pub mod web;
