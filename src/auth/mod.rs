//! Signing in without SAML, and what every sign-in ends with: passwords (argon2id),
//! throttling, sessions, the login page, and the Require-SSO rule.

pub mod form_csrf;
pub mod forms;
pub mod invites;
pub mod passwords;
pub mod routes;
pub mod sessions;
pub mod throttle;
