//! `roster` category (admin): MongooseIM's `admin/roster.gql`, with the shared types of
//! `global/roster.gql` (`Contact`, `ContactInput`, `ContactSub`, `ContactAsk`,
//! `SubAction`, `MutualSubAction`) and the `[String]` result lists of batch operations.

use crate::context::{Ctx, IntoField, ScopeArg, command_error};
use crate::scalars::JidScalar;
use juniper::{
    ArcStr, ExecutionResult, Executor, FieldError, FieldResult, GraphQLEnum, GraphQLInputObject,
    GraphQLObject, GraphQLType, GraphQLValue, GraphQLValueAsync, Registry, ScalarValue, Selection,
    Value, graphql_object, meta::MetaType,
};
use meerkat_core::commands::roster::{self, ContactSpec, MutualAction, SubAction as CoreAction};
use meerkat_core::commands::{CommandError, CommandResult};
use meerkat_core::store::{Ask, RosterItem, Subscription};

/// The contact subscription types.
#[derive(Clone, Copy, Debug, PartialEq, Eq, GraphQLEnum)]
#[graphql(name = "ContactSub")]
pub enum ContactSub {
    /// Neither has a subscription to the other's presence.
    #[graphql(name = "NONE")]
    None,
    /// The user and the contact have subscriptions to each other's presence.
    #[graphql(name = "BOTH")]
    Both,
    /// The contact has a subscription to the user's presence.
    #[graphql(name = "FROM")]
    From,
    /// The user has a subscription to the contact's presence.
    #[graphql(name = "TO")]
    To,
}

/// The contact ask types.
#[derive(Clone, Copy, Debug, PartialEq, Eq, GraphQLEnum)]
#[graphql(name = "ContactAsk")]
pub enum ContactAsk {
    /// Ask to subscribe.
    #[graphql(name = "SUBSCRIBE")]
    Subscribe,
    /// Ask to unsubscribe.
    #[graphql(name = "UNSUBSCRIBE")]
    Unsubscribe,
    /// Invitation came in.
    #[graphql(name = "IN")]
    In,
    /// Invitation came out.
    #[graphql(name = "OUT")]
    Out,
    /// Ask for mutual subscription.
    #[graphql(name = "BOTH")]
    Both,
    /// No invitation.
    #[graphql(name = "NONE")]
    None,
}

/// The subscription actions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, GraphQLEnum)]
#[graphql(name = "SubAction")]
pub enum SubAction {
    /// Send the subscription request to a user. Presence type: subscribe.
    #[graphql(name = "INVITE")]
    Invite,
    /// Accept the subscription request. Presence type: subscribed.
    #[graphql(name = "ACCEPT")]
    Accept,
    /// Decline the subscription's request. Presence type: unsubscribed.
    #[graphql(name = "DECLINE")]
    Decline,
    /// Cancel the user's subscription. Presence type: unsubscribe.
    #[graphql(name = "CANCEL")]
    Cancel,
}

impl SubAction {
    /// The command-layer action.
    pub fn core(self) -> CoreAction {
        match self {
            SubAction::Invite => CoreAction::Invite,
            SubAction::Accept => CoreAction::Accept,
            SubAction::Decline => CoreAction::Decline,
            SubAction::Cancel => CoreAction::Cancel,
        }
    }
}

/// The mutual subscription actions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, GraphQLEnum)]
#[graphql(name = "MutualSubAction")]
pub enum MutualSubAction {
    /// Add users to contacts with a `both` subscription type.
    #[graphql(name = "CONNECT")]
    Connect,
    /// Delete contacts.
    #[graphql(name = "DISCONNECT")]
    Disconnect,
}

/// The contact or roster item.
#[derive(Clone, Debug, GraphQLObject)]
#[graphql(name = "Contact")]
pub struct Contact {
    /// The contact jid.
    pub jid: JidScalar,
    /// The contact name.
    pub name: Option<String>,
    /// The list of the groups the contact belongs to.
    pub groups: Option<Vec<String>>,
    /// The type of the subscription.
    pub subscription: Option<ContactSub>,
    /// The type of the ask.
    pub ask: Option<ContactAsk>,
}

