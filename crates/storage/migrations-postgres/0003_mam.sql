-- meerkat on PostgreSQL, step 3: MongooseIM's message archive tables (mod_mam with
-- `db_message_format = "mam_message_xml"`: `message` holds the XML of the stanza), as
-- its priv/pg.sql defines them; adopted as they are when MongooseIM created them.
--   mam_server_user  the archive owners' numeric ids
--   mam_message      id = (µs << 8) | node; direction I/O; search_body lower-case words
--   mam_config       preferences: remote_jid '' is the default (A always, N never,
--                    R roster), others A or N

DO $$ BEGIN
    CREATE TYPE mam_behaviour AS ENUM('A', 'N', 'R');
EXCEPTION WHEN duplicate_object THEN NULL;
END $$;
DO $$ BEGIN
    CREATE TYPE mam_direction AS ENUM('I','O');
EXCEPTION WHEN duplicate_object THEN NULL;
END $$;

CREATE TABLE IF NOT EXISTS mam_message(
  id BIGINT NOT NULL,
  user_id INT NOT NULL,
  from_jid varchar(250) NOT NULL,
  remote_bare_jid varchar(250) NOT NULL,
  remote_resource varchar(250) NOT NULL,
  direction mam_direction NOT NULL,
  message bytea NOT NULL,
  search_body text,
  origin_id varchar,
  is_groupchat boolean NOT NULL,
  PRIMARY KEY(user_id, id)
);
CREATE INDEX IF NOT EXISTS i_mam_message_username_jid_id
    ON mam_message USING BTREE (user_id, remote_bare_jid, id);
CREATE INDEX IF NOT EXISTS i_mam_message_username_jid_origin_id
    ON mam_message USING BTREE (user_id, remote_bare_jid, origin_id);

CREATE TABLE IF NOT EXISTS mam_config(
  user_id INT NOT NULL,
  remote_jid varchar(250) NOT NULL,
  behaviour mam_behaviour NOT NULL,
  PRIMARY KEY(user_id, remote_jid)
);

CREATE TABLE IF NOT EXISTS mam_server_user(
  id SERIAL UNIQUE PRIMARY KEY,
  server    varchar(250) NOT NULL,
  user_name varchar(250) NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS i_mam_server_user_name
    ON mam_server_user USING BTREE (server, user_name);
