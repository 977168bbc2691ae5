-- Token rotation with overlap: same shape as migrations/postgres/0005.

ALTER TABLE api_tokens ADD COLUMN expires_at TEXT;
