//! `roster` category (user): MongooseIM's `user/roster.gql`. Every operation acts on the
//! authenticated user's own roster, through the same command functions as the admin's.

use crate::admin::roster::{
    self as admin, Contact, ContactInput, Outcome, SubAction, outcomes, with_context,
};
use crate::context::{Ctx, IntoField};
use crate::scalars::JidScalar;
use juniper::{FieldResult, graphql_object};
use meerkat_core::commands::roster;

fn me(ctx: &Ctx) -> FieldResult<JidScalar> {
    Ok(JidScalar(ctx.user()?.clone().into()))
}

/// Allow user to get information about user roster/contacts.
pub struct RosterUserQuery;

#[graphql_object(context = Ctx, name = "RosterUserQuery")]
impl RosterUserQuery {
    /// Get the user's roster/contacts
    async fn list_contacts(ctx: &Ctx) -> FieldResult<Option<Vec<Contact>>> {
        let user = me(ctx)?;
        let items = roster::list_contacts(&ctx.server, user.as_str())
            .await
            .field()?;
        Ok(Some(
            items.into_iter().filter_map(Contact::from_item).collect(),
        ))
    }

    /// Get the user's contact
    async fn get_contact(ctx: &Ctx, contact: JidScalar) -> FieldResult<Option<Contact>> {
        let user = me(ctx)?;
        let item = roster::get_contact(&ctx.server, user.as_str(), contact.as_str())
            .await
            .map_err(|e| with_context(e, &[("contact", contact.as_str())]))
            .field()?;
        Ok(Contact::from_item(item))
    }
}

/// Allow user to manage user rester/contacts.
pub struct RosterUserMutation;

#[graphql_object(context = Ctx, name = "RosterUserMutation")]
impl RosterUserMutation {
    /// Add a new contact to a user's roster without subscription
    async fn add_contact(
        ctx: &Ctx,
        contact: JidScalar,
        name: Option<String>,
        groups: Option<Vec<String>>,
    ) -> FieldResult<Option<String>> {
        let user = me(ctx)?;
        admin::add(ctx, &user, &contact, name, groups)
            .await
            .field()
            .map(Some)
    }

    /// Add new contacts to a user's roster without subscription
    async fn add_contacts(
        ctx: &Ctx,
        contacts: Vec<ContactInput>,
    ) -> FieldResult<Option<Vec<Option<Outcome>>>> {
        let user = me(ctx)?;
        Ok(outcomes(
            admin::add_all(ctx, &user, contacts).await.field()?,
        ))
    }

    /// Manage the user subscription to the contact
    async fn subscription(
        ctx: &Ctx,
        contact: JidScalar,
        action: SubAction,
    ) -> FieldResult<Option<String>> {
        let user = me(ctx)?;
        admin::subscribe(ctx, &user, &contact, action)
            .await
            .field()
            .map(Some)
    }

    /// Delete user's contact
    async fn delete_contact(ctx: &Ctx, contact: JidScalar) -> FieldResult<Option<String>> {
        let user = me(ctx)?;
        admin::delete(ctx, &user, &contact).await.field().map(Some)
    }

    /// Delete user's contacts
    async fn delete_contacts(
        ctx: &Ctx,
        contacts: Vec<JidScalar>,
    ) -> FieldResult<Option<Vec<Option<Outcome>>>> {
        let user = me(ctx)?;
        Ok(outcomes(
            admin::delete_all(ctx, &user, contacts).await.field()?,
        ))
    }
}
