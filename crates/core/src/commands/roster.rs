//! Rosters (MongooseIM's `mod_roster_api`): list and get contacts, add and delete them,
//! subscription actions, mutual subscriptions.
//!
//! Every change goes through the same core paths as a client's own requests: adding and
//! deleting use the roster set of [`crate::roster::set`] (pushes to online resources,
//! subscription cancellation on removal), and subscription actions are presences sent on
//! the user's behalf through [`crate::presence::outbound_subscription`], so both users'
//! rosters, their pushes and presences end up exactly as when clients do it.
//!
//! Errors and messages follow MongooseIM: `unknown_domain` ("Domain not found"),
//! `user_not_exist` ("The user X does not exist"), `contact_not_found`.

use super::{CommandError, CommandResult, ErrorKind};
use crate::Server;
use crate::store::RosterItem;
use meerkat_xmpp::stanza::cond;
use meerkat_xmpp::{BareJid, Element, Jid, ns};

/// A subscription action of the user towards a contact (GraphQL `SubAction`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SubAction {
    /// Ask to subscribe to the contact's presence (`subscribe`).
    Invite,
    /// Approve the contact's request (`subscribed`).
    Accept,
    /// Refuse the contact's request, or revoke its subscription (`unsubscribed`).
    Decline,
    /// Cancel the user's subscription to the contact (`unsubscribe`).
    Cancel,
}

impl SubAction {
    /// The presence type sent for the action.
    pub fn presence_type(self) -> &'static str {
        match self {
            SubAction::Invite => "subscribe",
            SubAction::Accept => "subscribed",
            SubAction::Decline => "unsubscribed",
            SubAction::Cancel => "unsubscribe",
        }
    }
}

/// A mutual subscription action between two users (GraphQL `MutualSubAction`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MutualAction {
    /// Add each user to the other's roster with a `both` subscription.
    Connect,
    /// Remove each user from the other's roster.
    Disconnect,
}

/// A contact as given to the batch operations: JID, display name, groups.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContactSpec {
    /// The contact's JID.
    pub jid: String,
    /// Display name (empty for none).
    pub name: String,
    /// Groups.
    pub groups: Vec<String>,
}

fn unknown_domain() -> CommandError {
    CommandError::not_found("unknown_domain", "Domain not found")
}

fn user_not_exist(jid: &BareJid) -> CommandError {
    CommandError::not_found("user_not_exist", format!("The user {jid} does not exist"))
}

fn parse_bare(jid: &str) -> CommandResult<BareJid> {
    Jid::new(jid)
        .map(|j| j.to_bare())
        .map_err(|_| CommandError::bad_request("invalid_jid", "Invalid JID").with("jid", jid))
}

/// The user whose roster is acted on: a JID of a domain served here.
fn roster_owner(server: &Server, jid: &str) -> CommandResult<BareJid> {
    let user = parse_bare(jid)?;
    if user.node().is_none() || !server.is_served_domain(user.domain().as_str()) {
        return Err(unknown_domain());
    }
    Ok(user)
}

async fn existing_owner(server: &Server, jid: &str) -> CommandResult<BareJid> {
    let user = roster_owner(server, jid)?;
    if super::is_local_account(server, &user).await? {
        Ok(user)
    } else {
        Err(user_not_exist(&user))
    }
}

/// The user's whole roster, pending inbound requests included (as MongooseIM's admin
/// view shows them, with `ask` = `in`).
pub async fn list_contacts(server: &Server, user: &str) -> CommandResult<Vec<RosterItem>> {
    super::require_modules(server, &["mod_roster"])?;
    let user = existing_owner(server, user).await?;
    Ok(server.store().roster_get(user.as_str()).await?)
}

/// One item of the user's roster.
pub async fn get_contact(server: &Server, user: &str, contact: &str) -> CommandResult<RosterItem> {
    super::require_modules(server, &["mod_roster"])?;
    let user = roster_owner(server, user)?;
    let contact = parse_bare(contact)?;
    server
        .store()
        .roster_get_item(user.as_str(), contact.as_str())
        .await?
        .ok_or_else(|| CommandError::not_found("contact_not_found", "Given contact does not exist"))
}

/// Adds `contact` to the user's roster, or renames / regroups it, without touching the
/// subscription. Both must be existing accounts. Empty group names are refused;
/// repeated ones are kept once.
pub async fn add_contact(
    server: &Server,
    user: &str,
    contact: &str,
    name: &str,
    groups: &[String],
) -> CommandResult<String> {
    super::require_modules(server, &["mod_roster"])?;
    let user = roster_owner(server, user)?;
    let contact = parse_bare(contact)?;
    for who in [&user, &contact] {
        if !super::is_local_account(server, who).await? {
            return Err(user_not_exist(who));
        }
    }
    if groups.iter().any(String::is_empty) {
        return Err(CommandError::bad_request(
            "bad_request",
            "Group names must not be empty",
        ));
    }
    let mut item = Element::new("item", ns::ROSTER).with_attr("jid", contact.as_str());
    if !name.is_empty() {
        item.set_attr("name", name);
    }
    let mut seen: Vec<&str> = Vec::with_capacity(groups.len());
    for g in groups {
        if !seen.contains(&g.as_str()) {
            seen.push(g);
            item.append_child(Element::new("group", ns::ROSTER).with_text(g.as_str()));
        }
    }
    let query = Element::new("query", ns::ROSTER).with_child(item);
    crate::roster::set(server, &user, &query)
        .await
        .map_err(|c| roster_set_error("create", c))?;
    Ok("Contact added successfully".to_owned())
}

