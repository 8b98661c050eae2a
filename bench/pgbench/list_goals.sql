-- What the PostgreSQL store runs for GET /goals (first page, default limit 50 + 1 to see if
-- another page follows): the keyset query alone, its own implicit transaction.
-- pgbench -M simple sends it as one Query with the values written in, as the store does.
\set after 0
\set limit 51
SELECT id, name, completed, created_at, updated_at FROM goals WHERE owner = :owner AND id > :after ORDER BY id LIMIT :limit;