impl Contact {
    /// A roster item as a `Contact` (items whose stored JID does not parse are skipped).
    pub fn from_item(item: RosterItem) -> Option<Contact> {
        let jid = meerkat_xmpp::Jid::new(&item.contact).ok()?;
        Some(Contact {
            jid: JidScalar(jid),
            // MongooseIM keeps an empty name for items without one.
            name: Some(item.name.unwrap_or_default()),
            groups: Some(item.groups),
            subscription: match item.subscription {
                Subscription::None | Subscription::Remove => Some(ContactSub::None),
                Subscription::To => Some(ContactSub::To),
                Subscription::From => Some(ContactSub::From),
                Subscription::Both => Some(ContactSub::Both),
            },
            ask: Some(match item.ask {
                Ask::None => ContactAsk::None,
                Ask::Out => ContactAsk::Out,
                Ask::In => ContactAsk::In,
                Ask::Both => ContactAsk::Both,
            }),
        })
    }
}

/// The contact input data.
#[derive(Clone, Debug, GraphQLInputObject)]
#[graphql(name = "ContactInput")]
pub struct ContactInput {
    /// The contact jid.
    pub jid: JidScalar,
    /// The contact name.
    pub name: String,
    /// The contact groups.
    pub groups: Option<Vec<String>>,
}

impl ContactInput {
    /// The command-layer form.
    pub fn spec(&self) -> ContactSpec {
        ContactSpec {
            jid: self.jid.as_str().to_owned(),
            name: self.name.clone(),
            groups: self.groups.clone().unwrap_or_default(),
        }
    }
}

/// One element of a `[String]` result list of a batch operation: an element that failed
/// resolves to `null` with its own entry in `errors`, the others still resolve (as in
/// MongooseIM, whose resolvers return `[{ok, Msg} | {error, Reason}]` lists).
#[derive(Clone, Debug)]
pub struct Outcome(pub Result<String, FieldError>);

impl Outcome {
    /// From a command result.
    pub fn of(r: CommandResult<String>) -> Option<Outcome> {
        Some(Outcome(r.map_err(command_error)))
    }
}

impl<S: ScalarValue> GraphQLType<S> for Outcome {
    fn name(info: &()) -> Option<ArcStr> {
        <String as GraphQLType<S>>::name(info)
    }

    fn meta(info: &(), registry: &mut Registry<S>) -> MetaType<S> {
        <String as GraphQLType<S>>::meta(info, registry)
    }
}

impl<S: ScalarValue> GraphQLValue<S> for Outcome {
    type Context = ();
    type TypeInfo = ();

    fn type_name(&self, info: &()) -> Option<ArcStr> {
        <Self as GraphQLType<S>>::name(info)
    }

    fn resolve(
        &self,
        _: &(),
        _: Option<&[Selection<S>]>,
        _: &Executor<(), S>,
    ) -> ExecutionResult<S> {
        match &self.0 {
            Ok(s) => Ok(Value::scalar(s.clone())),
            Err(e) => Err(e.clone().map_scalar_value()),
        }
    }
}

impl<S: ScalarValue + Send + Sync> GraphQLValueAsync<S> for Outcome {
    fn resolve_async<'a>(
        &'a self,
        info: &'a (),
        selection_set: Option<&'a [Selection<S>]>,
        executor: &'a Executor<(), S>,
    ) -> juniper::BoxFuture<'a, ExecutionResult<S>> {
        Box::pin(std::future::ready(self.resolve(
            info,
            selection_set,
            executor,
        )))
    }
}

impl<S: ScalarValue> juniper::marker::IsOutputType<S> for Outcome {}

impl<S> juniper::macros::reflect::BaseType<S> for Outcome {
    const NAME: juniper::macros::reflect::Type = "String";
}

impl<S> juniper::macros::reflect::BaseSubTypes<S> for Outcome {
    const NAMES: juniper::macros::reflect::Types = &["String"];
}

impl<S> juniper::macros::reflect::WrappedType<S> for Outcome {
    const VALUE: juniper::macros::reflect::WrappedValue = 1;
}

/// A `[String]` list of outcomes.
pub fn outcomes(results: Vec<CommandResult<String>>) -> Option<Vec<Option<Outcome>>> {
    Some(results.into_iter().map(Outcome::of).collect())
}

