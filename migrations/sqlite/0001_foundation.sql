-- Tenants, API tokens and the append-only audit log.
-- Same shape as migrations/postgres/0001: uuid as BLOB, timestamps as TEXT, json as TEXT.

CREATE TABLE workspaces (
    id          BLOB    PRIMARY KEY,
    slug        TEXT    NOT NULL UNIQUE,
    name        TEXT    NOT NULL,
    products    TEXT    NOT NULL DEFAULT '[]',
    domains     TEXT    NOT NULL DEFAULT '[]',
    settings    TEXT    NOT NULL DEFAULT '{}',
    revision    INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT    NOT NULL
);

CREATE TABLE api_tokens (
    id            BLOB PRIMARY KEY,
    workspace_id  BLOB NOT NULL REFERENCES workspaces (id),
    kind          TEXT NOT NULL CHECK (kind IN ('scim', 'service')),
    prefix        TEXT NOT NULL,
    secret_digest TEXT NOT NULL UNIQUE,
    created_at    TEXT NOT NULL,
    last_used_at  TEXT,
    revoked_at    TEXT
);
CREATE INDEX api_tokens_by_workspace ON api_tokens (workspace_id);

CREATE TABLE audit_log (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id BLOB REFERENCES workspaces (id),
    at           TEXT NOT NULL,
    actor        TEXT NOT NULL,
    action       TEXT NOT NULL,
    target       TEXT NOT NULL,
    before       TEXT,
    after        TEXT,
    request_id   TEXT
);
CREATE INDEX audit_log_by_workspace ON audit_log (workspace_id, id);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
