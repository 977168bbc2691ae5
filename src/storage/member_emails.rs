//! `member_emails`: every email a User of a workspace shows, case-folded, one row each; its
//! primary key `(workspace_id, email_key)` makes `emails.value` unique per workspace, as
//! `/Schemas` declares (`uniqueness: server`), decided by the database so racing writers agree.
//! A SCIM-provisioned User shows the emails of its document; any other member shows its
//! account's email (as SCIM renders it).

use serde_json::Value;

use crate::domain::case_fold::fold_case;

/// The distinct folded `emails[].value` of a SCIM User document, in document order.
pub(crate) fn doc_email_keys(doc: &Value) -> Vec<String> {
    let mut keys: Vec<String> = Vec::new();
    let emails = doc.get("emails").and_then(Value::as_array);
    for value in emails.into_iter().flatten().filter_map(|e| e.get("value")) {
        if let Some(text) = value.as_str().map(str::trim).filter(|t| !t.is_empty()) {
            let key = fold_case(text);
            if !keys.contains(&key) {
                keys.push(key);
            }
        }
    }
    keys
}

/// Makes `$keys` (`&[String]`, folded) the emails of membership `$membership`; a key another
/// membership of the workspace holds fails the transaction with `StoreError::Duplicate`.
macro_rules! replace_member_emails {
    ($tx:expr, $ws:expr, $membership:expr, $keys:expr) => {{
        let membership: uuid::Uuid = $membership;
        sqlx::query("DELETE FROM member_emails WHERE membership_id = $1")
            .bind(membership)
            .execute(&mut *$tx)
            .await?;
        for key in $keys {
            $crate::storage::member_emails::insert_member_email!($tx, $ws, membership, key);
        }
    }};
}

/// Adds one folded email key to a membership (see [`replace_member_emails!`]).
macro_rules! insert_member_email {
    ($tx:expr, $ws:expr, $membership:expr, $key:expr) => {{
        let key: &str = $key;
        sqlx::query(
            "INSERT INTO member_emails (workspace_id, membership_id, email_key) VALUES ($1, $2, $3)",
        )
        .bind($ws)
        .bind($membership)
        .bind(key)
        .execute(&mut *$tx)
        .await
        .map_err(|e| {
            StoreError::duplicate_if_unique(
                e,
                format!("the email {key:?} belongs to another User of this workspace"),
            )
        })?;
    }};
}
pub(crate) use {insert_member_email, replace_member_emails};

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn email_keys_are_folded_distinct_and_skip_non_strings() {
        let doc = json!({"emails": [{"value": "A@Example.com"}, {"value": "a@example.COM"},
            {"value": 5}, {"type": "work"}, {"value": " "}, {"value": "ÜBER@example.com"}]});
        assert_eq!(
            super::doc_email_keys(&doc),
            ["a@example.com", "über@example.com"]
        );
        assert!(super::doc_email_keys(&json!({"userName": "x"})).is_empty());
    }
}
