//! `vcard` category (user): MongooseIM's `user/vcard.gql`. Any user's vCard can be read
//! (vCards are public, as over XMPP); only one's own can be set.

use crate::admin::vcard::{self as admin, Vcard, VcardInput};
use crate::context::Ctx;
use crate::scalars::JidScalar;
use juniper::{FieldResult, graphql_object};

/// Allow user to get user's vcard.
pub struct VcardUserQuery;

#[graphql_object(context = Ctx, name = "VcardUserQuery")]
impl VcardUserQuery {
    /// Get user's vcard
    async fn get_vcard(ctx: &Ctx, user: Option<JidScalar>) -> FieldResult<Option<Vcard>> {
        let me = ctx.user()?.to_string();
        let target = user.as_ref().map_or(me.as_str(), JidScalar::as_str);
        admin::get(ctx, target).await
    }
}

/// Allow user to set own vcard.
pub struct VcardUserMutation;

#[graphql_object(context = Ctx, name = "VcardUserMutation")]
impl VcardUserMutation {
    /// Set user's own vcard
    async fn set_vcard(ctx: &Ctx, vcard: VcardInput) -> FieldResult<Option<Vcard>> {
        let me = ctx.user()?.to_string();
        admin::set(ctx, &me, vcard).await
    }
}
