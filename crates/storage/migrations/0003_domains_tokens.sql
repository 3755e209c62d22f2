-- Dynamic domains, domain-admin passwords, auth-token sequence numbers and named server
-- secrets (GraphQL `domain` and `token` categories, the X-OAUTH SASL mechanism).
-- Conventions as in 0001_init.sql.

-- Dynamic domains (MongooseIM's `domain_settings`). Static hosts come from the config and
-- are never stored here.
CREATE TABLE domains (
    domain    TEXT NOT NULL PRIMARY KEY,
    host_type TEXT NOT NULL,
    status    TEXT NOT NULL CHECK (status IN ('enabled', 'disabled', 'deleting'))
) STRICT, WITHOUT ROWID;

-- Domain-admin passwords (MongooseIM's `domain_admins`), as stored-password strings
-- (SCRAM keys, never the plain password). Static and dynamic domains alike.
CREATE TABLE domain_admins (
    domain   TEXT NOT NULL PRIMARY KEY,
    password TEXT NOT NULL
) STRICT, WITHOUT ROWID;

-- Auth-token sequence numbers (MongooseIM's `auth_token`): bumping one revokes every
-- token issued to the owner before.
CREATE TABLE auth_tokens (
    owner  TEXT    NOT NULL PRIMARY KEY,
    seq_no INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- Named server secrets (e.g. the key that signs auth tokens), so that they survive
-- restarts.
CREATE TABLE server_secrets (
    name  TEXT NOT NULL PRIMARY KEY,
    value TEXT NOT NULL
) STRICT, WITHOUT ROWID;
