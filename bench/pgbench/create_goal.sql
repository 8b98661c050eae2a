-- What the PostgreSQL store runs for POST /goals, statement for statement: the INSERT … RETURNING
-- (its own implicit transaction), then the owner's WebSocket connections to push the new goal
-- to. The store writes the timestamp from the client clock; here the server's now() stands in.
-- pgbench -M simple sends each as one Query with the values written in, as the store does.
INSERT INTO goals (owner, name, completed, created_at, updated_at) VALUES (:owner, :name, FALSE, now(), now()) RETURNING id, name, completed, created_at, updated_at;
SELECT id FROM connections WHERE owner = :owner AND connected_at > now() - interval '2 hours' ORDER BY connected_at, id;
