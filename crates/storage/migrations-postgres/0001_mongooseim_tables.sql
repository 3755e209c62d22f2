-- meerkat on PostgreSQL, step 1: the tables of MongooseIM's schema (its priv/pg.sql) that
-- hold what meerkat serves today, with MongooseIM's names, types, keys and indexes, so a
-- database created by MongooseIM is used as it is and one created here can be read by
-- MongooseIM. `IF NOT EXISTS` adopts a MongooseIM database: `meerkat db migrate` checks
-- the columns of tables that are already there before running this (see
-- src/postgres/schema.rs) and never alters them.
--
-- Value formats (as MongooseIM writes them):
--   users.password/pass_details   plaintext password, or '' plus ==MULTI_SCRAM== details
--   rosterusers.subscription      N/T/F/B; ask N/O/I/B (S and U read as O and N)
--   roster_version.version        text; meerkat writes a decimal counter
--   last.seconds                  Unix seconds
--   offline_message.timestamp     Unix microseconds; expire likewise, NULL for never
--   domain_settings.status        0 disabled, 1 enabled, 2 deleting
--   domain_admins.pass_details    ==MULTI_SCRAM== with SHA-512 only

CREATE TABLE IF NOT EXISTS users (
    username varchar(250),
    server varchar(250),
    "password" text NOT NULL,
    pass_details text,
    created_at TIMESTAMP NOT NULL DEFAULT now(),
    PRIMARY KEY (server, username)
);

CREATE TABLE IF NOT EXISTS last (
    server varchar(250),
    username varchar(250),
    seconds integer NOT NULL,
    state text NOT NULL,
    PRIMARY KEY (server, username)
);
CREATE INDEX IF NOT EXISTS i_last_server_seconds ON last USING btree (server, seconds);

CREATE TABLE IF NOT EXISTS rosterusers (
    server varchar(250) NOT NULL,
    username varchar(250) NOT NULL,
    jid text NOT NULL,
    nick text NOT NULL,
    subscription character(1) NOT NULL,
    ask character(1) NOT NULL,
    askmessage text NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT now(),
    PRIMARY KEY (server, username, jid)
);

CREATE TABLE IF NOT EXISTS rostergroups (
    server varchar(250) NOT NULL,
    username varchar(250) NOT NULL,
    jid text NOT NULL,
    grp text NOT NULL,
    PRIMARY KEY (server, username, jid, grp)
);

CREATE TABLE IF NOT EXISTS roster_version (
    server varchar(250),
    username varchar(250),
    version text NOT NULL,
    PRIMARY KEY (server, username)
);

CREATE TABLE IF NOT EXISTS vcard (
    username varchar(150),
    server varchar(100),
    vcard text NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT now(),
    PRIMARY KEY (server, username)
);

CREATE TABLE IF NOT EXISTS vcard_search (
    username varchar(150) NOT NULL,
    lusername varchar(100),
    server varchar(250),
    fn text NOT NULL,
    lfn text NOT NULL,
    family text NOT NULL,
    lfamily text NOT NULL,
    given text NOT NULL,
    lgiven text NOT NULL,
    middle text NOT NULL,
    lmiddle text NOT NULL,
    nickname text NOT NULL,
    lnickname text NOT NULL,
    bday text NOT NULL,
    lbday text NOT NULL,
    ctry text NOT NULL,
    lctry text NOT NULL,
    locality text NOT NULL,
    llocality text NOT NULL,
    email text NOT NULL,
    lemail text NOT NULL,
    orgname text NOT NULL,
    lorgname text NOT NULL,
    orgunit text NOT NULL,
    lorgunit text NOT NULL,
    PRIMARY KEY (server, lusername)
);
CREATE INDEX IF NOT EXISTS i_vcard_search_lfn       ON vcard_search(lfn);
CREATE INDEX IF NOT EXISTS i_vcard_search_lfamily   ON vcard_search(lfamily);
CREATE INDEX IF NOT EXISTS i_vcard_search_lgiven    ON vcard_search(lgiven);
CREATE INDEX IF NOT EXISTS i_vcard_search_lmiddle   ON vcard_search(lmiddle);
CREATE INDEX IF NOT EXISTS i_vcard_search_lnickname ON vcard_search(lnickname);
CREATE INDEX IF NOT EXISTS i_vcard_search_lbday     ON vcard_search(lbday);
CREATE INDEX IF NOT EXISTS i_vcard_search_lctry     ON vcard_search(lctry);
CREATE INDEX IF NOT EXISTS i_vcard_search_llocality ON vcard_search(llocality);
CREATE INDEX IF NOT EXISTS i_vcard_search_lemail    ON vcard_search(lemail);
CREATE INDEX IF NOT EXISTS i_vcard_search_lorgname  ON vcard_search(lorgname);
CREATE INDEX IF NOT EXISTS i_vcard_search_lorgunit  ON vcard_search(lorgunit);

CREATE TABLE IF NOT EXISTS private_storage (
    server varchar(250) NOT NULL,
    username varchar(250) NOT NULL,
    namespace varchar(250) NOT NULL,
    data text NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT now(),
    PRIMARY KEY(server, username, namespace)
);

CREATE TABLE IF NOT EXISTS offline_message(
    id SERIAL UNIQUE PRIMARY Key,
    timestamp BIGINT NOT NULL,
    expire    BIGINT,
    server    varchar(250)    NOT NULL,
    username  varchar(250)    NOT NULL,
    from_jid  varchar(250)    NOT NULL,
    packet    text            NOT NULL,
    permanent_fields bytea
);
CREATE INDEX IF NOT EXISTS i_offline_message ON offline_message USING BTREE (server, username, id);

CREATE TABLE IF NOT EXISTS auth_token(
    owner   TEXT    NOT NULL PRIMARY KEY,
    seq_no  BIGINT  NOT NULL
);

CREATE TABLE IF NOT EXISTS domain_admins(
     domain VARCHAR(250) NOT NULL,
     pass_details TEXT NOT NULL,
     PRIMARY KEY(domain)
);

CREATE TABLE IF NOT EXISTS domain_settings (
    id BIGSERIAL NOT NULL UNIQUE,
    domain VARCHAR(250) NOT NULL,
    host_type VARCHAR(250) NOT NULL,
    status SMALLINT NOT NULL DEFAULT 1,
    PRIMARY KEY(domain)
);

CREATE TABLE IF NOT EXISTS domain_events (
    id BIGSERIAL NOT NULL,
    domain VARCHAR(250) NOT NULL,
    PRIMARY KEY(id)
);
CREATE INDEX IF NOT EXISTS i_domain_events_domain ON domain_events(domain);
