-- SCIM 2.0 views of memberships and groups: same shape as migrations/postgres/0003.

ALTER TABLE memberships ADD COLUMN user_name TEXT;
ALTER TABLE memberships ADD COLUMN user_name_key TEXT;
ALTER TABLE memberships ADD COLUMN external_id TEXT;
ALTER TABLE memberships ADD COLUMN scim_doc TEXT;
ALTER TABLE memberships ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
CREATE UNIQUE INDEX memberships_by_user_name ON memberships (workspace_id, user_name_key);
CREATE INDEX memberships_by_external_id ON memberships (workspace_id, external_id);

ALTER TABLE groups ADD COLUMN scim_doc TEXT;
ALTER TABLE groups ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
