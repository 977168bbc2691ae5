-- Bounded cost on unauthenticated paths: a pending SAML request remembers the digest of the
-- browser binding cookie set by GET /saml/{slug}/login (the ACS requires it back), a
-- connection records when a metadata refresh changed its signing certificates, and the purge
-- task finds expired rows by index.

ALTER TABLE saml_requests ADD COLUMN browser_digest text;
ALTER TABLE sso_connections ADD COLUMN certificates_changed_at timestamptz;

CREATE INDEX saml_requests_by_expiry ON saml_requests (expires_at);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);
CREATE INDEX saml_replay_cache_by_expiry ON saml_replay_cache (expires_at);
