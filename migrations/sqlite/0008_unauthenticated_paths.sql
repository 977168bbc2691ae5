-- Bounded cost on unauthenticated paths: same shape as migrations/postgres/0008.

ALTER TABLE saml_requests ADD COLUMN browser_digest TEXT;
ALTER TABLE sso_connections ADD COLUMN certificates_changed_at TEXT;

CREATE INDEX saml_requests_by_expiry ON saml_requests (expires_at);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);
CREATE INDEX saml_replay_cache_by_expiry ON saml_replay_cache (expires_at);
