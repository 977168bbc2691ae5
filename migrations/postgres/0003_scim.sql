-- SCIM 2.0 views of memberships (Users) and groups (Groups): the document as the identity
-- provider sent it (Entra requires an exact round-trip), the indexed attributes in columns,
-- and a version for ETags.

ALTER TABLE memberships ADD COLUMN user_name text;
-- lower-cased userName: unique per workspace, whatever the case (RFC 7643 caseExact=false)
ALTER TABLE memberships ADD COLUMN user_name_key text;
ALTER TABLE memberships ADD COLUMN external_id text;
ALTER TABLE memberships ADD COLUMN scim_doc jsonb;
ALTER TABLE memberships ADD COLUMN version bigint NOT NULL DEFAULT 1;
CREATE UNIQUE INDEX memberships_by_user_name ON memberships (workspace_id, user_name_key);
CREATE INDEX memberships_by_external_id ON memberships (workspace_id, external_id);

ALTER TABLE groups ADD COLUMN scim_doc jsonb;
ALTER TABLE groups ADD COLUMN version bigint NOT NULL DEFAULT 1;