/// Adds MongooseIM's error context (`user`, `contact`...) to a command error.
pub fn with_context(mut e: CommandError, pairs: &[(&'static str, &str)]) -> CommandError {
    for (k, v) in pairs {
        if !e.context.iter().any(|(key, _)| key == k) {
            e = e.with(k, *v);
        }
    }
    e
}

fn contacts(items: Vec<RosterItem>) -> Option<Vec<Contact>> {
    Some(items.into_iter().filter_map(Contact::from_item).collect())
}

/// Allow admin to get information about user roster/contacts.
pub struct RosterAdminQuery;

#[graphql_object(context = Ctx, name = "RosterAdminQuery")]
impl RosterAdminQuery {
    /// Get the user's roster/contacts
    async fn list_contacts(ctx: &Ctx, user: JidScalar) -> FieldResult<Option<Vec<Contact>>> {
        ctx.guard("RosterAdminQuery.listContacts", &[("user", &user)])?;
        let items = roster::list_contacts(&ctx.server, user.as_str())
            .await
            .map_err(|e| with_context(e, &[("user", user.as_str())]))
            .field()?;
        Ok(contacts(items))
    }

    /// Get the information about the user's specific contact
    async fn get_contact(
        ctx: &Ctx,
        user: JidScalar,
        contact: JidScalar,
    ) -> FieldResult<Option<Contact>> {
        ctx.guard("RosterAdminQuery.getContact", &[("user", &user)])?;
        let item = roster::get_contact(&ctx.server, user.as_str(), contact.as_str())
            .await
            .map_err(|e| with_context(e, &[("contact", contact.as_str()), ("user", user.as_str())]))
            .field()?;
        Ok(Contact::from_item(item))
    }
}

/// Allow admin to manage user roster/contacts.
pub struct RosterAdminMutation;

#[graphql_object(context = Ctx, name = "RosterAdminMutation")]
impl RosterAdminMutation {
    /// Add a new contact to a user's roster without subscription
    async fn add_contact(
        ctx: &Ctx,
        user: JidScalar,
        contact: JidScalar,
        name: Option<String>,
        groups: Option<Vec<String>>,
    ) -> FieldResult<Option<String>> {
        ctx.guard("RosterAdminMutation.addContact", &[("user", &user)])?;
        add(ctx, &user, &contact, name, groups)
            .await
            .field()
            .map(Some)
    }

    /// Add new contacts to a user's roster without subscription
    async fn add_contacts(
        ctx: &Ctx,
        user: JidScalar,
        contacts: Vec<ContactInput>,
    ) -> FieldResult<Option<Vec<Option<Outcome>>>> {
        ctx.guard("RosterAdminMutation.addContacts", &[("user", &user)])?;
        Ok(outcomes(add_all(ctx, &user, contacts).await.field()?))
    }

    /// Manage the user's subscription to the contact
    async fn subscription(
        ctx: &Ctx,
        user: JidScalar,
        contact: JidScalar,
        action: SubAction,
    ) -> FieldResult<Option<String>> {
        ctx.guard("RosterAdminMutation.subscription", &[("user", &user)])?;
        subscribe(ctx, &user, &contact, action)
            .await
            .field()
            .map(Some)
    }

    /// Delete user's contact
    async fn delete_contact(
        ctx: &Ctx,
        user: JidScalar,
        contact: JidScalar,
    ) -> FieldResult<Option<String>> {
        ctx.guard("RosterAdminMutation.deleteContact", &[("user", &user)])?;
        delete(ctx, &user, &contact).await.field().map(Some)
    }

    /// Delete user's contacts
    async fn delete_contacts(
        ctx: &Ctx,
        user: JidScalar,
        contacts: Vec<JidScalar>,
    ) -> FieldResult<Option<Vec<Option<Outcome>>>> {
        ctx.guard("RosterAdminMutation.deleteContacts", &[("user", &user)])?;
        Ok(outcomes(delete_all(ctx, &user, contacts).await.field()?))
    }

    /// Manage mutual subscription between given users
    async fn set_mutual_subscription(
        ctx: &Ctx,
        user_a: JidScalar,
        user_b: JidScalar,
        action: MutualSubAction,
    ) -> FieldResult<Option<String>> {
        ctx.guard(
            "RosterAdminMutation.setMutualSubscription",
            &[("userA", &user_a), ("userB", &user_b)],
        )?;
        let action = match action {
            MutualSubAction::Connect => MutualAction::Connect,
            MutualSubAction::Disconnect => MutualAction::Disconnect,
        };
        roster::set_mutual_subscription(&ctx.server, user_a.as_str(), user_b.as_str(), action)
            .await
            .map_err(|e| with_context(e, &[("userA", user_a.as_str()), ("userB", user_b.as_str())]))
            .field()
            .map(Some)
    }

    /// Set mutual subscriptions between the user and each of the given contacts
    async fn subscribe_to_all(
        ctx: &Ctx,
        user: ContactInput,
        contacts: Vec<ContactInput>,
    ) -> FieldResult<Option<Vec<Option<Outcome>>>> {
        // Both sides are written (the contact's roster too, and presence is sent as the
        // contact): every contact must be in the admin's domain as well.
        let args: Vec<(&str, &dyn ScopeArg)> =
            std::iter::once(("user.jid", &user.jid as &dyn ScopeArg))
                .chain(
                    contacts
                        .iter()
                        .map(|c| ("contacts.jid", &c.jid as &dyn ScopeArg)),
                )
                .collect();
        ctx.guard("RosterAdminMutation.subscribeToAll", &args)?;
        let specs: Vec<ContactSpec> = contacts.iter().map(ContactInput::spec).collect();
        Ok(outcomes(
            roster::subscribe_to_all(&ctx.server, &user.spec(), &specs)
                .await
                .field()?,
        ))
    }

    /// Set mutual subscriptions between all of the given contacts
    async fn subscribe_all_to_all(
        ctx: &Ctx,
        contacts: Vec<ContactInput>,
    ) -> FieldResult<Option<Vec<Option<Outcome>>>> {
        let args: Vec<(&str, &dyn ScopeArg)> = contacts
            .iter()
            .map(|c| ("contacts.jid", &c.jid as &dyn ScopeArg))
            .collect();
        ctx.guard("RosterAdminMutation.subscribeAllToAll", &args)?;
        let specs: Vec<ContactSpec> = contacts.iter().map(ContactInput::spec).collect();
        Ok(outcomes(
            roster::subscribe_all_to_all(&ctx.server, &specs)
                .await
                .field()?,
        ))
    }
}

// ---- shared by the admin and user resolvers

/// `addContact` for `user`.
pub async fn add(
    ctx: &Ctx,
    user: &JidScalar,
    contact: &JidScalar,
    name: Option<String>,
    groups: Option<Vec<String>>,
) -> CommandResult<String> {
    roster::add_contact(
        &ctx.server,
        user.as_str(),
        contact.as_str(),
        name.as_deref().unwrap_or(""),
        &groups.unwrap_or_default(),
    )
    .await
    .map_err(|e| with_context(e, &[("user", user.as_str()), ("contact", contact.as_str())]))
}

/// `addContacts` for `user`: one result per contact.
pub async fn add_all(
    ctx: &Ctx,
    user: &JidScalar,
    contacts: Vec<ContactInput>,
) -> CommandResult<Vec<CommandResult<String>>> {
    let specs: Vec<ContactSpec> = contacts.iter().map(ContactInput::spec).collect();
    let results = roster::add_contacts(&ctx.server, user.as_str(), &specs).await?;
    Ok(results
        .into_iter()
        .zip(&specs)
        .map(|(r, c)| {
            r.map_err(|e| with_context(e, &[("user", user.as_str()), ("contact", c.jid.as_str())]))
        })
        .collect())
}

/// `subscription` for `user`.
pub async fn subscribe(
    ctx: &Ctx,
    user: &JidScalar,
    contact: &JidScalar,
    action: SubAction,
) -> CommandResult<String> {
    roster::subscription(&ctx.server, user.as_str(), contact.as_str(), action.core())
        .await
        .map_err(|e| with_context(e, &[("user", user.as_str()), ("contact", contact.as_str())]))
}

/// `deleteContact` for `user`.
pub async fn delete(ctx: &Ctx, user: &JidScalar, contact: &JidScalar) -> CommandResult<String> {
    roster::delete_contact(&ctx.server, user.as_str(), contact.as_str())
        .await
        .map_err(|e| with_context(e, &[("user", user.as_str()), ("contact", contact.as_str())]))
}

/// `deleteContacts` for `user`: one result per contact.
pub async fn delete_all(
    ctx: &Ctx,
    user: &JidScalar,
    contacts: Vec<JidScalar>,
) -> CommandResult<Vec<CommandResult<String>>> {
    let jids: Vec<&str> = contacts.iter().map(JidScalar::as_str).collect();
    let results = roster::delete_contacts(&ctx.server, user.as_str(), &jids).await?;
    Ok(results
        .into_iter()
        .zip(&jids)
        .map(|(r, c)| r.map_err(|e| with_context(e, &[("user", user.as_str()), ("contact", c)])))
        .collect())
}
