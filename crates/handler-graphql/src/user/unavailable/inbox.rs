//! `inbox` (user): MongooseIM's `user/inbox.gql`. Needs `mod_inbox`, which meerkat does
//! not have: answers `deps_not_loaded`.
#![allow(unused_variables)] // arguments are declared for the schema only

use crate::admin::unavailable::deps_not_loaded;
use crate::context::Ctx;
use crate::scalars::PosInt;
use juniper::{FieldResult, graphql_object};

/// Allow user to flush own inbox bin".
pub struct InboxUserMutation;

#[graphql_object(context = Ctx, name = "InboxUserMutation")]
impl InboxUserMutation {
    /// Flush the user's bin and return the number of deleted rows
    fn flush_bin(
        ctx: &Ctx,
        #[graphql(desc = "Remove older than given days or all if null")] days: Option<PosInt>,
    ) -> FieldResult<Option<i32>> {
        deps_not_loaded(&["mod_inbox"], &[])
    }
}
