-- meerkat storage schema, version 1 (SQLite).
--
-- Conventions:
--   * `owner` is the bare JID `user@domain`, already normalised by the core.
--   * Times are Unix time: `*_us` columns in microseconds, the others in seconds.
--   * Tables are STRICT so a wrongly typed bind fails loudly instead of being coerced.
--   * Text ordering (list_users, roster_get) is SQLite's BINARY collation, i.e. UTF-8 byte
--     order, which is the same as Rust's `str` ordering. A PostgreSQL port must use
--     COLLATE "C" on these columns to keep the same order.

-- Accounts.
CREATE TABLE users (
    domain     TEXT    NOT NULL,
    username   TEXT    NOT NULL,
    -- Opaque stored-password string (SCRAM parameters), never a plain password.
    password   TEXT    NOT NULL,
    -- Unix time, seconds.
    created_at INTEGER NOT NULL,
    PRIMARY KEY (domain, username)
) STRICT, WITHOUT ROWID;

-- Roster items; groups live in `roster_groups` so their order round-trips exactly.
CREATE TABLE roster_items (
    owner        TEXT NOT NULL,
    contact      TEXT NOT NULL,
    -- NULL when no display name is set.
    name         TEXT,
    subscription TEXT NOT NULL CHECK (subscription IN ('none', 'to', 'from', 'both')),
    ask          TEXT NOT NULL CHECK (ask IN ('none', 'out', 'in', 'both')),
    PRIMARY KEY (owner, contact)
) STRICT, WITHOUT ROWID;

-- Groups of a roster item, `position` 0.. in the order the client gave them.
CREATE TABLE roster_groups (
    owner    TEXT    NOT NULL,
    contact  TEXT    NOT NULL,
    position INTEGER NOT NULL,
    name     TEXT    NOT NULL,
    PRIMARY KEY (owner, contact, position),
    FOREIGN KEY (owner, contact) REFERENCES roster_items (owner, contact) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;

-- Per-owner roster version counter (XEP-0237); absent means version 0.
CREATE TABLE roster_versions (
    owner   TEXT    NOT NULL PRIMARY KEY,
    version INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- Messages held for offline users. AUTOINCREMENT guarantees ids are never reused, even
-- after the newest rows were deleted, so "remove up to id N" stays correct.
CREATE TABLE offline_messages (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    owner        TEXT    NOT NULL,
    -- The domain part of `owner`, denormalised for the per-domain clean-up jobs.
    domain       TEXT    NOT NULL,
    from_jid     TEXT    NOT NULL,
    to_jid       TEXT    NOT NULL,
    packet       TEXT    NOT NULL,
    timestamp_us INTEGER NOT NULL,
    expire_us    INTEGER
) STRICT;

CREATE INDEX offline_messages_owner_id ON offline_messages (owner, id);
-- Serves both the (domain) lookups and offline_remove_older's (domain, timestamp) range.
CREATE INDEX offline_messages_domain_ts ON offline_messages (domain, timestamp_us);

-- vcard-temp (XEP-0054).
CREATE TABLE vcards (
    owner TEXT NOT NULL PRIMARY KEY,
    xml   TEXT NOT NULL
) STRICT;

-- Private XML storage (XEP-0049), one element per namespace.
CREATE TABLE private_storage (
    owner     TEXT NOT NULL,
    namespace TEXT NOT NULL,
    xml       TEXT NOT NULL,
    PRIMARY KEY (owner, namespace)
) STRICT;

-- Last activity (XEP-0012).
CREATE TABLE last_activity (
    owner     TEXT    NOT NULL PRIMARY KEY,
    -- Unix time, seconds.
    timestamp INTEGER NOT NULL,
    status    TEXT    NOT NULL
) STRICT;
