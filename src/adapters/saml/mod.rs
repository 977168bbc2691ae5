//! The SAML endpoints browsers and IdPs talk to: `/saml/{workspace}/metadata` and `…/login`
//! (`routes`), the assertion consumer (`acs`) and the handoff of the new session to the
//! browser (`complete`). The protocol's rules are in `crate::saml`, the sign-in itself in
//! `crate::service::signin`.

mod acs;
mod complete;
pub mod routes;
