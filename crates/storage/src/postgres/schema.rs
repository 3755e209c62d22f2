//! The schema on PostgreSQL: MongooseIM's tables plus meerkat's (`migrations-postgres/`),
//! created or upgraded only by an explicit [`PgStore::migrate`] (`meerkat db migrate`, or
//! `meerkat run --migrate`), and checked by [`PgStore::check_schema`] at every start.

use sqlx::migrate::Migrator;

use super::PgStore;
use crate::error::StorageError;

/// The embedded PostgreSQL migrations.
static MIGRATOR: Migrator = sqlx::migrate!("./migrations-postgres");

/// The columns meerkat reads and writes, per MongooseIM table (and its own tables). A
/// database whose tables lack one of them is refused, with the table named.
const COLUMNS: &[(&str, &str)] = &[
    (
        "users",
        "server, username, password, pass_details, created_at",
    ),
    ("last", "server, username, seconds, state"),
    (
        "rosterusers",
        "server, username, jid, nick, subscription, ask, askmessage",
    ),
    ("rostergroups", "server, username, jid, grp"),
    ("roster_version", "server, username, version"),
    ("vcard", "server, username, vcard"),
    (
        "vcard_search",
        "server, username, lusername, fn, lfn, family, lfamily, given, lgiven, middle, \
         lmiddle, nickname, lnickname, bday, lbday, ctry, lctry, locality, llocality, email, \
         lemail, orgname, lorgname, orgunit, lorgunit",
    ),
    ("private_storage", "server, username, namespace, data"),
    (
        "offline_message",
        "id, timestamp, expire, server, username, from_jid, packet, permanent_fields",
    ),
    ("auth_token", "owner, seq_no"),
    ("domain_admins", "domain, pass_details"),
    ("domain_settings", "id, domain, host_type, status"),
    ("domain_events", "id, domain"),
    ("meerkat_server_secrets", "name, value"),
    (
        "mam_message",
        "id, user_id, from_jid, remote_bare_jid, remote_resource, direction, message, \
         search_body, origin_id, is_groupchat",
    ),
    ("mam_config", "user_id, remote_jid, behaviour"),
    ("mam_server_user", "id, server, user_name"),
];

/// Where a database stands against this meerkat's schema.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SchemaState {
    /// Every migration applied and every table as expected.
    Current,
    /// What is wrong, each problem on its own; the first says what to do.
    Problems(Vec<String>),
}

