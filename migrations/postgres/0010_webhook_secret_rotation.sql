-- Webhook secret rotation (expand only: two nullable columns). While previous_secret has not
-- expired, deliveries carry a Standard Webhooks signature with each secret, so a receiver can
-- switch secrets without dropping a delivery.
ALTER TABLE webhooks ADD COLUMN previous_secret text;
ALTER TABLE webhooks ADD COLUMN previous_secret_expires_at timestamptz;
