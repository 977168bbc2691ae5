//! The HTML of the sign-in pages: the email step, the password step, and sign-out. Every
//! form carries its CSRF field; every dynamic value is escaped.

use crate::web::pages::escape;

/// The name the login forms' CSRF tokens are bound to.
pub const LOGIN_FORM: &str = "login";

fn message_html(message: Option<&str>) -> String {
    message
        .map(|m| format!("<p class=\"error\">{}</p>", escape(m)))
        .unwrap_or_default()
}

/// "You are signed in as …": shown on the login pages, so signing in as someone else never
/// replaces a session silently.
fn signed_in_notice(signed_in_as: Option<&str>) -> String {
    signed_in_as
        .map(|email| {
            format!(
                "<p class=\"muted\" id=\"signed-in-as\">You are signed in as {}. Signing in here \
                 signs that account out of this browser.</p>",
                escape(email)
            )
        })
        .unwrap_or_default()
}

/// What every login form shares.
pub struct LoginPage<'a> {
    pub return_to: &'a str,
    pub email: &'a str,
    pub message: Option<&'a str>,
    pub csrf_field: &'a str,
    pub signed_in_as: Option<&'a str>,
}

/// Step one: the email.
pub fn email_form(p: &LoginPage<'_>) -> String {
    format!(
        "<h1>Sign in to Gatehouse</h1>{}{}<form method=\"post\" action=\"/login\">{}\
         <input type=\"hidden\" name=\"return_to\" value=\"{}\">\
         <label for=\"email\">Work email</label>\
         <input id=\"email\" name=\"email\" type=\"email\" autocomplete=\"username\" required value=\"{}\" autofocus>\
         <button type=\"submit\" id=\"continue\">Continue</button></form>",
        signed_in_notice(p.signed_in_as),
        message_html(p.message),
        p.csrf_field,
        escape(p.return_to),
        escape(p.email)
    )
}

/// Step two, for accounts without SSO: the password.
pub fn password_form(p: &LoginPage<'_>) -> String {
    format!(
        "<h1>Sign in to Gatehouse</h1>{}{}<form method=\"post\" action=\"/login\">{}\
         <input type=\"hidden\" name=\"return_to\" value=\"{}\">\
         <label for=\"email\">Work email</label>\
         <input id=\"email\" name=\"email\" type=\"email\" autocomplete=\"username\" required value=\"{}\">\
         <label for=\"password\">Password</label>\
         <input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required autofocus>\
         <button type=\"submit\" id=\"sign-in\">Sign in</button></form>",
        signed_in_notice(p.signed_in_as),
        message_html(p.message),
        p.csrf_field,
        escape(p.return_to),
        escape(p.email)
    )
}

/// The sign-out button: the session's CSRF token rides in the form.
pub fn logout_form(session_csrf: &str) -> String {
    format!(
        "<form method=\"post\" action=\"/logout\">\
         <input type=\"hidden\" name=\"csrf_token\" value=\"{}\">\
         <button type=\"submit\" id=\"sign-out\">Sign out</button></form>",
        escape(session_csrf)
    )
}
