//! Upgrades that SQL migrations cannot do alone, run once by [`Store::migrate`] right after
//! them and recorded in `storage_upgrades`.
//!
//! `0009_scim_search` fills what migration 0009 added for rows written before it, with the one
//! case-folding rule (`domain::case_fold`), which lives in Rust: each SCIM document's search
//! document, the `userName` / `displayName` keys (earlier lower-cased with Rust's
//! `to_lowercase`, which differs from simple folding for a few letters such as a final `ς`),
//! and `member_emails`. A key the new rule would make collide with another row's is left as it
//! was (and logged); an email two Users already showed stays with the first.

use std::collections::HashMap;

use chrono::Utc;
use sqlx::types::Json;
use uuid::Uuid;

use super::{in_transaction, member_emails::doc_email_keys, Store, StoreError};
use crate::domain::{
    case_fold::fold_case,
    query::{DocumentKind, SearchDocument},
};

const SCIM_SEARCH: &str = "0009_scim_search";

/// Every upgrade this binary runs, by the name `storage_upgrades` records.
pub(super) const UPGRADES: &[&str] = &[SCIM_SEARCH];

type MemberRow = (
    Uuid,
    Uuid,
    Option<String>,
    Option<String>,
    Option<Json<serde_json::Value>>,
    String,
);
type GroupRow = (Uuid, Uuid, String, String, Option<Json<serde_json::Value>>);

/// The new key of each row, or `None` where it would take a key another row holds or gets.
fn new_keys(rows: &[(Uuid, Uuid, Option<&str>, Option<&str>)]) -> Vec<Option<String>> {
    let mut holders: HashMap<(Uuid, String), usize> = HashMap::new();
    let wanted: Vec<Option<String>> = rows
        .iter()
        .map(|(_, _, name, _)| name.map(fold_case))
        .collect();
    for ((_, ws, _, old), new) in rows.iter().zip(&wanted) {
        let mut keys: Vec<&str> = old.iter().copied().collect();
        keys.extend(new.as_deref().filter(|n| Some(*n) != *old));
        for key in keys {
            *holders.entry((*ws, key.to_string())).or_default() += 1;
        }
    }
    rows.iter()
        .zip(wanted)
        .map(|((id, ws, _, old), new)| {
            let new = new?;
            if Some(new.as_str()) == *old {
                return None;
            }
            if holders[&(*ws, new.clone())] > 1 {
                tracing::warn!(row = %id, key = %new, "case-folded key collides with another row's; kept the old key");
                return None;
            }
            Some(new)
        })
        .collect()
}

impl Store {
    /// Runs the upgrades not recorded in `storage_upgrades` yet.
    pub(super) async fn run_upgrades(&self, search: SearchDocument) -> Result<(), StoreError> {
        in_transaction!(self, tx => {
            let done: Option<(String,)> =
                sqlx::query_as("SELECT name FROM storage_upgrades WHERE name = $1")
                    .bind(SCIM_SEARCH)
                    .fetch_optional(&mut *tx)
                    .await?;
            if done.is_none() {
                let members: Vec<MemberRow> = sqlx::query_as(
                    "SELECT id, workspace_id, user_name, user_name_key, scim_doc, email \
                     FROM memberships ORDER BY id",
                )
                .fetch_all(&mut *tx)
                .await?;
                let keys = new_keys(
                    &members
                        .iter()
                        .map(|m| (m.0, m.1, m.2.as_deref(), m.3.as_deref()))
                        .collect::<Vec<_>>(),
                );
                for (m, key) in members.iter().zip(keys) {
                    let (id, ws, _, old_key, doc, email) = m;
                    let search = doc.as_ref().map(|d| Json(search(DocumentKind::User, &d.0)));
                    if search.is_some() || key.is_some() {
                        sqlx::query(
                            "UPDATE memberships SET scim_search = $2, \
                             user_name_key = $3 WHERE id = $1",
                        )
                        .bind(id)
                        .bind(search)
                        .bind(key.as_deref().or(old_key.as_deref()))
                        .execute(&mut *tx)
                        .await?;
                    }
                    let emails = match doc {
                        Some(d) => doc_email_keys(&d.0),
                        None => vec![fold_case(email)],
                    };
                    for email in emails {
                        sqlx::query(
                            "INSERT INTO member_emails (workspace_id, membership_id, email_key) \
                             VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                        )
                        .bind(ws)
                        .bind(id)
                        .bind(email)
                        .execute(&mut *tx)
                        .await?;
                    }
                }
                let groups: Vec<GroupRow> = sqlx::query_as(
                    "SELECT id, workspace_id, display_name, display_name_key, scim_doc FROM groups \
                     ORDER BY id",
                )
                .fetch_all(&mut *tx)
                .await?;
                let keys = new_keys(
                    &groups
                        .iter()
                        .map(|g| (g.0, g.1, Some(g.2.as_str()), Some(g.3.as_str())))
                        .collect::<Vec<_>>(),
                );
                for (g, key) in groups.iter().zip(keys) {
                    let (id, _, _, old_key, doc) = g;
                    let search = doc.as_ref().map(|d| Json(search(DocumentKind::Group, &d.0)));
                    if search.is_some() || key.is_some() {
                        sqlx::query(
                            "UPDATE groups SET scim_search = $2, display_name_key = $3 WHERE id = $1",
                        )
                        .bind(id)
                        .bind(search)
                        .bind(key.as_deref().unwrap_or(old_key))
                        .execute(&mut *tx)
                        .await?;
                    }
                }
                sqlx::query("INSERT INTO storage_upgrades (name, done_at) VALUES ($1, $2)")
                    .bind(SCIM_SEARCH)
                    .bind(Utc::now())
                    .execute(&mut *tx)
                    .await?;
            }
            Ok::<_, StoreError>(())
        })
    }
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    #[test]
    fn keys_move_to_the_folding_rule_unless_they_would_collide() {
        let (ws, other_ws) = (Uuid::now_v7(), Uuid::now_v7());
        let ids: Vec<Uuid> = (0..5).map(|_| Uuid::now_v7()).collect();
        let rows = [
            // The final sigma: to_lowercase gave ς, simple folding gives σ.
            (ids[0], ws, Some("ΟΔΟΣ"), Some("οδος")),
            (ids[1], ws, Some("plain"), Some("plain")),
            // These two would both become "σοφοσ" in one workspace: both keep their keys.
            (ids[2], ws, Some("ΣΟΦΟΣ"), Some("σοφος")),
            (ids[3], ws, Some("σοφοσ"), Some("σοφοσ")),
            // The same name in another workspace collides with nothing.
            (ids[4], other_ws, Some("ΣΟΦΟΣ"), Some("σοφος")),
        ];
        let keys = super::new_keys(&rows);
        assert_eq!(
            keys,
            [
                Some("οδοσ".to_string()),
                None,
                None,
                None,
                Some("σοφοσ".to_string())
            ]
        );
    }
}
