-- Which of a connector's secrets are set, and when: a JSON object of
-- secret name (a dotted path for a nested secret) to the RFC 3339 time it
-- was set, never a value. Written in the same statement as `auth` and bound
-- into its associated data. NULL for a row sealed before this column
-- existed, until the backfill (`connectors migrate`, or a serving process
-- in the background) re-seals it.
ALTER TABLE connectors ADD COLUMN secret_states TEXT;
