//! `impl DomainStore for PgStore`: MongooseIM's `domain_settings` (status 0 disabled,
//! 1 enabled, 2 deleting), `domain_events` (a row per change, which MongooseIM nodes
//! poll to pick changes up) and `domain_admins` (SCRAM details only).

use meerkat_core::store::{DomainStatus, DomainStore, DynamicDomain, StoreError, StoreFuture};

use super::PgStore;
use super::accounts::{password_columns, password_from_columns};
use crate::error::corrupt;

fn status_code(status: DomainStatus) -> i16 {
    match status {
        DomainStatus::Disabled => 0,
        DomainStatus::Enabled => 1,
        DomainStatus::Deleting => 2,
    }
}

fn domain_from_row(
    (domain, host_type, status): (String, String, i16),
) -> Result<DynamicDomain, StoreError> {
    let status = match status {
        0 => DomainStatus::Disabled,
        1 => DomainStatus::Enabled,
        2 => DomainStatus::Deleting,
        other => return Err(corrupt("domain status", &other.to_string())),
    };
    Ok(DynamicDomain {
        domain,
        host_type,
        status,
    })
}

impl PgStore {
    /// Records a change of `domain` in `domain_events`, which MongooseIM nodes poll.
    async fn domain_event(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Postgres>,
        domain: &str,
    ) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO domain_events (domain) VALUES ($1)")
            .bind(domain)
            .execute(&mut **tx)
            .await
            .map_err(|e| self.fail(e))?;
        Ok(())
    }
}

impl DomainStore for PgStore {
    fn domain_insert<'a>(&'a self, domain: &'a str, host_type: &'a str) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            let mut tx = self.db()?.begin().await.map_err(|e| self.fail(e))?;
            let inserted = sqlx::query(
                "INSERT INTO domain_settings (domain, host_type, status) VALUES ($1, $2, 1) \
                 ON CONFLICT (domain) DO NOTHING",
            )
            .bind(domain)
            .bind(host_type)
            .execute(&mut *tx)
            .await
            .map_err(|e| self.fail(e))?
            .rows_affected()
                == 1;
            if inserted {
                self.domain_event(&mut tx, domain).await?;
            }
            tx.commit().await.map_err(|e| self.fail(e))?;
            Ok(inserted)
        })
    }

    fn domain_get<'a>(&'a self, domain: &'a str) -> StoreFuture<'a, Option<DynamicDomain>> {
        Box::pin(async move {
            let row: Option<(String, String, i16)> = sqlx::query_as(
                "SELECT domain, host_type, status FROM domain_settings WHERE domain = $1",
            )
            .bind(domain)
            .fetch_optional(self.db()?)
            .await
            .map_err(|e| self.fail(e))?;
            row.map(domain_from_row).transpose()
        })
    }

    fn domain_list(&self) -> StoreFuture<'_, Vec<DynamicDomain>> {
        Box::pin(async move {
            let rows: Vec<(String, String, i16)> = sqlx::query_as(
                "SELECT domain, host_type, status FROM domain_settings \
                 ORDER BY domain COLLATE \"C\"",
            )
            .fetch_all(self.db()?)
            .await
            .map_err(|e| self.fail(e))?;
            rows.into_iter().map(domain_from_row).collect()
        })
    }

    fn domain_set_status<'a>(
        &'a self,
        domain: &'a str,
        status: DomainStatus,
    ) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            let mut tx = self.db()?.begin().await.map_err(|e| self.fail(e))?;
            let changed = sqlx::query("UPDATE domain_settings SET status = $2 WHERE domain = $1")
                .bind(domain)
                .bind(status_code(status))
                .execute(&mut *tx)
                .await
                .map_err(|e| self.fail(e))?
                .rows_affected()
                > 0;
            if changed {
                self.domain_event(&mut tx, domain).await?;
            }
            tx.commit().await.map_err(|e| self.fail(e))?;
            Ok(changed)
        })
    }

    fn domain_delete<'a>(&'a self, domain: &'a str) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            let mut tx = self.db()?.begin().await.map_err(|e| self.fail(e))?;
            let deleted = sqlx::query("DELETE FROM domain_settings WHERE domain = $1")
                .bind(domain)
                .execute(&mut *tx)
                .await
                .map_err(|e| self.fail(e))?
                .rows_affected()
                > 0;
            if deleted {
                self.domain_event(&mut tx, domain).await?;
            }
            tx.commit().await.map_err(|e| self.fail(e))?;
            Ok(deleted)
        })
    }

    fn domain_admin_get<'a>(&'a self, domain: &'a str) -> StoreFuture<'a, Option<String>> {
        Box::pin(async move {
            let details: Option<String> =
                sqlx::query_scalar("SELECT pass_details FROM domain_admins WHERE domain = $1")
                    .bind(domain)
                    .fetch_optional(self.db()?)
                    .await
                    .map_err(|e| self.fail(e))?;
            details
                .map(|d| password_from_columns("", Some(&d)))
                .transpose()
        })
    }

    fn domain_admin_set<'a>(&'a self, domain: &'a str, password: &'a str) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let (_, details) = password_columns(password)?;
            let details = details.ok_or_else(|| {
                StoreError::Backend(
                    "a domain-admin password is stored as SCRAM keys only".to_owned(),
                )
            })?;
            sqlx::query(
                "INSERT INTO domain_admins (domain, pass_details) VALUES ($1, $2) \
                 ON CONFLICT (domain) DO UPDATE SET pass_details = excluded.pass_details",
            )
            .bind(domain)
            .bind(details)
            .execute(self.db()?)
            .await
            .map_err(|e| self.fail(e))?;
            Ok(())
        })
    }

    fn domain_admin_list(&self) -> StoreFuture<'_, Vec<(String, String)>> {
        Box::pin(async move {
            let rows: Vec<(String, String)> = sqlx::query_as(
                "SELECT domain, pass_details FROM domain_admins ORDER BY domain COLLATE \"C\"",
            )
            .fetch_all(self.db()?)
            .await
            .map_err(|e| self.fail(e))?;
            rows.into_iter()
                .map(|(d, details)| Ok((d, password_from_columns("", Some(&details))?)))
                .collect()
        })
    }

    fn domain_admin_delete<'a>(&'a self, domain: &'a str) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            let done = sqlx::query("DELETE FROM domain_admins WHERE domain = $1")
                .bind(domain)
                .execute(self.db()?)
                .await
                .map_err(|e| self.fail(e))?;
            Ok(done.rows_affected() > 0)
        })
    }
}
