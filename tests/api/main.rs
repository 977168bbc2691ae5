//! The integration suite: one binary, real servers on port 0, real databases. Every test that
//! touches storage runs twice, on SQLite and on PostgreSQL (see `helpers::on_both_backends!`).

mod dns_support;
mod helpers;

mod access;
mod api_contract;
mod bridge;
mod certificate_watch;
mod cli;
mod cli_members;
mod concurrent_writers;
mod console;
mod domains;
mod drain;
mod effective_grants;
mod health;
mod instances;
mod invites;
mod layers;
mod legacy;
mod migrations;
mod outbound;
mod owner_sessions;
mod purge;
mod recordings;
mod saml;
mod saml_limits;
mod scenarios;
mod schema_upgrades;
mod scim;
mod scim_corners;
mod scim_folding;
mod scim_rename;
mod scim_schema_truth;
mod scim_support;
mod signin;
mod signin_limits;
mod sso_metadata;
mod sso_support;
mod tenancy;
mod tokens;
mod transfer;
mod webhook_signatures;
mod workspaces;
