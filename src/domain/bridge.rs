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
            compile_regex(pattern).map_err(|e| format!("invalid regex: {e}"))?;
        }
        Ok(())
    }

    /// The rule ready to match many groups: a regex is compiled here, once, not per group.
    pub fn compile(&self) -> CompiledRule<'_> {
        let matcher = match self.match_kind {
            MatchKind::DisplayNameEquals | MatchKind::ExternalIdEquals => Matcher::Exact,
            MatchKind::DisplayNamePrefix => Matcher::Prefix(self.pattern.to_lowercase()),
            MatchKind::DisplayNameRegex => Matcher::Regex(compile_regex(&self.pattern).ok()),
        };
        CompiledRule {
            rule: self,
            matcher,
        }
    }

    /// Whether the rule applies to `group` (compiles the rule: for one-off checks only; use
    /// [`MappingRule::compile`] when matching many groups).
    pub fn matches(&self, group: &GroupInfo) -> bool {
        self.compile().matches(group)
    }
}

fn compile_regex(pattern: &str) -> Result<regex::Regex, regex::Error> {
    #[cfg(test)]
    REGEX_COMPILES.with(|n| n.set(n.get() + 1));
    regex::RegexBuilder::new(pattern)
        .size_limit(1 << 20)
        .build()
}

#[cfg(test)]
thread_local! {
    static REGEX_COMPILES: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

enum Matcher {
    Exact,
    /// The lower-cased prefix.
    Prefix(String),
    /// `None` for a pattern that no longer compiles (it matches nothing).
    Regex(Option<regex::Regex>),
}

/// A [`MappingRule`] with its matcher prepared.
pub struct CompiledRule<'a> {
    pub rule: &'a MappingRule,
    matcher: Matcher,
}

impl CompiledRule<'_> {
    /// Whether the rule applies to `group` (names compare case-insensitively, like SCIM's
    /// displayName; external ids exactly).
    pub fn matches(&self, group: &GroupInfo) -> bool {
        let rule = self.rule;
        match (&self.matcher, rule.match_kind) {
            (Matcher::Exact, MatchKind::ExternalIdEquals) => {
                group.external_id.as_deref() == Some(rule.pattern.as_str())
            }
            (Matcher::Exact, _) => group.display_name.eq_ignore_ascii_case(&rule.pattern),
            (Matcher::Prefix(prefix), _) => group.display_name.to_lowercase().starts_with(prefix),
            (Matcher::Regex(re), _) => re
                .as_ref()
                .is_some_and(|re| re.is_match(&group.display_name)),
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

    #[test]
    fn a_compiled_rule_compiles_its_regex_once_for_any_number_of_groups() {
        let rules = [
            rule(MatchKind::DisplayNameRegex, "^team-[0-9]+$"),
            rule(MatchKind::DisplayNamePrefix, "Team-"),
            rule(MatchKind::DisplayNameRegex, "admins$"),
        ];
        let groups: Vec<GroupInfo> = (0..1_000)
            .map(|i| group(&format!("team-{i}"), None))
            .collect();
        let before = REGEX_COMPILES.with(|n| n.get());
        let compiled: Vec<_> = rules.iter().map(MappingRule::compile).collect();
        let matched = groups
            .iter()
            .flat_map(|g| compiled.iter().filter(move |c| c.matches(g)))
            .count();
        assert_eq!(matched, 2_000);
        assert_eq!(
            REGEX_COMPILES.with(|n| n.get()) - before,
            2,
            "one compile per regex rule"
        );
    }
}
