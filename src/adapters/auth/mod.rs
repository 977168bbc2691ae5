//! The sign-in pages a person uses in a browser: `/login` (email first, then SSO or a
//! password), `/logout`, the landing page `/` (with the memberships waiting for the person's
//! answer), and the invitation page `/invites/{code}`. Passwords and throttling are
//! `crate::service`'s; sessions and form CSRF the web toolkit's.

pub mod forms;
pub mod invites;
pub mod routes;
