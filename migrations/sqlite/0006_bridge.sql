-- The bridge: same shape as migrations/postgres/0006.

CREATE TABLE mapping_rules (
    id           BLOB PRIMARY KEY,
    workspace_id BLOB NOT NULL REFERENCES workspaces (id),
    match_kind   TEXT NOT NULL,
    pattern      TEXT NOT NULL,
    role         TEXT NOT NULL,
    scope        TEXT NOT NULL,
    source       TEXT NOT NULL,
    created_at   TEXT NOT NULL
);
CREATE INDEX mapping_rules_by_workspace ON mapping_rules (workspace_id);

CREATE TABLE webhooks (
    id              BLOB    PRIMARY KEY,
    workspace_id    BLOB    NOT NULL REFERENCES workspaces (id),
    url             TEXT    NOT NULL,
    secret          TEXT    NOT NULL,
    cursor_revision INTEGER NOT NULL,
    lease_owner     TEXT,
    lease_until     TEXT,
    created_at      TEXT    NOT NULL,
    disabled_at     TEXT
);
CREATE INDEX webhooks_by_workspace ON webhooks (workspace_id);

CREATE TABLE webhook_dead_letters (
    id            BLOB    PRIMARY KEY,
    webhook_id    BLOB    NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    from_revision INTEGER NOT NULL,
    to_revision   INTEGER NOT NULL,
    attempts      INTEGER NOT NULL,
    last_error    TEXT    NOT NULL,
    failed_at     TEXT    NOT NULL
);
