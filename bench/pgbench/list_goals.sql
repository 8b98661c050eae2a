-- What the PostgreSQL store runs for GET /goals (first page, default limit 50 + 1 to see if
-- another page follows): one transaction around the keyset query, owner bound as a parameter.
-- pgbench -M extended sends :owner, :after and :limit as bind parameters ($1, $2, $3).
\set after 0
\set limit 51
BEGIN;
SELECT id, name, completed, created_at, updated_at FROM goals WHERE owner = :owner AND id > :after ORDER BY id LIMIT :limit;
COMMIT;
