-- The access model: accounts, memberships, groups, resources, grants, the change feed and
-- invitations. Every change to memberships, groups, group members, resources or grants
-- bumps workspaces.revision and appends one row per change to access_changes, in the same
-- transaction.

CREATE TABLE accounts (
    id            uuid        PRIMARY KEY,
    email         text        NOT NULL,
    -- lower-cased email: one account per person, whatever the case an IdP sends
    email_key     text        NOT NULL UNIQUE,
    password_hash text,
    created_at    timestamptz NOT NULL
);

CREATE TABLE memberships (
    id           uuid        PRIMARY KEY,
    workspace_id uuid        NOT NULL REFERENCES workspaces (id),
    account_id   uuid        NOT NULL REFERENCES accounts (id),
    kind         text        NOT NULL CHECK (kind IN ('owner', 'member')),
    active       boolean     NOT NULL DEFAULT true,
    provenance   text        NOT NULL,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    UNIQUE (workspace_id, account_id)
);
CREATE INDEX memberships_by_account ON memberships (account_id);

CREATE TABLE groups (
    id               uuid        PRIMARY KEY,
    workspace_id     uuid        NOT NULL REFERENCES workspaces (id),
    display_name     text        NOT NULL,
    display_name_key text        NOT NULL,
    external_id      text,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    UNIQUE (workspace_id, display_name_key)
);
CREATE INDEX groups_by_external_id ON groups (workspace_id, external_id);

CREATE TABLE group_members (
    group_id      uuid        NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    membership_id uuid        NOT NULL REFERENCES memberships (id) ON DELETE CASCADE,
    workspace_id  uuid        NOT NULL REFERENCES workspaces (id),
    source        text        NOT NULL CHECK (source IN ('scim', 'saml', 'manual')),
    added_at      timestamptz NOT NULL,
    PRIMARY KEY (group_id, membership_id)
);
CREATE INDEX group_members_by_membership ON group_members (membership_id);

CREATE TABLE resources (
    workspace_id  uuid        NOT NULL REFERENCES workspaces (id),
    resource_type text        NOT NULL,
    resource_id   text        NOT NULL,
    name          text        NOT NULL,
    parent_type   text,
    parent_id     text,
    created_at    timestamptz NOT NULL,
    PRIMARY KEY (workspace_id, resource_type, resource_id)
);

CREATE TABLE grants (
    id            uuid        PRIMARY KEY,
    workspace_id  uuid        NOT NULL REFERENCES workspaces (id),
    subject_type  text        NOT NULL CHECK (subject_type IN ('user', 'group')),
    subject_id    uuid        NOT NULL,
    role          text        NOT NULL,
    scope_type    text        NOT NULL CHECK (scope_type IN ('all', 'instance')),
    resource_type text,
    resource_id   text,
    origin        jsonb       NOT NULL,
    created_at    timestamptz NOT NULL,
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
    workspace_id uuid        NOT NULL REFERENCES workspaces (id),
    revision     bigint      NOT NULL,
    event_id     uuid        NOT NULL UNIQUE,
    at           timestamptz NOT NULL,
    change       jsonb       NOT NULL,
    PRIMARY KEY (workspace_id, revision)
);

CREATE TABLE invites (
    id           uuid        PRIMARY KEY,
    workspace_id uuid        NOT NULL REFERENCES workspaces (id),
    email        text        NOT NULL,
    kind         text        NOT NULL CHECK (kind IN ('owner', 'member')),
    grants       jsonb       NOT NULL,
    code_digest  text        NOT NULL UNIQUE,
    created_by   jsonb       NOT NULL,
    created_at   timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL,
    accepted_at  timestamptz,
    revoked_at   timestamptz
);
CREATE INDEX invites_by_workspace ON invites (workspace_id);

-- The role catalog as rows, written by Gatehouse from its built-in catalog at every start
-- (src/access/catalog.rs), so SQL readers can join on it.
CREATE TABLE role_catalog (
    role        text PRIMARY KEY,
    name        text NOT NULL,
    -- the product that must be enabled for the role to confer anything; NULL for none
    product     text
);

-- The stable interface for services that read the database directly: one row per grant a
-- member effectively holds, directly (origin_group_id NULL) or through a group; only active
-- memberships; roles of products the workspace has not enabled are left out. Owners appear
-- once with role 'workspace.owner'. resource_type/resource_id are NULL for "all current and
-- future instances".
CREATE VIEW effective_grants AS
    SELECT m.workspace_id, a.id AS account_id, a.email, m.id AS membership_id,
           'workspace.owner'::text AS role, NULL::text AS resource_type,
           NULL::text AS resource_id, NULL::uuid AS origin_group_id
      FROM memberships m
      JOIN accounts a ON a.id = m.account_id
     WHERE m.active AND m.kind = 'owner'
    UNION ALL
    SELECT m.workspace_id, a.id, a.email, m.id, g.role, g.resource_type, g.resource_id, gm.group_id
      FROM grants g
      JOIN role_catalog r ON r.role = g.role
      JOIN workspaces w ON w.id = g.workspace_id
      LEFT JOIN group_members gm ON g.subject_type = 'group' AND gm.group_id = g.subject_id
      JOIN memberships m ON m.id = CASE WHEN g.subject_type = 'user' THEN g.subject_id
                                        ELSE gm.membership_id END
      JOIN accounts a ON a.id = m.account_id
     WHERE m.active
       AND (r.product IS NULL OR w.products ? r.product);
