-- Which expiry thresholds (30, 7, 1 days) of an SSO signing certificate have been announced in
-- the change feed (expand only: a new table). The primary key makes each notice go out once,
-- whichever instance sees the threshold first.
CREATE TABLE certificate_warnings (
    connection_id  uuid NOT NULL REFERENCES sso_connections (id) ON DELETE CASCADE,
    not_after      timestamptz NOT NULL,
    threshold_days integer NOT NULL,
    at             timestamptz NOT NULL,
    PRIMARY KEY (connection_id, not_after, threshold_days)
);
