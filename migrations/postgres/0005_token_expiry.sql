-- Token rotation with overlap: a rotated token keeps working until expires_at, then is
-- refused like a revoked one. NULL: the token does not expire.

ALTER TABLE api_tokens ADD COLUMN expires_at timestamptz;
