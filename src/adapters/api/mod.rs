//! The admin and access API under `/v1` (JSON; one file per resource): a workspace's
//! settings, domains and audit log, resources, members (and their timelines), groups, grants,
//! invitations, the change feed, the access questions other services ask, mapping rules,
//! webhooks, SSO connections, and the browser's own session. Every workspace route takes the
//! [`Caller`](crate::web::Caller) extractor: a service token or an owner's session.
//!
//! [`api!`] below is the one list of routes: it mounts them, names them in [`OPERATIONS`] and
//! feeds the same handlers to the generated OpenAPI document ([`ApiDoc`]), so a route cannot
//! be served without being documented.

mod access;
mod changes;
mod domains;
mod grants;
mod groups;
mod invites;
mod members;
mod openapi;
mod paging;
mod resources;
mod rules;
mod session;
mod sso;
mod timeline;
mod views;
mod webhooks;
mod workspaces;

use actix_web::web;

use openapi::Described;

/// A mounted route: its method, its path and its operation id in the document
/// (`<module>_<handler>`, unique).
#[derive(Debug, Clone, Copy)]
pub struct Operation {
    pub method: &'static str,
    pub path: &'static str,
    pub id: &'static str,
}

/// Declares every `/v1` route once: `method "path" => module::handler;`, in mounting order
/// (a literal segment before a `{parameter}` at the same place).
macro_rules! api {
    ($($method:ident $path:literal => $module:ident::$handler:ident;)*) => {
        /// Every `/v1` route (mounted under the `/v1` scope).
        pub fn routes(cfg: &mut web::ServiceConfig) {
            $(cfg.route($path, web::$method().to($module::$handler));)*
        }

        /// Every mounted route, as the OpenAPI document spells it.
        pub const OPERATIONS: &[Operation] = &[$(Operation {
            method: stringify!($method),
            path: concat!("/v1", $path),
            id: concat!(stringify!($module), "_", stringify!($handler)),
        },)*];

        /// The OpenAPI document, generated from the same handlers.
        #[derive(utoipa::OpenApi)]
        #[openapi(
            modifiers(&Described),
            security(("token" = []), ("session" = [])),
            paths($($module::$handler),*)
        )]
        pub struct ApiDoc;
    };
}

api! {
    get "/openapi.json" => openapi::document;
    get "/session" => session::session;
    get "/workspaces/{slug}" => workspaces::get;
    patch "/workspaces/{slug}" => workspaces::update;
    get "/workspaces/{slug}/audit" => workspaces::audit;
    get "/workspaces/{slug}/domains" => domains::list;
    post "/workspaces/{slug}/domains" => domains::claim;
    delete "/workspaces/{slug}/domains/{domain}" => domains::remove;
    post "/workspaces/{slug}/domains/{domain}/verify" => domains::verify;
    post "/workspaces/{slug}/resources" => resources::register;
    get "/workspaces/{slug}/resources" => resources::list;
    get "/workspaces/{slug}/resources/{type}/{id}" => resources::get;
    delete "/workspaces/{slug}/resources/{type}/{id}" => resources::delete;
    get "/workspaces/{slug}/members" => members::list;
    post "/workspaces/{slug}/members" => members::add;
    get "/workspaces/{slug}/members/{member}" => members::get;
    patch "/workspaces/{slug}/members/{member}" => members::update;
    delete "/workspaces/{slug}/members/{member}" => members::remove;
    get "/workspaces/{slug}/members/{member}/timeline" => timeline::timeline;
    get "/workspaces/{slug}/groups" => groups::list;
    post "/workspaces/{slug}/groups" => groups::create;
    get "/workspaces/{slug}/groups/{id}" => groups::get;
    delete "/workspaces/{slug}/groups/{id}" => groups::delete;
    get "/workspaces/{slug}/groups/{id}/members" => groups::members;
    post "/workspaces/{slug}/groups/{id}/members" => groups::add_member;
    delete "/workspaces/{slug}/groups/{id}/members/{member}" => groups::remove_member;
    post "/workspaces/{slug}/grants" => grants::create;
    get "/workspaces/{slug}/grants" => grants::list;
    get "/workspaces/{slug}/grants/{id}" => grants::get;
    delete "/workspaces/{slug}/grants/{id}" => grants::delete;
    get "/workspaces/{slug}/changes" => changes::list;
    get "/workspaces/{slug}/changes/stream" => changes::stream;
    post "/workspaces/{slug}/invites" => invites::create;
    get "/workspaces/{slug}/invites" => invites::list;
    post "/workspaces/{slug}/invites/accept" => invites::accept;
    delete "/workspaces/{slug}/invites/{id}" => invites::revoke;
    get "/workspaces/{slug}/mapping-rules" => rules::list;
    post "/workspaces/{slug}/mapping-rules" => rules::create;
    delete "/workspaces/{slug}/mapping-rules/{id}" => rules::delete;
    get "/workspaces/{slug}/webhooks" => webhooks::list;
    post "/workspaces/{slug}/webhooks" => webhooks::create;
    delete "/workspaces/{slug}/webhooks/{id}" => webhooks::disable;
    get "/workspaces/{slug}/webhooks/{id}/dead-letters" => webhooks::dead_letters;
    post "/workspaces/{slug}/webhooks/{id}/rotate-secret" => webhooks::rotate_secret;
    post "/workspaces/{slug}/sso/connections" => sso::create;
    get "/workspaces/{slug}/sso/connections" => sso::list;
    get "/workspaces/{slug}/sso/connections/{id}" => sso::get;
    post "/workspaces/{slug}/access/check" => access::check;
    post "/workspaces/{slug}/access/check-batch" => access::check_batch;
    post "/workspaces/{slug}/access/explain" => access::explain;
    post "/workspaces/{slug}/access/resources" => access::resources;
    post "/workspaces/{slug}/access/subjects" => access::subjects;
    get "/workspaces/{slug}/users/{member}/permissions" => access::permissions;
}
