-- Sign-in: SAML IdP connections, pending AuthnRequests, the assertion replay cache (shared by
-- every instance), sessions, and per-member Require-SSO exemptions.

CREATE TABLE sso_connections (
    id                   uuid        PRIMARY KEY,
    workspace_id         uuid        NOT NULL REFERENCES workspaces (id),
    idp_entity_id        text        NOT NULL,
    sso_url              text        NOT NULL,
    -- [{"der": base64, "not_after": rfc3339}]: several for certificate rollover
    certificates         jsonb       NOT NULL,
    metadata_xml         text        NOT NULL,
    metadata_url         text,
    metadata_valid_until timestamptz,
    refreshed_at         timestamptz,
    refresh_error        text,
    allow_idp_initiated  boolean     NOT NULL DEFAULT false,
    allow_sha1           boolean     NOT NULL DEFAULT false,
    -- {"email": null | attribute name, "given_name", "family_name", "groups": [names]}
    attribute_mapping    jsonb       NOT NULL,
    created_at           timestamptz NOT NULL,
    updated_at           timestamptz NOT NULL,
    UNIQUE (workspace_id, idp_entity_id)
);

CREATE TABLE saml_requests (
    id            text        PRIMARY KEY,
    workspace_id  uuid        NOT NULL REFERENCES workspaces (id),
    connection_id uuid        NOT NULL REFERENCES sso_connections (id) ON DELETE CASCADE,
    relay_state   text        NOT NULL UNIQUE,
    return_to     text        NOT NULL,
    created_at    timestamptz NOT NULL,
    expires_at    timestamptz NOT NULL,
    used_at       timestamptz
);

CREATE TABLE saml_replay_cache (
    connection_id uuid        NOT NULL REFERENCES sso_connections (id) ON DELETE CASCADE,
    assertion_id  text        NOT NULL,
    expires_at    timestamptz NOT NULL,
    PRIMARY KEY (connection_id, assertion_id)
);

CREATE TABLE sessions (
    id            uuid        PRIMARY KEY,
    token_digest  text        NOT NULL UNIQUE,
    account_id    uuid        NOT NULL REFERENCES accounts (id),
    -- 'password' or 'sso'; an SSO session names the workspace it signed in to
    method        text        NOT NULL CHECK (method IN ('password', 'sso')),
    workspace_id  uuid        REFERENCES workspaces (id),
    csrf_digest   text        NOT NULL,
    created_at    timestamptz NOT NULL,
    last_seen_at  timestamptz NOT NULL,
    expires_at    timestamptz NOT NULL,
    revoked_at    timestamptz
);
CREATE INDEX sessions_by_account ON sessions (account_id);

ALTER TABLE memberships ADD COLUMN sso_exempt boolean NOT NULL DEFAULT false;
