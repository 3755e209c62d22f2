-- Message archives (mod_mam, XEP-0313). Conventions as in 0001_init.sql.

-- One row per archived message and owner. `id` is MongooseIM's time-ordered id
-- ((µs << 8) | node), unique per owner.
CREATE TABLE mam_messages (
    owner           TEXT    NOT NULL,
    id              INTEGER NOT NULL,
    -- The domain part of `owner`, for retention per domain.
    domain          TEXT    NOT NULL,
    remote_bare     TEXT    NOT NULL,
    remote_resource TEXT    NOT NULL,
    direction       TEXT    NOT NULL CHECK (direction IN ('I', 'O')),
    from_jid        TEXT    NOT NULL,
    origin_id       TEXT,
    search_body     TEXT,
    xml             TEXT    NOT NULL,
    PRIMARY KEY (owner, id)
) STRICT;

-- "The latest N with X" and time ranges with X.
CREATE INDEX mam_messages_with ON mam_messages (owner, remote_bare, id);
CREATE INDEX mam_messages_domain ON mam_messages (domain, id);

-- Archiving preferences; `always` and `never` are bare JIDs separated by newlines.
CREATE TABLE mam_prefs (
    owner        TEXT NOT NULL PRIMARY KEY,
    default_mode TEXT NOT NULL CHECK (default_mode IN ('always', 'never', 'roster')),
    always       TEXT NOT NULL,
    never        TEXT NOT NULL
) STRICT;
