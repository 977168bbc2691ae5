-- The access model: same shape as migrations/postgres/0002 (see the comments there).
-- SQLite has no effective_grants view: it is a PostgreSQL interface for direct readers.

CREATE TABLE accounts (
    id            BLOB PRIMARY KEY,
    email         TEXT NOT NULL,
    email_key     TEXT NOT NULL UNIQUE,
    password_hash TEXT,
    created_at    TEXT NOT NULL
);

CREATE TABLE memberships (
    id           BLOB    PRIMARY KEY,
    workspace_id BLOB    NOT NULL REFERENCES workspaces (id),
    account_id   BLOB    NOT NULL REFERENCES accounts (id),
    kind         TEXT    NOT NULL CHECK (kind IN ('owner', 'member')),
    active       BOOLEAN NOT NULL DEFAULT 1,
    provenance   TEXT    NOT NULL,
    created_at   TEXT    NOT NULL,
    updated_at   TEXT    NOT NULL,
    UNIQUE (workspace_id, account_id)
);
CREATE INDEX memberships_by_account ON memberships (account_id);

CREATE TABLE groups (
    id               BLOB PRIMARY KEY,
    workspace_id     BLOB NOT NULL REFERENCES workspaces (id),
    display_name     TEXT NOT NULL,
    display_name_key TEXT NOT NULL,
    external_id      TEXT,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    UNIQUE (workspace_id, display_name_key)
);
CREATE INDEX groups_by_external_id ON groups (workspace_id, external_id);

CREATE TABLE group_members (
    group_id      BLOB NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    membership_id BLOB NOT NULL REFERENCES memberships (id) ON DELETE CASCADE,
    workspace_id  BLOB NOT NULL REFERENCES workspaces (id),
    source        TEXT NOT NULL CHECK (source IN ('scim', 'saml', 'manual')),
    added_at      TEXT NOT NULL,
    PRIMARY KEY (group_id, membership_id)
);
CREATE INDEX group_members_by_membership ON group_members (membership_id);

CREATE TABLE resources (
    workspace_id  BLOB NOT NULL REFERENCES workspaces (id),
    resource_type TEXT NOT NULL,
    resource_id   TEXT NOT NULL,
    name          TEXT NOT NULL,
    parent_type   TEXT,
    parent_id     TEXT,
    created_at    TEXT NOT NULL,
    PRIMARY KEY (workspace_id, resource_type, resource_id)
);

CREATE TABLE grants (
    id            BLOB PRIMARY KEY,
    workspace_id  BLOB NOT NULL REFERENCES workspaces (id),
    subject_type  TEXT NOT NULL CHECK (subject_type IN ('user', 'group')),
    subject_id    BLOB NOT NULL,
    role          TEXT NOT NULL,
    scope_type    TEXT NOT NULL CHECK (scope_type IN ('all', 'instance')),
    resource_type TEXT,
    resource_id   TEXT,
    origin        TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    CHECK ((scope_type = 'all') = (resource_id IS NULL)),
    -- an instance grant names a registered resource (NULLs for "all" skip the check)
    FOREIGN KEY (workspace_id, resource_type, resource_id)
        REFERENCES resources (workspace_id, resource_type, resource_id)
);
CREATE UNIQUE INDEX grants_unique ON grants
    (workspace_id, subject_type, subject_id, role, scope_type,
     COALESCE(resource_type, ''), COALESCE(resource_id, ''));
CREATE INDEX grants_by_subject ON grants (subject_id);

CREATE TABLE access_changes (
    workspace_id BLOB    NOT NULL REFERENCES workspaces (id),
    revision     INTEGER NOT NULL,
    event_id     BLOB    NOT NULL UNIQUE,
    at           TEXT    NOT NULL,
    change       TEXT    NOT NULL,
    PRIMARY KEY (workspace_id, revision)
);

CREATE TABLE invites (
    id           BLOB PRIMARY KEY,
    workspace_id BLOB NOT NULL REFERENCES workspaces (id),
    email        TEXT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('owner', 'member')),
    grants       TEXT NOT NULL,
    code_digest  TEXT NOT NULL UNIQUE,
    created_by   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    expires_at   TEXT NOT NULL,
    accepted_at  TEXT,
    revoked_at   TEXT
);
CREATE INDEX invites_by_workspace ON invites (workspace_id);

CREATE TABLE role_catalog (
    role    TEXT PRIMARY KEY,
    name    TEXT NOT NULL,
    product TEXT
);
