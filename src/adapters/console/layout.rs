//! The console's page shell: a navigation bar for the workspace, and the same security
//! headers as every page (no script, no framing, no caching).

use actix_web::{http::StatusCode, HttpResponse};
use maud::{html, Markup};

use crate::access::Product;
use crate::web::pages::{styled_page, url_encode};

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:64rem;margin:2rem auto;\
padding:0 1rem;color:#1d2330}h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem}\
nav a{margin-right:1rem}nav{border-bottom:1px solid #ccd;padding-bottom:.6rem}\
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.35rem .5rem;\
border-bottom:1px solid #e3e5ea;vertical-align:top}.muted{color:#667;font-size:.85rem}\
.tag{background:#eef;border-radius:.3rem;padding:0 .35rem;font-size:.85rem}\
.error{color:#a4161a}.done{color:#1b6e2a}fieldset{border:1px solid #dde;margin:.6rem 0}\
fieldset[disabled]{opacity:.55}form.inline{display:inline}button{padding:.3rem .8rem}\
ul.cards li{margin:.4rem 0}";

/// A console page: `slug` adds the workspace's navigation; `csrf` signs the sign-out form.
pub fn page(
    status: StatusCode,
    title: &str,
    slug: Option<&str>,
    csrf: &str,
    body: Markup,
) -> HttpResponse {
    let shell = html! {
        nav {
            a href="/console" { "Workspaces" }
            @if let Some(slug) = slug {
                a href={ "/console/" (url_encode(slug)) } { (slug) }
                a href={ "/console/" (url_encode(slug)) "/members" } { "Members" }
                a href={ "/console/" (url_encode(slug)) "/groups" } { "Groups" }
                a href={ "/console/" (url_encode(slug)) "/invites" } { "Invitations" }
                a href={ "/console/" (url_encode(slug)) "/sso" } { "Single sign-on" }
                a href={ "/console/" (url_encode(slug)) "/scim" } { "SCIM" }
                a href={ "/console/" (url_encode(slug)) "/sign-ins" } { "Sign-ins" }
                a href={ "/console/" (url_encode(slug)) "/audit" } { "Audit" }
            }
            form.inline method="post" action="/logout" {
                input type="hidden" name="csrf_token" value=(csrf);
                button type="submit" { "Sign out" }
            }
        }
        main { (body) }
    };
    styled_page(status, title, STYLE, &shell.into_string())
}

/// How a product is named on the pages.
pub fn product_label(product: Product) -> &'static str {
    match product {
        Product::Sources => "Sources",
        Product::Warehouses => "Warehouses",
        Product::Protocols => "Protocols",
        Product::Personas => "Personas",
    }
}