fn roster_set_error(operation: &str, condition: &str) -> CommandError {
    CommandError::new(
        ErrorKind::Internal,
        "internal",
        format!("Cannot {operation} a contact because: {condition}"),
    )
}

/// Removes `contact` from the user's roster, cancelling subscriptions both ways first
/// (as a client's roster remove does).
pub async fn delete_contact(server: &Server, user: &str, contact: &str) -> CommandResult<String> {
    super::require_modules(server, &["mod_roster"])?;
    let user = roster_owner(server, user)?;
    let contact = parse_bare(contact)?;
    let item = Element::new("item", ns::ROSTER)
        .with_attr("jid", contact.as_str())
        .with_attr("subscription", "remove");
    let query = Element::new("query", ns::ROSTER).with_child(item);
    match crate::roster::set(server, &user, &query).await {
        Ok(()) => Ok(format!("Contact {contact} deleted successfully")),
        Err(c) if c == cond::ITEM_NOT_FOUND => Err(CommandError::not_found(
            "contact_not_found",
            format!("Cannot remove {contact} contact that does not exist"),
        )),
        Err(c) => Err(roster_set_error("delete", c)),
    }
}

/// Sends a subscription presence from the user to `contact`, as if the user's client had.
pub async fn subscription(
    server: &Server,
    user: &str,
    contact: &str,
    action: SubAction,
) -> CommandResult<String> {
    super::require_modules(server, &["mod_roster"])?;
    let user = existing_owner(server, user).await?;
    let contact = parse_bare(contact)?;
    let ty = action.presence_type();
    let el = Element::new("presence", ns::CLIENT).with_attr("type", ty);
    crate::presence::outbound_subscription(server, &user, &contact, ty, el).await;
    Ok(format!(
        "Subscription stanza with type {ty} sent successfully"
    ))
}

/// Makes two users mutual contacts with a `both` subscription: each adds the other, asks
/// to subscribe and approves the other's request. Stops at the first failure.
pub async fn subscribe_both(
    server: &Server,
    a: &ContactSpec,
    b: &ContactSpec,
) -> CommandResult<String> {
    super::require_modules(server, &["mod_roster"])?;
    add_contact(server, &a.jid, &b.jid, &b.name, &b.groups).await?;
    add_contact(server, &b.jid, &a.jid, &a.name, &a.groups).await?;
    subscription(server, &a.jid, &b.jid, SubAction::Invite).await?;
    subscription(server, &b.jid, &a.jid, SubAction::Invite).await?;
    subscription(server, &a.jid, &b.jid, SubAction::Accept).await?;
    subscription(server, &b.jid, &a.jid, SubAction::Accept).await?;
    Ok(format!(
        "Subscription between users {} and {} created successfully",
        parse_bare(&a.jid)?,
        parse_bare(&b.jid)?
    ))
}

/// Connects (mutual `both` subscription, no names or groups) or disconnects (each removed
/// from the other's roster) two users.
pub async fn set_mutual_subscription(
    server: &Server,
    a: &str,
    b: &str,
    action: MutualAction,
) -> CommandResult<String> {
    super::require_modules(server, &["mod_roster"])?;
    match action {
        MutualAction::Connect => {
            let spec = |jid: &str| ContactSpec {
                jid: jid.to_owned(),
                name: String::new(),
                groups: Vec::new(),
            };
            subscribe_both(server, &spec(a), &spec(b)).await
        }
        MutualAction::Disconnect => {
            delete_contact(server, a, b).await?;
            delete_contact(server, b, a).await?;
            Ok("Mutual subscription removed successfully".to_owned())
        }
    }
}

/// Adds each contact to the user's roster ([`add_contact`]); one result per contact.
pub async fn add_contacts(
    server: &Server,
    user: &str,
    contacts: &[ContactSpec],
) -> CommandResult<Vec<CommandResult<String>>> {
    super::require_modules(server, &["mod_roster"])?;
    let mut out = Vec::with_capacity(contacts.len());
    for c in contacts {
        out.push(add_contact(server, user, &c.jid, &c.name, &c.groups).await);
    }
    Ok(out)
}

/// Removes each contact from the user's roster ([`delete_contact`]); one result per
/// contact.
pub async fn delete_contacts(
    server: &Server,
    user: &str,
    contacts: &[&str],
) -> CommandResult<Vec<CommandResult<String>>> {
    super::require_modules(server, &["mod_roster"])?;
    let mut out = Vec::with_capacity(contacts.len());
    for c in contacts {
        out.push(delete_contact(server, user, c).await);
    }
    Ok(out)
}

/// Mutual subscriptions between `user` and each contact; one result per contact.
pub async fn subscribe_to_all(
    server: &Server,
    user: &ContactSpec,
    contacts: &[ContactSpec],
) -> CommandResult<Vec<CommandResult<String>>> {
    super::require_modules(server, &["mod_roster"])?;
    let mut out = Vec::with_capacity(contacts.len());
    for c in contacts {
        out.push(
            subscribe_both(server, user, c)
                .await
                .map_err(|e| e.with("user", &user.jid).with("contact", &c.jid)),
        );
    }
    Ok(out)
}

/// Mutual subscriptions between every pair of `contacts`; one result per pair, in the
/// order (1,2), (1,3), ..., (2,3), ...
pub async fn subscribe_all_to_all(
    server: &Server,
    contacts: &[ContactSpec],
) -> CommandResult<Vec<CommandResult<String>>> {
    super::require_modules(server, &["mod_roster"])?;
    let mut out = Vec::new();
    for (i, user) in contacts.iter().enumerate() {
        out.extend(subscribe_to_all(server, user, &contacts[i + 1..]).await?);
    }
    Ok(out)
}
