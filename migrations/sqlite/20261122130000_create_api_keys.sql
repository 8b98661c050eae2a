-- API keys: only the SHA-256 of each key is kept (hex), never the key. A key is valid while
-- revoked_at is NULL. `prefix` is the key's first characters, not secret, for listings.
CREATE TABLE api_keys (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    owner       TEXT    NOT NULL CHECK (length(owner) BETWEEN 1 AND 255),
    prefix      TEXT    NOT NULL,
    key_hash    TEXT    NOT NULL UNIQUE CHECK (length(key_hash) = 64),
    created_at  TEXT    NOT NULL,
    revoked_at  TEXT
);

CREATE INDEX api_keys_owner_id_idx ON api_keys (owner, id);
