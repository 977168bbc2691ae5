-- Tenants, API tokens and the append-only audit log.

CREATE TABLE workspaces (
    id          uuid        PRIMARY KEY,
    slug        text        NOT NULL UNIQUE,
    name        text        NOT NULL,
    products    jsonb       NOT NULL DEFAULT '[]',
    domains     jsonb       NOT NULL DEFAULT '[]',
    settings    jsonb       NOT NULL DEFAULT '{}',
    -- Bumped in the same transaction as every change to the workspace's access model.
    revision    bigint      NOT NULL DEFAULT 0,
    created_at  timestamptz NOT NULL
);

CREATE TABLE api_tokens (
    id            uuid        PRIMARY KEY,
    workspace_id  uuid        NOT NULL REFERENCES workspaces (id),
    kind          text        NOT NULL CHECK (kind IN ('scim', 'service')),
    prefix        text        NOT NULL,
    -- SHA-256 of the secret; the secret itself is never stored.
    secret_digest text        NOT NULL UNIQUE,
    created_at    timestamptz NOT NULL,
    last_used_at  timestamptz,
    revoked_at    timestamptz
);
CREATE INDEX api_tokens_by_workspace ON api_tokens (workspace_id);

CREATE TABLE audit_log (
    id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workspace_id uuid        REFERENCES workspaces (id),
    at           timestamptz NOT NULL,
    actor        jsonb       NOT NULL,
    action       text        NOT NULL,
    target       text        NOT NULL,
    before       jsonb,
    after        jsonb,
    request_id   text
);
CREATE INDEX audit_log_by_workspace ON audit_log (workspace_id, id);

CREATE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END
$$;
CREATE TRIGGER audit_log_append_only
    BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();
