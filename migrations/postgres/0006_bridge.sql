-- The bridge: group mapping rules, webhooks with their delivery cursor (the change feed is
-- the transactional outbox), and the dead-letter list.

CREATE TABLE mapping_rules (
    id           uuid        PRIMARY KEY,
    workspace_id uuid        NOT NULL REFERENCES workspaces (id),
    -- display_name_equals | display_name_prefix | display_name_regex | external_id_equals
    match_kind   text        NOT NULL,
    pattern      text        NOT NULL,
    role         text        NOT NULL,
    scope        jsonb       NOT NULL,
    -- 'api' or 'file' (rules from the start-up TOML file are replaced by it)
    source       text        NOT NULL,
    created_at   timestamptz NOT NULL
);
CREATE INDEX mapping_rules_by_workspace ON mapping_rules (workspace_id);

CREATE TABLE webhooks (
    id              uuid        PRIMARY KEY,
    workspace_id    uuid        NOT NULL REFERENCES workspaces (id),
    url             text        NOT NULL,
    -- the HMAC key must be usable to sign, so it is stored as given
    secret          text        NOT NULL,
    -- the last revision delivered (or dead-lettered); deliveries resume after it
    cursor_revision bigint      NOT NULL,
    lease_owner     text,
    lease_until     timestamptz,
    created_at      timestamptz NOT NULL,
    disabled_at     timestamptz
);
CREATE INDEX webhooks_by_workspace ON webhooks (workspace_id);

CREATE TABLE webhook_dead_letters (
    id            uuid        PRIMARY KEY,
    webhook_id    uuid        NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    from_revision bigint      NOT NULL,
    to_revision   bigint      NOT NULL,
    attempts      integer     NOT NULL,
    last_error    text        NOT NULL,
    failed_at     timestamptz NOT NULL
);
