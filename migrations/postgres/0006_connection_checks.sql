-- Connection checks: the last check's answer (JSON text: ok, code,
-- message, identity, checked_at; never a secret), when the next scheduled
-- check is due (NULL: as soon as the connector is active), and whether the
-- connector is in `error` because a check failed (so that a later success
-- can return it to `active`).
ALTER TABLE connectors ADD COLUMN last_check TEXT;
ALTER TABLE connectors ADD COLUMN next_check_at TIMESTAMPTZ;
ALTER TABLE connectors ADD COLUMN check_error BOOLEAN NOT NULL DEFAULT false;
CREATE INDEX idx_connectors_next_check ON connectors (next_check_at);
