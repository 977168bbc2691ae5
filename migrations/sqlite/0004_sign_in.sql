-- Sign-in: same shape as migrations/postgres/0004.

CREATE TABLE sso_connections (
    id                   BLOB    PRIMARY KEY,
    workspace_id         BLOB    NOT NULL REFERENCES workspaces (id),
    idp_entity_id        TEXT    NOT NULL,
    sso_url              TEXT    NOT NULL,
    certificates         TEXT    NOT NULL,
    metadata_xml         TEXT    NOT NULL,
    metadata_url         TEXT,
    metadata_valid_until TEXT,
    refreshed_at         TEXT,
    refresh_error        TEXT,
    allow_idp_initiated  BOOLEAN NOT NULL DEFAULT 0,
    allow_sha1           BOOLEAN NOT NULL DEFAULT 0,
    attribute_mapping    TEXT    NOT NULL,
    created_at           TEXT    NOT NULL,
    updated_at           TEXT    NOT NULL,
    UNIQUE (workspace_id, idp_entity_id)
);

CREATE TABLE saml_requests (
    id            TEXT PRIMARY KEY,
    workspace_id  BLOB NOT NULL REFERENCES workspaces (id),
    connection_id BLOB NOT NULL REFERENCES sso_connections (id) ON DELETE CASCADE,
    relay_state   TEXT NOT NULL UNIQUE,
    return_to     TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    expires_at    TEXT NOT NULL,
    used_at       TEXT
);

CREATE TABLE saml_replay_cache (
    connection_id BLOB NOT NULL REFERENCES sso_connections (id) ON DELETE CASCADE,
    assertion_id  TEXT NOT NULL,
    expires_at    TEXT NOT NULL,
    PRIMARY KEY (connection_id, assertion_id)
);

CREATE TABLE sessions (
    id            BLOB PRIMARY KEY,
    token_digest  TEXT NOT NULL UNIQUE,
    account_id    BLOB NOT NULL REFERENCES accounts (id),
    method        TEXT NOT NULL CHECK (method IN ('password', 'sso')),
    workspace_id  BLOB REFERENCES workspaces (id),
    csrf_digest   TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    last_seen_at  TEXT NOT NULL,
    expires_at    TEXT NOT NULL,
    revoked_at    TEXT
);
CREATE INDEX sessions_by_account ON sessions (account_id);

ALTER TABLE memberships ADD COLUMN sso_exempt BOOLEAN NOT NULL DEFAULT 0;
