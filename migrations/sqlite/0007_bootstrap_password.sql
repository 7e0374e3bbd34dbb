-- Whether a user's password is still the one the first start gave the
-- bootstrap owner (printed once, or CONNECTORS_BOOTSTRAP_PASSWORD): the
-- sign-in page shows its admin@localhost hint only while one is. A new
-- password clears it; users from before this migration count as changed.
ALTER TABLE users ADD COLUMN bootstrap_password INTEGER NOT NULL DEFAULT 0;
