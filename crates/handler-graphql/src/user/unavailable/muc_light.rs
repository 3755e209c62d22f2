//! `muc_light` (user): MongooseIM's `user/muc_light.gql`. Needs `mod_muc_light`, which
//! meerkat does not have: every operation answers `deps_not_loaded`.
#![allow(unused_variables)] // arguments are declared for the schema only

use crate::admin::stanza::StanzasPayload;
use crate::admin::unavailable::deps_not_loaded;
use crate::context::Ctx;
use crate::global::muc_light::{
    BlockingInput, BlockingItem, Room, RoomConfigDictEntryInput, RoomUser,
};
use crate::scalars::{BareJidScalar, DateTime, DomainName, JidScalar, PosInt, RoomName};
use juniper::{FieldResult, graphql_object};

const MODULES: &[&str] = &["mod_muc_light"];

/// Allow user to get information about Multi-User Chat Light rooms.
pub struct MucLightUserQuery;

#[graphql_object(context = Ctx, name = "MUCLightUserQuery")]
impl MucLightUserQuery {
    /// Get the MUC Light room archived messages
    fn get_room_messages(
        ctx: &Ctx,
        room: BareJidScalar,
        page_size: Option<PosInt>,
        before: Option<DateTime>,
    ) -> FieldResult<Option<StanzasPayload>> {
        deps_not_loaded(&["mod_muc_light", "mod_mam_muc"], &[])
    }

    /// Get configuration of the MUC Light room
    fn get_room_config(ctx: &Ctx, room: BareJidScalar) -> FieldResult<Option<Room>> {
        deps_not_loaded(MODULES, &[])
    }

    /// Get users list of given MUC Light room
    fn list_room_users(ctx: &Ctx, room: BareJidScalar) -> FieldResult<Option<Vec<RoomUser>>> {
        deps_not_loaded(MODULES, &[])
    }

    /// Get the list of MUC Light rooms that the user participates in
    fn list_rooms(ctx: &Ctx) -> FieldResult<Option<Vec<JidScalar>>> {
        deps_not_loaded(MODULES, &[])
    }

    /// Get the user blocking list
    fn get_blocking_list(ctx: &Ctx) -> FieldResult<Option<Vec<BlockingItem>>> {
        deps_not_loaded(MODULES, &[])
    }
}

/// Allow user to manage Multi-User Chat Light rooms.
pub struct MucLightUserMutation;

#[graphql_object(context = Ctx, name = "MUCLightUserMutation")]
impl MucLightUserMutation {
    /// Create a MUC light room under the given XMPP hostname
    fn create_room(
        ctx: &Ctx,
        muc_domain: DomainName,
        name: Option<String>,
        subject: Option<String>,
        id: Option<RoomName>,
        options: Option<Vec<RoomConfigDictEntryInput>>,
    ) -> FieldResult<Option<Room>> {
        deps_not_loaded(MODULES, &[])
    }

    /// Change configuration of a MUC Light room
    fn change_room_configuration(
        ctx: &Ctx,
        room: BareJidScalar,
        name: Option<String>,
        subject: Option<String>,
        options: Option<Vec<RoomConfigDictEntryInput>>,
    ) -> FieldResult<Option<Room>> {
        deps_not_loaded(MODULES, &[])
    }

    /// Invite a user to a MUC Light room
    fn invite_user(
        ctx: &Ctx,
        room: BareJidScalar,
        recipient: JidScalar,
    ) -> FieldResult<Option<String>> {
        deps_not_loaded(MODULES, &[])
    }

    /// Remove a MUC Light room
    fn delete_room(ctx: &Ctx, room: BareJidScalar) -> FieldResult<Option<String>> {
        deps_not_loaded(MODULES, &[])
    }

    /// Kick a user from a MUC Light room
    fn kick_user(
        ctx: &Ctx,
        room: BareJidScalar,
        user: Option<JidScalar>,
    ) -> FieldResult<Option<String>> {
        deps_not_loaded(MODULES, &[])
    }

    /// Send a message to a MUC Light room
    fn send_message_to_room(
        ctx: &Ctx,
        room: BareJidScalar,
        body: String,
    ) -> FieldResult<Option<String>> {
        deps_not_loaded(MODULES, &[])
    }

    /// Set the user blocking list
    fn set_blocking_list(ctx: &Ctx, items: Vec<BlockingInput>) -> FieldResult<Option<String>> {
        deps_not_loaded(MODULES, &[])
    }
}
