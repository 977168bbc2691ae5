//! The admin and access API under `/v1` (JSON; one file per resource): a workspace's
//! settings and domains, resources, members, groups, grants, invitations, the change feed,
//! the access questions other services ask, mapping rules, webhooks, the timeline, SSO
//! connections, and the browser's own session. Every workspace route takes the
//! [`Caller`](crate::web::Caller) extractor: a service token or an owner's session.

mod access;
mod admin;
mod bridge;
mod domains;
mod session;
mod sso;
mod workspaces;

use actix_web::web;

/// Every `/v1` route (mounted under the `/v1` scope).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.configure(workspaces::routes)
        .configure(domains::routes)
        .configure(admin::routes)
        .configure(admin::invite_routes)
        .configure(bridge::routes)
        .configure(sso::routes)
        .configure(session::routes)
        .configure(access::routes);
}
