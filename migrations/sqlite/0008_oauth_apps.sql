-- OAuth apps: the operator's client registration for a catalog entry with
-- an `oauth` block. The client secret is an envelope (JSON text) sealed
-- with the key ring; its associated data binds it to the catalog key and
-- the client id, so it opens only on its own row.
CREATE TABLE oauth_apps (
    catalog_key TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    client_secret TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
