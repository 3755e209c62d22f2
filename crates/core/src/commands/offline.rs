//! Offline message clean-up (MongooseIM's `mod_offline_api`): drop a domain's expired
//! messages, or those older than a number of days. Results are MongooseIM's strings
//! ("Removed N messages"); an unknown domain is `domain_not_found` ("Unknown domain").

use super::{CommandError, CommandResult};
use crate::Server;

const DAY_US: i64 = 86_400 * 1_000_000;

fn domain(server: &Server, domain: &str) -> CommandResult<String> {
    super::served_domain(server, domain).ok_or_else(|| {
        CommandError::not_found("domain_not_found", "Unknown domain").with("domain", domain)
    })
}

/// Removes the domain's messages whose expiry time has passed.
pub async fn delete_expired_messages(server: &Server, domain_name: &str) -> CommandResult<String> {
    super::require_modules(server, &["mod_offline"])?;
    let d = domain(server, domain_name)?;
    let n = server
        .store()
        .offline_remove_expired(&d, crate::util::now_us())
        .await
        .map_err(|e| CommandError::internal("offline clean-up", e))?;
    Ok(format!("Removed {n} messages"))
}

/// Removes the domain's messages stored at least `days` days ago.
pub async fn delete_old_messages(
    server: &Server,
    domain_name: &str,
    days: u32,
) -> CommandResult<String> {
    super::require_modules(server, &["mod_offline"])?;
    let d = domain(server, domain_name)?;
    let before = crate::util::now_us().saturating_sub(i64::from(days).saturating_mul(DAY_US));
    let n = server
        .store()
        .offline_remove_older(&d, before)
        .await
        .map_err(|e| CommandError::internal("offline clean-up", e))?;
    Ok(format!("Removed {n} messages"))
}
