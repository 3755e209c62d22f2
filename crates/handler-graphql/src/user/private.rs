//! `private` category (user): MongooseIM's `user/private.gql`, on the user's own storage.

use crate::admin::private as admin;
use crate::context::Ctx;
use crate::scalars::{NonEmptyString, XmlElement};
use juniper::{FieldResult, graphql_object};

/// Allow user to get own private.
pub struct PrivateUserQuery;

#[graphql_object(context = Ctx, name = "PrivateUserQuery")]
impl PrivateUserQuery {
    /// Get user's own private
    async fn get_private(
        ctx: &Ctx,
        element: String,
        name_space: NonEmptyString,
    ) -> FieldResult<Option<XmlElement>> {
        let me = ctx.user()?.to_string();
        admin::get(ctx, &me, &element, name_space.as_str()).await
    }
}

/// Allow user to set own private.
pub struct PrivateUserMutation;

#[graphql_object(context = Ctx, name = "PrivateUserMutation")]
impl PrivateUserMutation {
    /// Set user's own private
    async fn set_private(ctx: &Ctx, element_string: XmlElement) -> FieldResult<Option<XmlElement>> {
        let me = ctx.user()?.to_string();
        admin::set(ctx, &me, &element_string).await
    }
}
