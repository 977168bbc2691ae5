//! Writes that ride in the transaction of an access-model commit without being access-model
//! changes themselves: a new person's account, claiming an invitation, and the SCIM document
//! of a User or Group.
//! Keeping them in the same transaction means a SCIM create either lands whole (membership,
//! document, revision, change feed, audit) or not at all.

use uuid::Uuid;

/// One extra write of [`crate::storage::Store::commit_changes_with`].
#[derive(Debug, Clone)]
pub enum SideWrite {
    /// Marks the invitation used; fails the transaction if it is not open any more.
    ConsumeInvite(Uuid),
    /// A new person's account with the password they chose (accepting an invitation in the
    /// browser). Runs before the access changes, so the membership links to it; refused with
    /// a conflict when the email has an account already (that person signs in instead):
    /// nothing a workspace holds may set an existing account's password.
    CreateAccount {
        email: String,
        password_hash: String,
        /// The inviting workspace verified the address's domain (otherwise the account is
        /// only held through the invitation link: see `accounts.vouched`).
        vouched: bool,
    },
    /// The person's account takes a new address (its sign-in identity everywhere): the
    /// workspace holding both the old and the new address's domain renamed its User.
    RenameAccount { membership_id: Uuid, email: String },
    /// Whether a member is exempt from Require SSO, with its audit row.
    SsoExempt {
        membership_id: Uuid,
        exempt: bool,
        audit: crate::domain::NewAuditEntry,
    },
    /// Marks a threshold of an SSO certificate announced; fails with `Duplicate` when it
    /// was (another instance got there first), so a notice goes out once.
    CertificateWarned {
        connection_id: Uuid,
        not_after: chrono::DateTime<chrono::Utc>,
        threshold_days: i64,
    },
    /// The SCIM User view of a membership (which must exist by then).
    ScimUser {
        membership_id: Uuid,
        user_name: String,
        external_id: Option<String>,
        doc: serde_json::Value,
        /// The document's search copy (what filters read; the protocol computes it).
        search: serde_json::Value,
        /// `If-Match`: fails with `PreconditionFailed` unless the stored version is this one.
        expected_version: Option<i64>,
    },
    /// The SCIM Group document of a group (which must exist by then).
    ScimGroup {
        group_id: Uuid,
        doc: serde_json::Value,
        /// The document's search copy.
        search: serde_json::Value,
        expected_version: Option<i64>,
    },
}

impl SideWrite {
    /// Whether it runs before the access changes of its commit (the others run after).
    pub fn precedes_changes(&self) -> bool {
        matches!(self, SideWrite::CreateAccount { .. })
    }
}

