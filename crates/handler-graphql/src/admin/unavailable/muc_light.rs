//! `muc_light` (admin): MongooseIM's `admin/muc_light.gql`. Needs `mod_muc_light`, which
//! meerkat does not have: every operation answers `deps_not_loaded` after the
//! domain-admin check.
#![allow(unused_variables)] // arguments are declared for the schema only

use super::deps_not_loaded;
use crate::admin::stanza::StanzasPayload;
use crate::context::Ctx;
use crate::global::muc_light::{
    BlockingInput, BlockingItem, MucLightRoomsPayload, Room, RoomConfigDictEntryInput, RoomUser,
};
use crate::scalars::{BareJidScalar, DateTime, DomainName, JidScalar, PosInt, RoomName};
use juniper::{FieldResult, graphql_object};

const MODULES: &[&str] = &["mod_muc_light"];

/// Allow admin to get information about Multi-User Chat Light rooms.
pub struct MucLightAdminQuery;

#[graphql_object(context = Ctx, name = "MUCLightAdminQuery")]
impl MucLightAdminQuery {
    /// Get the MUC Light room archived messages
    fn get_room_messages(
        ctx: &Ctx,
        room: BareJidScalar,
        page_size: Option<PosInt>,
        before: Option<DateTime>,
    ) -> FieldResult<Option<StanzasPayload>> {
        ctx.guard("MUCLightAdminQuery.getRoomMessages", &[("room", &room)])?;
        deps_not_loaded(&["mod_muc_light", "mod_mam_muc"], &[])
    }

    /// Get configuration of the MUC Light room
    fn get_room_config(ctx: &Ctx, room: BareJidScalar) -> FieldResult<Option<Room>> {
        ctx.guard("MUCLightAdminQuery.getRoomConfig", &[("room", &room)])?;
        deps_not_loaded(MODULES, &[])
    }

    /// Get users list of given MUC Light room
    fn list_room_users(ctx: &Ctx, room: BareJidScalar) -> FieldResult<Option<Vec<RoomUser>>> {
        ctx.guard("MUCLightAdminQuery.listRoomUsers", &[("room", &room)])?;
        deps_not_loaded(MODULES, &[])
    }

    /// Get the list of MUC Light rooms that the user participates in
    fn list_user_rooms(ctx: &Ctx, user: JidScalar) -> FieldResult<Option<Vec<JidScalar>>> {
        ctx.guard("MUCLightAdminQuery.listUserRooms", &[("user", &user)])?;
        deps_not_loaded(MODULES, &[])
    }

    /// Get the user's list of blocked entities
    fn get_blocking_list(ctx: &Ctx, user: JidScalar) -> FieldResult<Option<Vec<BlockingItem>>> {
        ctx.guard("MUCLightAdminQuery.getBlockingList", &[("user", &user)])?;
        deps_not_loaded(MODULES, &[])
    }

    /// Get rooms of the given MUC Light domain, ordered by JID. To get the next page, pass the JID of the last room as 'after'. 'filter' matches a substring of the room JID or name
    fn list_rooms(
        ctx: &Ctx,
        muc_domain: DomainName,
        filter: Option<String>,
        after: Option<BareJidScalar>,
        #[graphql(default = PosInt(50))] limit: Option<PosInt>,
    ) -> FieldResult<Option<MucLightRoomsPayload>> {
        ctx.guard(
            "MUCLightAdminQuery.listRooms",
            &[("mucDomain", &muc_domain)],
        )?;
        deps_not_loaded(MODULES, &[])
    }
}

/// Allow admin to manage Multi-User Chat Light rooms.
pub struct MucLightAdminMutation;

#[graphql_object(context = Ctx, name = "MUCLightAdminMutation")]
impl MucLightAdminMutation {
    /// Create a MUC light room under the given XMPP hostname
    fn create_room(
        ctx: &Ctx,
        muc_domain: DomainName,
        name: Option<String>,
        owner: JidScalar,
        subject: Option<String>,
        id: Option<RoomName>,
        options: Option<Vec<RoomConfigDictEntryInput>>,
    ) -> FieldResult<Option<Room>> {
        ctx.guard(
            "MUCLightAdminMutation.createRoom",
            &[("mucDomain", &muc_domain), ("owner", &owner)],
        )?;
        deps_not_loaded(MODULES, &[])
    }

    /// Change configuration of a MUC Light room
    fn change_room_configuration(
        ctx: &Ctx,
        room: BareJidScalar,
        owner: JidScalar,
        name: Option<String>,
        subject: Option<String>,
        options: Option<Vec<RoomConfigDictEntryInput>>,
    ) -> FieldResult<Option<Room>> {
        ctx.guard(
            "MUCLightAdminMutation.changeRoomConfiguration",
            &[("room", &room)],
        )?;
        deps_not_loaded(MODULES, &[])
    }

    /// Invite a user to a MUC Light room
    fn invite_user(
        ctx: &Ctx,
        room: BareJidScalar,
        sender: JidScalar,
        recipient: JidScalar,
    ) -> FieldResult<Option<String>> {
        ctx.guard("MUCLightAdminMutation.inviteUser", &[("sender", &sender)])?;
        deps_not_loaded(MODULES, &[])
    }

    /// Remove a MUC Light room
    fn delete_room(ctx: &Ctx, room: BareJidScalar) -> FieldResult<Option<String>> {
        ctx.guard("MUCLightAdminMutation.deleteRoom", &[("room", &room)])?;
        deps_not_loaded(MODULES, &[])
    }

    /// Kick a user from a MUC Light room
    fn kick_user(ctx: &Ctx, room: BareJidScalar, user: JidScalar) -> FieldResult<Option<String>> {
        ctx.guard("MUCLightAdminMutation.kickUser", &[("room", &room)])?;
        deps_not_loaded(MODULES, &[])
    }

    /// Send a message to a MUC Light room
    fn send_message_to_room(
        ctx: &Ctx,
        room: BareJidScalar,
        from: JidScalar,
        body: String,
    ) -> FieldResult<Option<String>> {
        ctx.guard(
            "MUCLightAdminMutation.sendMessageToRoom",
            &[("from", &from)],
        )?;
        deps_not_loaded(MODULES, &[])
    }

    /// Set the user's list of blocked entities
    fn set_blocking_list(
        ctx: &Ctx,
        user: JidScalar,
        items: Vec<BlockingInput>,
    ) -> FieldResult<Option<String>> {
        ctx.guard("MUCLightAdminMutation.setBlockingList", &[("user", &user)])?;
        deps_not_loaded(MODULES, &[])
    }
}
