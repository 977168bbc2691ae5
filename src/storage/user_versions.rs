//! A SCIM User's `groups` is computed from `group_members`, and its ETag (`meta.version`) and
//! `meta.lastModified` must move whenever what it shows changes (RFC 7644 §3.14), or a
//! conditional GET answers 304 with stale groups. Every path that changes a user's groups —
//! SCIM Group writes, the admin API, SAML group claims, mapping rules — commits group-member
//! changes through `write_change!`, which calls [`touch_users!`] before the rows change.

/// Which memberships' versions move, with the SQL condition selecting them.
macro_rules! touch_users {
    // Those of `$ids` about to join `$group` (not yet members of it).
    ($tx:expr, $ws:expr, $now:expr, joining $group:expr, $ids:expr) => {
        touch_users!(@listed $tx, $ws, $now, $group, $ids, "NOT EXISTS")
    };
    // Those of `$ids` about to leave `$group` (members of it now).
    ($tx:expr, $ws:expr, $now:expr, leaving $group:expr, $ids:expr) => {
        touch_users!(@listed $tx, $ws, $now, $group, $ids, "EXISTS")
    };
    // Every member of `$group` (the group is deleted, or renamed to `$name`).
    ($tx:expr, $ws:expr, $now:expr, members_of $group:expr, renamed_from_other_than $name:expr) => {{
        sqlx::query(
            "UPDATE memberships SET version = version + 1, updated_at = $3 \
             WHERE workspace_id = $1 AND id IN \
             (SELECT membership_id FROM group_members WHERE group_id = $2) \
             AND ($4 IS NULL OR EXISTS \
             (SELECT 1 FROM groups WHERE id = $2 AND display_name <> $4))",
        )
        .bind($ws)
        .bind($group)
        .bind($now)
        .bind($name)
        .execute(&mut *$tx)
        .await?;
    }};
    (@listed $tx:expr, $ws:expr, $now:expr, $group:expr, $ids:expr, $exists:literal) => {{
        let ids: &[Uuid] = $ids;
        let list = (0..ids.len())
            .map(|i| format!("${}", i + 4))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "UPDATE memberships SET version = version + 1, updated_at = $3 \
             WHERE workspace_id = $1 AND id IN ({list}) AND {} \
             (SELECT 1 FROM group_members gm WHERE gm.group_id = $2 \
             AND gm.membership_id = memberships.id)",
            $exists
        );
        let mut query = sqlx::query(&sql).bind($ws).bind($group).bind($now);
        for id in ids {
            query = query.bind(*id);
        }
        query.execute(&mut *$tx).await?;
    }};
}
pub(super) use touch_users;
