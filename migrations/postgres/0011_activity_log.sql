-- The owner console's SCIM request log and sign-in log (expand only: a new table). One row per
-- SCIM request or sign-in attempt of a workspace: what was asked, what came of it and why, never
-- a password, token, document or assertion. Purged after activity_log_days.
CREATE TABLE activity_log (
    id           bigserial PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    at           timestamptz NOT NULL,
    kind         text NOT NULL CHECK (kind IN ('scim', 'sign_in')),
    method       text,
    path         text,
    status       integer,
    outcome      text NOT NULL CHECK (outcome IN ('ok', 'refused')),
    reason       text,
    detail       text,
    subject      text,
    request_id   text
);
CREATE INDEX activity_log_recent ON activity_log (workspace_id, kind, id);
CREATE INDEX activity_log_at ON activity_log (at);
