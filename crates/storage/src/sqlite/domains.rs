//! `impl DomainStore for SqliteStore`: dynamic domains (`domains`) and domain-admin
//! passwords (`domain_admins`).

use meerkat_core::store::{DomainStatus, DomainStore, DynamicDomain, StoreError, StoreFuture};

use crate::SqliteStore;
use crate::error::{corrupt, db_err};

/// A `domains` row as a [`DynamicDomain`].
fn domain_from_row(
    (domain, host_type, status): (String, String, String),
) -> Result<DynamicDomain, StoreError> {
    let status = DomainStatus::parse(&status).ok_or_else(|| corrupt("domain status", &status))?;
    Ok(DynamicDomain {
        domain,
        host_type,
        status,
    })
}

impl DomainStore for SqliteStore {
    fn domain_insert<'a>(&'a self, domain: &'a str, host_type: &'a str) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            let done = sqlx::query(
                "INSERT INTO domains (domain, host_type, status) VALUES ($1, $2, 'enabled') \
                 ON CONFLICT (domain) DO NOTHING",
            )
            .bind(domain)
            .bind(host_type)
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
            Ok(done.rows_affected() == 1)
        })
    }

    fn domain_get<'a>(&'a self, domain: &'a str) -> StoreFuture<'a, Option<DynamicDomain>> {
        Box::pin(async move {
            let row: Option<(String, String, String)> =
                sqlx::query_as("SELECT domain, host_type, status FROM domains WHERE domain = $1")
                    .bind(domain)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(db_err)?;
            row.map(domain_from_row).transpose()
        })
    }

    fn domain_list(&self) -> StoreFuture<'_, Vec<DynamicDomain>> {
        Box::pin(async move {
            let rows: Vec<(String, String, String)> =
                sqlx::query_as("SELECT domain, host_type, status FROM domains ORDER BY domain")
                    .fetch_all(&self.pool)
                    .await
                    .map_err(db_err)?;
            rows.into_iter().map(domain_from_row).collect()
        })
    }

    fn domain_set_status<'a>(
        &'a self,
        domain: &'a str,
        status: DomainStatus,
    ) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            let done = sqlx::query("UPDATE domains SET status = $2 WHERE domain = $1")
                .bind(domain)
                .bind(status.as_str())
                .execute(&self.pool)
                .await
                .map_err(db_err)?;
            Ok(done.rows_affected() > 0)
        })
    }

    fn domain_delete<'a>(&'a self, domain: &'a str) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            let done = sqlx::query("DELETE FROM domains WHERE domain = $1")
                .bind(domain)
                .execute(&self.pool)
                .await
                .map_err(db_err)?;
            Ok(done.rows_affected() > 0)
        })
    }

    fn domain_admin_get<'a>(&'a self, domain: &'a str) -> StoreFuture<'a, Option<String>> {
        Box::pin(async move {
            sqlx::query_scalar("SELECT password FROM domain_admins WHERE domain = $1")
                .bind(domain)
                .fetch_optional(&self.pool)
                .await
                .map_err(db_err)
        })
    }

    fn domain_admin_set<'a>(&'a self, domain: &'a str, password: &'a str) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            sqlx::query(
                "INSERT INTO domain_admins (domain, password) VALUES ($1, $2) \
                 ON CONFLICT (domain) DO UPDATE SET password = excluded.password",
            )
            .bind(domain)
            .bind(password)
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
            Ok(())
        })
    }

    fn domain_admin_list(&self) -> StoreFuture<'_, Vec<(String, String)>> {
        Box::pin(async move {
            sqlx::query_as("SELECT domain, password FROM domain_admins ORDER BY domain")
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)
        })
    }

    fn domain_admin_delete<'a>(&'a self, domain: &'a str) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            let done = sqlx::query("DELETE FROM domain_admins WHERE domain = $1")
                .bind(domain)
                .execute(&self.pool)
                .await
                .map_err(db_err)?;
            Ok(done.rows_affected() > 0)
        })
    }
}
