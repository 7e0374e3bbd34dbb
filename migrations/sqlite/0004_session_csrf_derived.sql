-- A session's CSRF token is derived from its id under a key derived from
-- the encryption key ring (an HMAC), so it is no longer stored.
ALTER TABLE sessions DROP COLUMN csrf_token;