impl PgStore {
    /// The newest schema version this meerkat knows.
    pub fn schema_version() -> i64 {
        MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0)
    }

    async fn table_exists(&self, table: &str) -> Result<bool, sqlx::Error> {
        sqlx::query_scalar("SELECT to_regclass($1) IS NOT NULL")
            .bind(table)
            .fetch_one(&self.pool)
            .await
    }

    /// The column problems of the tables in `tables` that exist (or of all of them, when
    /// `missing_too`, reporting absent ones).
    async fn column_problems(&self, missing_too: bool) -> Result<Vec<String>, sqlx::Error> {
        let mut problems = Vec::new();
        for (table, columns) in COLUMNS {
            if !self.table_exists(table).await? {
                if missing_too {
                    problems.push(format!("table {table} is missing"));
                }
                continue;
            }
            // Built from the constants above only.
            let probe = sqlx::AssertSqlSafe(format!("SELECT {columns} FROM {table} LIMIT 0"));
            if let Err(e) = sqlx::query(probe).execute(&self.pool).await {
                let reason = match e.as_database_error() {
                    Some(db) => db.message().to_owned(),
                    None => return Err(e),
                };
                problems.push(format!(
                    "table {table} does not have MongooseIM's layout ({reason}); meerkat needs the columns {columns}"
                ));
            }
        }
        Ok(problems)
    }

    /// Compares the database with this meerkat's schema, changing nothing.
    pub async fn check_schema(&self) -> Result<SchemaState, StorageError> {
        let err = |e: sqlx::Error| StorageError::Connect {
            target: self.target.clone(),
            reason: e.to_string(),
        };
        let latest = Self::schema_version();
        if !self.table_exists("_sqlx_migrations").await.map_err(err)? {
            let first = if self.table_exists("users").await.map_err(err)? {
                "this database has MongooseIM's tables but not meerkat's yet: run `meerkat db migrate` once (it adds meerkat's tables and changes none of MongooseIM's)"
            } else {
                "this database has no schema: run `meerkat db migrate` to create it (or start with `meerkat run --migrate`)"
            };
            return Ok(SchemaState::Problems(vec![first.to_owned()]));
        }
        let applied: Vec<(i64, Vec<u8>, bool)> = sqlx::query_as(
            "SELECT version, checksum, success FROM _sqlx_migrations ORDER BY version",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(err)?;
        let mut problems = Vec::new();
        for (version, checksum, success) in &applied {
            match MIGRATOR.iter().find(|m| m.version == *version) {
                None => problems.push(format!(
                    "schema version {version} was applied by a newer meerkat; this one knows versions up to {latest}: run the newer meerkat"
                )),
                Some(_) if !success => problems.push(format!(
                    "migration {version} failed halfway; repair the database by hand, then run `meerkat db migrate`"
                )),
                Some(m) if m.checksum.as_ref() != checksum.as_slice() => problems.push(format!(
                    "migration {version} ({}) in the database differs from this meerkat's",
                    m.description
                )),
                Some(_) => {}
            }
        }
        let pending: Vec<i64> = MIGRATOR
            .iter()
            .filter(|m| !applied.iter().any(|(v, _, _)| *v == m.version))
            .map(|m| m.version)
            .collect();
        if !pending.is_empty() && problems.is_empty() {
            let at = applied.iter().map(|(v, _, _)| *v).max().unwrap_or(0);
            problems.push(format!(
                "the schema is at version {at} and this meerkat needs {latest}: run `meerkat db migrate`"
            ));
        }
        if problems.is_empty() {
            problems = self.column_problems(true).await.map_err(err)?;
        }
        Ok(if problems.is_empty() {
            SchemaState::Current
        } else {
            SchemaState::Problems(problems)
        })
    }

    /// Creates or upgrades the schema: MongooseIM's tables where they are missing, then
    /// meerkat's. Refuses, changing nothing, a database whose existing tables lack the
    /// columns meerkat uses, or one migrated by a newer meerkat. Returns the versions it
    /// applied.
    pub async fn migrate(&self) -> Result<Vec<i64>, StorageError> {
        let problems = |problems: Vec<String>| StorageError::Schema {
            target: self.target.clone(),
            problems,
        };
        let err = |e: sqlx::Error| StorageError::Connect {
            target: self.target.clone(),
            reason: e.to_string(),
        };
        let column_problems = self.column_problems(false).await.map_err(err)?;
        if !column_problems.is_empty() {
            return Err(problems(column_problems));
        }
        let before: Vec<i64> = if self.table_exists("_sqlx_migrations").await.map_err(err)? {
            sqlx::query_scalar("SELECT version FROM _sqlx_migrations")
                .fetch_all(&self.pool)
                .await
                .map_err(err)?
        } else {
            Vec::new()
        };
        MIGRATOR
            .run(&self.pool)
            .await
            .map_err(|source| StorageError::MigratePostgres {
                target: self.target.clone(),
                source,
            })?;
        match self.check_schema().await? {
            SchemaState::Current => {}
            SchemaState::Problems(p) => return Err(problems(p)),
        }
        let applied: Vec<i64> = MIGRATOR
            .iter()
            .map(|m| m.version)
            .filter(|v| !before.contains(v))
            .collect();
        tracing::info!(database = %self.target, ?applied, "PostgreSQL schema migrated");
        Ok(applied)
    }

    /// [`PgStore::check_schema`] as an error that lists every problem.
    pub async fn require_current_schema(&self) -> Result<(), StorageError> {
        match self.check_schema().await? {
            SchemaState::Current => Ok(()),
            SchemaState::Problems(problems) => Err(StorageError::Schema {
                target: self.target.clone(),
                problems,
            }),
        }
    }
}
