-- Goals, each owned by the principal the authorizer named. Listing walks (owner, id).
CREATE TABLE goals (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    owner       TEXT        NOT NULL CHECK (char_length(owner) BETWEEN 1 AND 255),
    name        TEXT        NOT NULL CHECK (char_length(name) BETWEEN 1 AND 255),
    completed   BOOLEAN     NOT NULL DEFAULT FALSE,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE INDEX goals_owner_id_idx ON goals (owner, id);
