-- What `POST /goals` answered to an `Idempotency-Key`, per owner: the request's fingerprint
-- (SHA-256 of method, path and body, hex) and a snapshot of the goal it created, written in the
-- same statement as the goal, so a retry replays the first answer exactly. A record is kept
-- until expires_at (24 hours); an expired one is replaced when its key comes again.
CREATE TABLE idempotency_records (
    owner            TEXT        NOT NULL CHECK (char_length(owner) BETWEEN 1 AND 255),
    key              TEXT        NOT NULL CHECK (char_length(key) BETWEEN 1 AND 255),
    fingerprint      TEXT        NOT NULL CHECK (char_length(fingerprint) = 64),
    goal_id          BIGINT      NOT NULL,
    goal_name        TEXT        NOT NULL,
    goal_completed   BOOLEAN     NOT NULL,
    goal_created_at  TIMESTAMPTZ NOT NULL,
    goal_updated_at  TIMESTAMPTZ NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL,
    expires_at       TIMESTAMPTZ NOT NULL,
    CONSTRAINT idempotency_records_pkey PRIMARY KEY (owner, key)
);

-- For a purge of expired records.
CREATE INDEX idempotency_records_expires_at_idx ON idempotency_records (expires_at);
