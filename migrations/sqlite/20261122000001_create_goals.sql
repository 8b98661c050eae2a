-- Goals, each owned by the principal the authorizer named. Listing walks (owner, id).
-- AUTOINCREMENT: an id is never reused after a delete, as in PostgreSQL.
CREATE TABLE goals (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    owner       TEXT    NOT NULL CHECK (length(owner) BETWEEN 1 AND 255),
    name        TEXT    NOT NULL CHECK (length(name) BETWEEN 1 AND 255),
    completed   BOOLEAN NOT NULL DEFAULT FALSE CHECK (completed IN (0, 1)),
    created_at  TEXT    NOT NULL,
    updated_at  TEXT    NOT NULL
);

CREATE INDEX goals_owner_id_idx ON goals (owner, id);
