//! The bridge from the identity provider to product roles: group mapping rules and webhooks.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::access::{GroupInfo, Scope};

/// How a rule recognises a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchKind {
    DisplayNameEquals,
    DisplayNamePrefix,
    DisplayNameRegex,
    ExternalIdEquals,
}

impl MatchKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::DisplayNameEquals => "display_name_equals",
            Self::DisplayNamePrefix => "display_name_prefix",
            Self::DisplayNameRegex => "display_name_regex",
            Self::ExternalIdEquals => "external_id_equals",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::DisplayNameEquals,
            Self::DisplayNamePrefix,
            Self::DisplayNameRegex,
            Self::ExternalIdEquals,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// "A group whose … gets role R with scope S."
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MappingRule {
    pub id: Uuid,
    pub match_kind: MatchKind,
    pub pattern: String,
    pub role: String,
    pub scope: Scope,
    /// `api` (made through the API or CLI) or `file` (the start-up rules file owns it).
    pub source: String,
    pub created_at: DateTime<Utc>,
}

/// Longest regex pattern accepted (and the compiled size is bounded too).
pub const MAX_PATTERN: usize = 512;

impl MappingRule {
    /// Checks the pattern (a regex must compile within bounds).
    pub fn validate_pattern(kind: MatchKind, pattern: &str) -> Result<(), String> {
        if pattern.is_empty() || pattern.len() > MAX_PATTERN {
            return Err(format!("pattern must be 1 to {MAX_PATTERN} characters"));
        }
        if kind == MatchKind::DisplayNameRegex {
            regex::RegexBuilder::new(pattern)
                .size_limit(1 << 20)
                .build()
                .map_err(|e| format!("invalid regex: {e}"))?;
        }
        Ok(())
    }

    /// Whether the rule applies to `group` (names compare case-insensitively, like SCIM's
    /// displayName; external ids exactly).
    pub fn matches(&self, group: &GroupInfo) -> bool {
        match self.match_kind {
            MatchKind::DisplayNameEquals => group.display_name.eq_ignore_ascii_case(&self.pattern),
            MatchKind::DisplayNamePrefix => group
                .display_name
                .to_lowercase()
                .starts_with(&self.pattern.to_lowercase()),
            MatchKind::DisplayNameRegex => regex::RegexBuilder::new(&self.pattern)
                .size_limit(1 << 20)
                .build()
                .is_ok_and(|re| re.is_match(&group.display_name)),
            MatchKind::ExternalIdEquals => {
                group.external_id.as_deref() == Some(self.pattern.as_str())
            }
        }
    }
}

/// A webhook of a workspace (its secret is never shown again after creation, nor printed by
/// `Debug`).
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct Webhook {
    pub id: Uuid,
    pub workspace_id: Uuid,
    pub url: String,
    #[serde(skip_serializing)]
    pub secret: String,
    /// Deliveries resume after this revision.
    pub cursor_revision: i64,
    pub created_at: DateTime<Utc>,
    pub disabled_at: Option<DateTime<Utc>>,
    /// The secret before the last rotation, still signing until it expires.
    #[serde(skip_serializing)]
    pub previous_secret: Option<String>,
    pub previous_secret_expires_at: Option<DateTime<Utc>>,
}

impl Webhook {
    /// The secrets deliveries are signed with at `now`: the current one first, then the
    /// previous one while its overlap lasts.
    pub fn signing_secrets(&self, now: DateTime<Utc>) -> Vec<&str> {
        let mut secrets = vec![self.secret.as_str()];
        if let (Some(old), Some(until)) = (&self.previous_secret, self.previous_secret_expires_at) {
            if until > now {
                secrets.push(old);
            }
        }
        secrets
    }
}

impl std::fmt::Debug for Webhook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Webhook")
            .field("id", &self.id)
            .field("workspace_id", &self.workspace_id)
            .field("url", &self.url)
            .field("secret", &"<redacted>")
            .field(
                "previous_secret",
                &self.previous_secret.as_ref().map(|_| "<redacted>"),
            )
            .field("cursor_revision", &self.cursor_revision)
            .finish()
    }
}

/// Deliveries given up after every retry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeadLetter {
    pub id: Uuid,
    pub webhook_id: Uuid,
    pub from_revision: i64,
    pub to_revision: i64,
    pub attempts: i32,
    pub last_error: String,
    pub failed_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(kind: MatchKind, pattern: &str) -> MappingRule {
        MappingRule {
            id: Uuid::nil(),
            match_kind: kind,
            pattern: pattern.into(),
            role: "source.admin".into(),
            scope: Scope::All,
            source: "api".into(),
            created_at: Utc::now(),
        }
    }

    fn group(name: &str, external: Option<&str>) -> GroupInfo {
        GroupInfo {
            id: Uuid::nil(),
            display_name: name.into(),
            external_id: external.map(str::to_string),
        }
    }

    #[test]
    fn rules_match_names_prefixes_regexes_and_external_ids() {
        let g = group("Segment Source Admins", Some("abc-1"));
        assert!(rule(MatchKind::DisplayNameEquals, "segment source admins").matches(&g));
        assert!(rule(MatchKind::DisplayNamePrefix, "Segment ").matches(&g));
        assert!(rule(MatchKind::DisplayNameRegex, "^Segment .* Admins$").matches(&g));
        assert!(rule(MatchKind::ExternalIdEquals, "abc-1").matches(&g));
        assert!(!rule(MatchKind::ExternalIdEquals, "ABC-1").matches(&g));
        assert!(!rule(MatchKind::DisplayNamePrefix, "Other").matches(&g));
        assert!(MappingRule::validate_pattern(MatchKind::DisplayNameRegex, "(").is_err());
    }
}
