//! What the owner console's SCIM request log and sign-in log hold: one entry per SCIM request
//! or sign-in attempt of a workspace, with its outcome and the precise reason of a refusal.
//! An entry never carries a password, a token, a SCIM document or an assertion: only the
//! request line, the status, a reason code and our own one-line detail.

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

/// Which log an entry belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ActivityKind {
    Scim,
    SignIn,
}

impl ActivityKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ActivityKind::Scim => "scim",
            ActivityKind::SignIn => "sign_in",
        }
    }
}

/// An entry to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewActivity {
    pub workspace_id: Uuid,
    pub kind: ActivityKind,
    /// `GET`, `POST`… (SCIM), or the sign-in method (`sso`, `password`).
    pub method: String,
    /// The request path (SCIM, without the query), or the sign-in endpoint.
    pub path: String,
    pub status: u16,
    /// Refused (any 4xx/5xx, any failed sign-in) or ok.
    pub refused: bool,
    /// A stable code: SCIM's `scimType` (or the status class), a sign-in reason label.
    pub reason: Option<String>,
    /// Our own one-line explanation (bounded; never a document or an assertion).
    pub detail: Option<String>,
    /// Who it was about, when known: the email or userName.
    pub subject: Option<String>,
    pub request_id: Option<String>,
}

/// The longest detail or subject kept (longer text is cut at a character boundary).
pub const MAX_TEXT: usize = 300;

/// `text` cut to [`MAX_TEXT`] bytes at a character boundary.
pub fn bounded(text: &str) -> String {
    if text.len() <= MAX_TEXT {
        return text.to_string();
    }
    let mut end = MAX_TEXT;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

/// A recorded entry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Activity {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub kind: String,
    pub method: Option<String>,
    pub path: Option<String>,
    pub status: Option<i32>,
    pub outcome: String,
    pub reason: Option<String>,
    pub detail: Option<String>,
    pub subject: Option<String>,
    pub request_id: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_text_is_cut_on_a_character() {
        assert_eq!(bounded("short"), "short");
        let long = "é".repeat(400);
        let cut = bounded(&long);
        assert!(cut.len() <= MAX_TEXT + "…".len());
        assert!(cut.ends_with('…'));
    }
}
