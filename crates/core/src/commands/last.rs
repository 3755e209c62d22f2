//! Last activity (MongooseIM's `mod_last_api`): get and set a user's record, count the
//! users active since a time, list or remove the users inactive since a time.
//!
//! The records are the ones XEP-0012 IQs answer from (stored when a session ends).
//! Timestamps are Unix seconds. Errors: `user_does_not_exist` ("User u@d does not
//! exist"), `last_not_found`, `domain_not_found` ("Domain not found"), and, for a user
//! asking about another user without a presence subscription, `not_allowed`.

use super::{CommandError, CommandResult};
use crate::Server;
use crate::store::LastActivity;
use meerkat_xmpp::{BareJid, Jid};

/// A user's last activity record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserLast {
    /// Bare JID.
    pub user: BareJid,
    /// The record: Unix seconds and status text.
    pub last: LastActivity,
}

/// A user with no activity since the asked time: its JID and last recorded activity
/// (Unix seconds), `None` when it never had any.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OldUser {
    /// Bare JID.
    pub jid: BareJid,
    /// Last recorded activity.
    pub timestamp: Option<i64>,
}

async fn existing(server: &Server, jid: &str) -> CommandResult<BareJid> {
    let user = Jid::new(jid)
        .map_err(|_| CommandError::bad_request("invalid_jid", "Invalid JID").with("jid", jid))?
        .to_bare();
    if super::is_local_account(server, &user).await? {
        Ok(user)
    } else {
        Err(CommandError::not_found(
            "user_does_not_exist",
            format!("User {user} does not exist"),
        ))
    }
}

fn domain(server: &Server, domain: &str) -> CommandResult<String> {
    super::served_domain(server, domain)
        .ok_or_else(|| CommandError::not_found("domain_not_found", "Domain not found"))
}

/// The user's last activity record (`last_not_found` when there is none).
pub async fn get_last(server: &Server, user: &str) -> CommandResult<UserLast> {
    super::require_modules(server, &["mod_last"])?;
    let user = existing(server, user).await?;
    match server.store().last_get(user.as_str()).await? {
        Some(last) => Ok(UserLast { user, last }),
        None => Err(CommandError::not_found(
            "last_not_found",
            "Given user's last info not found",
        )),
    }
}

/// `user`'s last activity as `asker` may see it (the user API): its own, or, as XEP-0012
/// rules for users, another user's only when `asker` is subscribed to that user's
/// presence (subscription `from` or `both` on the user's roster). Anything else is
/// `not_allowed`, whether the user exists or not.
pub async fn get_last_as(server: &Server, asker: &BareJid, user: &str) -> CommandResult<UserLast> {
    super::require_modules(server, &["mod_last"])?;
    let target = Jid::new(user)
        .map_err(|_| CommandError::bad_request("invalid_jid", "Invalid JID").with("jid", user))?
        .to_bare();
    if &target != asker {
        let item = server
            .store()
            .roster_get_item(target.as_str(), asker.as_str())
            .await?;
        let subscribed = item.is_some_and(|i| {
            matches!(
                i.subscription,
                crate::store::Subscription::From | crate::store::Subscription::Both
            )
        });
        if !subscribed {
            return Err(CommandError::denied(
                "not_allowed",
                format!(
                    "You may see the last activity of {target} only if you are subscribed to its presence"
                ),
            ));
        }
    }
    get_last(server, target.as_str()).await
}

/// Records the user's last activity (at `timestamp`, or now).
pub async fn set_last(
    server: &Server,
    user: &str,
    timestamp: Option<i64>,
    status: &str,
) -> CommandResult<UserLast> {
    super::require_modules(server, &["mod_last"])?;
    let user = existing(server, user).await?;
    let last = LastActivity {
        timestamp: timestamp.unwrap_or_else(crate::util::now_secs),
        status: status.to_owned(),
    };
    server.store().last_set(user.as_str(), &last).await?;
    Ok(UserLast { user, last })
}

/// Number of users of `domain` whose last recorded activity is after `since` (or now).
pub async fn count_active_users(
    server: &Server,
    domain_name: &str,
    since: Option<i64>,
) -> CommandResult<u64> {
    super::require_modules(server, &["mod_last"])?;
    let d = domain(server, domain_name)?;
    let since = since.unwrap_or_else(crate::util::now_secs);
    let records = server.store().last_list_domain(&d).await?;
    Ok(records.iter().filter(|(_, l)| l.timestamp > since).count() as u64)
}

/// Users of `domain` (every local domain when `None`) that are offline and whose last
/// activity is before `before`, or who never had any. Sorted by JID within each domain.
pub async fn list_old_users(
    server: &Server,
    domain_name: Option<&str>,
    before: i64,
) -> CommandResult<Vec<OldUser>> {
    super::require_modules(server, &["mod_last"])?;
    let domains = match domain_name {
        Some(d) => vec![domain(server, d)?],
        None => super::served_domains(server),
    };
    let mut out = Vec::new();
    for d in domains {
        let mut records: std::collections::HashMap<String, LastActivity> = server
            .store()
            .last_list_domain(&d)
            .await?
            .into_iter()
            .collect();
        for user in server.store().list_users(&d).await? {
            let last = records.remove(&user);
            let Ok(jid) = BareJid::new(&format!("{user}@{d}")) else {
                continue;
            };
            if !server.sm().resources(&jid).is_empty() {
                continue;
            }
            match last {
                Some(l) if l.timestamp < before => out.push(OldUser {
                    jid,
                    timestamp: Some(l.timestamp),
                }),
                Some(_) => {}
                None => out.push(OldUser {
                    jid,
                    timestamp: None,
                }),
            }
        }
    }
    Ok(out)
}

/// Removes the accounts [`list_old_users`] lists (with all their data) and returns them.
pub async fn remove_old_users(
    server: &Server,
    domain_name: Option<&str>,
    before: i64,
) -> CommandResult<Vec<OldUser>> {
    super::require_modules(server, &["mod_last"])?;
    let old = list_old_users(server, domain_name, before).await?;
    let mut removed = Vec::with_capacity(old.len());
    for u in old {
        match server.remove_user(&u.jid).await {
            Ok(()) => removed.push(u),
            // Removed meanwhile by someone else: not ours to report.
            Err(crate::AccountError::NotFound(_)) => {}
            Err(e) => return Err(CommandError::internal("remove old users", e)),
        }
    }
    Ok(removed)
}