/// Runs one [`SideWrite`] in the caller's transaction.
macro_rules! write_side {
    ($tx:expr, $workspace_id:expr, $side:expr, $now:expr) => {{
        use $crate::storage::side_writes::SideWrite;
        let ws: uuid::Uuid = $workspace_id;
        match $side {
            SideWrite::ConsumeInvite(invite) => {
                let claimed = sqlx::query(
                    "UPDATE invites SET accepted_at = $3 WHERE id = $1 AND workspace_id = $2 \
                     AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > $3",
                )
                .bind(invite)
                .bind(ws)
                .bind($now)
                .execute(&mut *$tx)
                .await?
                .rows_affected();
                if claimed != 1 {
                    return Err(StoreError::Conflict(
                        "this invitation was already used, revoked or has expired".into(),
                    ));
                }
            }
            SideWrite::CreateAccount {
                email,
                password_hash,
                vouched,
            } => {
                sqlx::query(
                    "INSERT INTO accounts (id, email, email_key, password_hash, vouched, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(uuid::Uuid::new_v4())
                .bind(email.trim())
                .bind(email.trim().to_lowercase())
                .bind(password_hash)
                .bind(*vouched)
                .bind($now)
                .execute(&mut *$tx)
                .await
                .map_err(|e| {
                    StoreError::on_unique_violation(
                        e,
                        "no new account can be made for this address: if you have a Gatehouse \
                         account, sign in to accept",
                    )
                })?;
            }
            SideWrite::CertificateWarned {
                connection_id,
                not_after,
                threshold_days,
            } => {
                let claimed = sqlx::query(
                    "INSERT INTO certificate_warnings (connection_id, not_after, threshold_days, at) \
                     SELECT id, $3, $4, $5 FROM sso_connections WHERE id = $1 AND workspace_id = $2 \
                     ON CONFLICT DO NOTHING",
                )
                .bind(connection_id)
                .bind(ws)
                .bind(*not_after)
                .bind(*threshold_days)
                .bind($now)
                .execute(&mut *$tx)
                .await?
                .rows_affected();
                if claimed != 1 {
                    return Err(StoreError::Duplicate(
                        "this certificate threshold was announced already".into(),
                    ));
                }
            }
            SideWrite::SsoExempt {
                membership_id,
                exempt,
                audit,
            } => {
                let changed = sqlx::query(
                    "UPDATE memberships SET sso_exempt = $3 WHERE id = $1 AND workspace_id = $2",
                )
                .bind(membership_id)
                .bind(ws)
                .bind(*exempt)
                .execute(&mut *$tx)
                .await?
                .rows_affected();
                if changed != 1 {
                    return Err(StoreError::NotFound(format!("member {membership_id}")));
                }
                $crate::storage::audit::append_audit!(&mut *$tx, audit)?;
            }
            SideWrite::RenameAccount {
                membership_id,
                email,
            } => {
                sqlx::query(
                    "UPDATE accounts SET email = $3, email_key = $4 WHERE id = \
                     (SELECT account_id FROM memberships WHERE id = $1 AND workspace_id = $2)",
                )
                .bind(membership_id)
                .bind(ws)
                .bind(email.trim())
                .bind(email.trim().to_lowercase())
                .execute(&mut *$tx)
                .await
                .map_err(|e| {
                    StoreError::duplicate_if_unique(
                        e,
                        format!("{} is another person's address", email.trim()),
                    )
                })?;
            }
            SideWrite::ScimUser {
                membership_id,
                user_name,
                external_id,
                doc,
                search,
                expected_version,
            } => {
                let updated = sqlx::query(
                    "UPDATE memberships SET user_name = $3, user_name_key = $4, external_id = $5, \
                     scim_doc = $6, scim_search = $9, version = version + 1, updated_at = $7 \
                     WHERE id = $1 AND workspace_id = $2 AND ($8 IS NULL OR version = $8)",
                )
                .bind(membership_id)
                .bind(ws)
                .bind(user_name)
                .bind($crate::domain::case_fold::fold_case(user_name))
                .bind(external_id.as_deref())
                .bind(sqlx::types::Json(doc))
                .bind($now)
                .bind(*expected_version)
                .bind(sqlx::types::Json(search))
                .execute(&mut *$tx)
                .await
                .map_err(|e| {
                    StoreError::duplicate_if_unique(
                        e,
                        format!("userName {user_name:?} is already taken in this workspace"),
                    )
                })?
                .rows_affected();
                if updated != 1 {
                    return Err(StoreError::PreconditionFailed(
                        "the user changed since the version you sent (If-Match)".into(),
                    ));
                }
                let emails = $crate::storage::member_emails::doc_email_keys(doc);
                $crate::storage::member_emails::replace_member_emails!(
                    $tx,
                    ws,
                    *membership_id,
                    &emails
                );
            }
            SideWrite::ScimGroup {
                group_id,
                doc,
                search,
                expected_version,
            } => {
                let updated = sqlx::query(
                    "UPDATE groups SET scim_doc = $3, scim_search = $6, version = version + 1, \
                     updated_at = $4 \
                     WHERE id = $1 AND workspace_id = $2 AND ($5 IS NULL OR version = $5)",
                )
                .bind(group_id)
                .bind(ws)
                .bind(sqlx::types::Json(doc))
                .bind($now)
                .bind(*expected_version)
                .bind(sqlx::types::Json(search))
                .execute(&mut *$tx)
                .await?
                .rows_affected();
                if updated != 1 {
                    return Err(StoreError::PreconditionFailed(
                        "the group changed since the version you sent (If-Match)".into(),
                    ));
                }
            }
        }
    }};
}
pub(crate) use write_side;
