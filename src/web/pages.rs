//! Small server-rendered HTML pages (login, errors). No JavaScript needed; every dynamic
//! value is escaped.

use actix_web::{http::StatusCode, HttpResponse};

use super::request_context::RequestId;

/// Escapes text for HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:28rem;margin:4rem auto;\
padding:0 1rem;color:#1d2330}h1{font-size:1.4rem}label{display:block;margin:.8rem 0 .3rem}\
input{width:100%;padding:.5rem;font-size:1rem;box-sizing:border-box}button{margin-top:1rem;\
padding:.5rem 1.2rem;font-size:1rem}.error{color:#a4161a}.muted{color:#667;font-size:.85rem}";

/// A complete page; `body` is trusted HTML built with [`escape`].
pub fn page(status: StatusCode, title: &str, body: &str) -> HttpResponse {
    styled_page(status, title, STYLE, body)
}

/// A complete page with its own style sheet (`style` and `body` are trusted), under the same
/// headers as every page: no caching, no framing, a CSP that allows no script.
pub fn styled_page(status: StatusCode, title: &str, style: &str, body: &str) -> HttpResponse {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width\"><title>{} · Gatehouse</title>\
         <style>{style}</style></head><body>{body}</body></html>",
        escape(title)
    );
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header(("Cache-Control", "no-store"))
        .insert_header(("X-Frame-Options", "DENY"))
        .insert_header((
            "Content-Security-Policy",
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self' https: http:",
        ))
        .body(html)
}

/// The page shown when a sign-in fails: what to do, and the request id to quote.
pub fn error_page(status: StatusCode, title: &str, message: &str) -> HttpResponse {
    let request_id = RequestId::current().unwrap_or_default();
    page(
        status,
        title,
        &format!(
            "<h1>{}</h1><p class=\"error\">{}</p><p><a href=\"/login\">Back to sign-in</a></p>\
             <p class=\"muted\">Request id: <code>{}</code></p>",
            escape(title),
            escape(message),
            escape(&request_id)
        ),
    )
}

/// Percent-encodes a query parameter value.
pub fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A relative path to go back to after signing in; anything else (absolute URLs, `//host`,
/// backslashes) becomes `/`, so a sign-in can never redirect off-site.
pub fn safe_return_path(candidate: Option<&str>) -> String {
    match candidate {
        Some(p)
            if p.starts_with('/')
                && !p.starts_with("//")
                && !p.contains('\\')
                && !p.chars().any(char::is_control)
                && p.len() <= 1024 =>
        {
            p.to_string()
        }
        _ => "/".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_returned_to() {
        assert_eq!(safe_return_path(Some("/sources?x=1")), "/sources?x=1");
        for bad in [
            "https://evil.com",
            "//evil.com",
            "/\\evil.com",
            "evil",
            "/a\nb",
        ] {
            assert_eq!(safe_return_path(Some(bad)), "/", "{bad}");
        }
        assert_eq!(safe_return_path(None), "/");
    }

    #[test]
    fn html_is_escaped() {
        assert_eq!(
            escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
