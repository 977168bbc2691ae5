-- Same shape as migrations/postgres/0012 (see the comments there).
CREATE TABLE certificate_warnings (
    connection_id  BLOB NOT NULL REFERENCES sso_connections (id) ON DELETE CASCADE,
    not_after      TEXT NOT NULL,
    threshold_days INTEGER NOT NULL,
    at             TEXT NOT NULL,
    PRIMARY KEY (connection_id, not_after, threshold_days)
);
