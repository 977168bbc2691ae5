-- Same shape as migrations/postgres/0009 (see the comments there).

ALTER TABLE memberships ADD COLUMN scim_search TEXT;
ALTER TABLE groups ADD COLUMN scim_search TEXT;

CREATE TABLE member_emails (
    workspace_id  BLOB NOT NULL REFERENCES workspaces (id),
    membership_id BLOB NOT NULL,
    email_key     TEXT NOT NULL,
    PRIMARY KEY (workspace_id, email_key),
    FOREIGN KEY (membership_id, workspace_id) REFERENCES memberships (id, workspace_id)
        ON DELETE CASCADE
);
CREATE INDEX member_emails_by_membership ON member_emails (membership_id);

CREATE TABLE storage_upgrades (
    name    TEXT PRIMARY KEY,
    done_at TEXT NOT NULL
);
