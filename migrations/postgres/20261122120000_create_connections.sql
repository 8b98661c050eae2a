-- Open WebSocket connections, each with the owner the authorizer named at $connect.
-- Pushing a goal change reads an owner's connections; expiry sweeps by connected_at.
CREATE TABLE connections (
    id            TEXT        PRIMARY KEY CHECK (char_length(id) BETWEEN 1 AND 128),
    owner         TEXT        NOT NULL CHECK (char_length(owner) BETWEEN 1 AND 255),
    connected_at  TIMESTAMPTZ NOT NULL
);

CREATE INDEX connections_owner_idx ON connections (owner);
CREATE INDEX connections_connected_at_idx ON connections (connected_at);
