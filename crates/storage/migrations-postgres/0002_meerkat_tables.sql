-- meerkat on PostgreSQL, step 2: what meerkat keeps beyond MongooseIM's tables. Only new
-- tables, prefixed `meerkat_`; MongooseIM's are never changed.

-- Named server secrets (the key that signs auth tokens...), so that they survive restarts
-- and every node of a cluster shares them.
CREATE TABLE meerkat_server_secrets (
    name  TEXT NOT NULL PRIMARY KEY,
    value TEXT NOT NULL
);
