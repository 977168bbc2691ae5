//! CSRF protection for forms posted before anyone is signed in (the login form, the sign-in
//! handoff, invitation acceptance): a double-submit token bound to a pre-session cookie.
//!
//! The browser gets a random pre-session id in an `HttpOnly` cookie; each form carries, in a
//! hidden field, a digest of that id and the form's name. Another site can make a browser
//! post to us, but can neither read the cookie nor the page, so it cannot produce the field.
//! Over https the cookie is named `__Host-…`, which browsers only accept from this exact host
//! (`Secure`, `Path=/`, no `Domain`), so a sibling subdomain cannot plant a known id either.
//! No server secret is needed, so every instance verifies every other's tokens.
//!
//! ```ignore
//! let form = form_csrf::issue(&req, &state.settings.sign_in, "invite-accept");
//! let html = format!("<form method=post>{}…</form>", form.hidden_input());
//! form.attach(page(StatusCode::OK, "Accept", &html))
//! // on POST:
//! form_csrf::verify(&req, &state.settings.sign_in, "invite-accept", submitted.as_deref())?;
//! ```

use actix_web::{
    cookie::{time::Duration as CookieDuration, Cookie, SameSite},
    HttpRequest, HttpResponse,
};
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::{config::SignInSettings, web::pages::escape};

/// The hidden field every protected form carries.
pub const FIELD: &str = "csrf_token";
/// How long a pre-session id lives (a login page left open over lunch still works).
const LIFETIME_HOURS: i64 = 12;

/// The pre-session cookie's name: `__Host-` prefixed when cookies are `Secure`.
pub fn cookie_name(settings: &SignInSettings) -> &'static str {
    if settings.cookie_secure {
        "__Host-gatehouse_form"
    } else {
        "gatehouse_form"
    }
}

/// A token for one form, and the cookie to (re)set with the page that shows it.
pub struct FormToken {
    pub token: String,
    cookie: Cookie<'static>,
}

impl FormToken {
    /// `<input type="hidden" name="csrf_token" value="…">`.
    pub fn hidden_input(&self) -> String {
        format!(
            "<input type=\"hidden\" name=\"{FIELD}\" value=\"{}\">",
            escape(&self.token)
        )
    }

    /// Adds the pre-session cookie to the response that carries the form.
    pub fn attach(&self, mut response: HttpResponse) -> HttpResponse {
        let _ = response.add_cookie(&self.cookie);
        response
    }
}

/// Why a submitted form was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FormCsrfError {
    #[error("the form has no pre-session cookie (expired, or posted from another site)")]
    NoCookie,
    #[error("the form's CSRF token is missing or does not match")]
    BadToken,
}

fn token_for(pre_session: &str, form: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"gatehouse form csrf\0");
    hasher.update(form.as_bytes());
    hasher.update(b"\0");
    hasher.update(pre_session.as_bytes());
    hex::encode(hasher.finalize())
}

/// A well-formed pre-session id from the request's cookie, if any.
fn pre_session(req: &HttpRequest, settings: &SignInSettings) -> Option<String> {
    req.cookie(cookie_name(settings))
        .map(|c| c.value().to_string())
        .filter(|v| v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// A token for `form` (a short name saying which form it is), reusing the browser's
/// pre-session id when it has one, so several open tabs keep working.
pub fn issue(req: &HttpRequest, settings: &SignInSettings, form: &str) -> FormToken {
    let id = pre_session(req, settings).unwrap_or_else(|| {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        hex::encode(bytes)
    });
    let cookie = Cookie::build(cookie_name(settings), id.clone())
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(settings.cookie_secure)
        .max_age(CookieDuration::hours(LIFETIME_HOURS))
        .finish();
    FormToken {
        token: token_for(&id, form),
        cookie,
    }
}

/// Checks a submitted form's token against the browser's pre-session cookie.
pub fn verify(
    req: &HttpRequest,
    settings: &SignInSettings,
    form: &str,
    submitted: Option<&str>,
) -> Result<(), FormCsrfError> {
    let id = pre_session(req, settings).ok_or(FormCsrfError::NoCookie)?;
    let expected = token_for(&id, form);
    match submitted {
        Some(sent) if bool::from(sent.as_bytes().ct_eq(expected.as_bytes())) => Ok(()),
        _ => Err(FormCsrfError::BadToken),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn settings(secure: bool) -> SignInSettings {
        let mut s = crate::config::Settings::load_from(None, &[])
            .unwrap()
            .sign_in;
        s.cookie_secure = secure;
        s
    }

    #[test]
    fn a_token_verifies_only_with_its_cookie_and_form() {
        let s = settings(false);
        let issued = issue(&TestRequest::default().to_http_request(), &s, "login");
        let cookie = issued.cookie.clone();
        let with_cookie = TestRequest::default().cookie(cookie).to_http_request();
        assert_eq!(
            verify(&with_cookie, &s, "login", Some(&issued.token)),
            Ok(())
        );
        assert_eq!(
            verify(&with_cookie, &s, "invite-accept", Some(&issued.token)),
            Err(FormCsrfError::BadToken),
            "a token is bound to its form"
        );
        assert_eq!(
            verify(&with_cookie, &s, "login", None),
            Err(FormCsrfError::BadToken)
        );
        assert_eq!(
            verify(&with_cookie, &s, "login", Some("0".repeat(64).as_str())),
            Err(FormCsrfError::BadToken)
        );
        let without = TestRequest::default().to_http_request();
        assert_eq!(
            verify(&without, &s, "login", Some(&issued.token)),
            Err(FormCsrfError::NoCookie),
            "a cross-site post carries no pre-session cookie of its own making"
        );
        // Another page of the same browser reuses the id: both tokens stay valid.
        let again = issue(&with_cookie, &s, "login");
        assert_eq!(again.token, issued.token);
        assert!(issued.hidden_input().contains(&issued.token));
    }

    #[test]
    fn over_https_the_cookie_is_host_only_and_secure() {
        let s = settings(true);
        let issued = issue(&TestRequest::default().to_http_request(), &s, "login");
        assert_eq!(issued.cookie.name(), "__Host-gatehouse_form");
        assert_eq!(issued.cookie.secure(), Some(true));
        assert_eq!(issued.cookie.path(), Some("/"));
        assert_eq!(issued.cookie.http_only(), Some(true));
        assert!(issued.cookie.domain().is_none());
    }
}
