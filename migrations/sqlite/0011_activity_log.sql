-- Same shape as migrations/postgres/0011 (see the comments there).
CREATE TABLE activity_log (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id BLOB NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    at           TEXT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('scim', 'sign_in')),
    method       TEXT,
    path         TEXT,
    status       INTEGER,
    outcome      TEXT NOT NULL CHECK (outcome IN ('ok', 'refused')),
    reason       TEXT,
    detail       TEXT,
    subject      TEXT,
    request_id   TEXT
);
CREATE INDEX activity_log_recent ON activity_log (workspace_id, kind, id);
CREATE INDEX activity_log_at ON activity_log (at);
