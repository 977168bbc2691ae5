-- SCIM case-insensitivity that does not depend on the database, and emails unique per workspace.
--
-- scim_search: the SCIM document with every string of a caseExact=false attribute case-folded
-- in Rust (Unicode simple case folding, src/domain/case_fold.rs); filters and sorting read it,
-- responses read scim_doc. member_emails: every email a User of the workspace shows, folded;
-- its primary key makes emails.value unique per workspace (declared uniqueness "server").
-- Existing rows are filled by the start-up upgrade "0009_scim_search" (src/storage/upgrades.rs),
-- which needs Rust's folding; storage_upgrades records that it ran.

ALTER TABLE memberships ADD COLUMN scim_search jsonb;
ALTER TABLE groups ADD COLUMN scim_search jsonb;

CREATE TABLE member_emails (
    workspace_id  uuid NOT NULL REFERENCES workspaces (id),
    membership_id uuid NOT NULL,
    email_key     text NOT NULL,
    PRIMARY KEY (workspace_id, email_key),
    FOREIGN KEY (membership_id, workspace_id) REFERENCES memberships (id, workspace_id)
        ON DELETE CASCADE
);
CREATE INDEX member_emails_by_membership ON member_emails (membership_id);

CREATE TABLE storage_upgrades (
    name    text        PRIMARY KEY,
    done_at timestamptz NOT NULL
);
