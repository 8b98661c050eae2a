-- What the PostgreSQL store runs for POST /goals: one transaction around the INSERT … RETURNING.
-- The store binds the timestamp ($3) from the client clock; here the server's now() stands in.
BEGIN;
INSERT INTO goals (owner, name, completed, created_at, updated_at) VALUES (:owner, :name, FALSE, now(), now()) RETURNING id, name, completed, created_at, updated_at;
COMMIT;
