//! `muc` (admin): MongooseIM's `admin/muc.gql`. Needs `mod_muc`, which meerkat does not
//! have: every operation answers `deps_not_loaded` after the domain-admin check.
#![allow(unused_variables)] // arguments are declared for the schema only

use super::deps_not_loaded;
use crate::admin::stanza::StanzasPayload;
use crate::context::Ctx;
use crate::global::muc::{
    MucAffiliation, MucRole, MucRoomAffiliation, MucRoomConfig, MucRoomConfigInput, MucRoomDesc,
    MucRoomUser, MucRoomsPayload,
};
use crate::scalars::{
    BareJidScalar, DateTime, DomainName, FullJidScalar, JidScalar, NonNegInt, PosInt, ResourceName,
};
use juniper::{FieldResult, graphql_object};

const MODULES: &[&str] = &["mod_muc"];

/// Allow admin to get information about Multi-User Chat rooms.
pub struct MucAdminQuery;

#[graphql_object(context = Ctx, name = "MUCAdminQuery")]
impl MucAdminQuery {
    /// Get MUC rooms under the given MUC domain
    fn list_rooms(
        ctx: &Ctx,
        muc_domain: DomainName,
        from: JidScalar,
        limit: Option<PosInt>,
        index: Option<NonNegInt>,
    ) -> FieldResult<Option<MucRoomsPayload>> {
        ctx.guard("MUCAdminQuery.listRooms", &[("from", &from)])?;
        deps_not_loaded(MODULES, &[])
    }

    /// Get configuration of the MUC room
    fn get_room_config(ctx: &Ctx, room: BareJidScalar) -> FieldResult<Option<MucRoomConfig>> {
        ctx.guard("MUCAdminQuery.getRoomConfig", &[("room", &room)])?;
        deps_not_loaded(MODULES, &[])
    }

    /// Get the user list of a given MUC room
    fn list_room_users(ctx: &Ctx, room: BareJidScalar) -> FieldResult<Option<Vec<MucRoomUser>>> {
        ctx.guard("MUCAdminQuery.listRoomUsers", &[("room", &room)])?;
        deps_not_loaded(MODULES, &[])
    }

    /// Get the affiliation list of given MUC room
    fn list_room_affiliations(
        ctx: &Ctx,
        room: BareJidScalar,
        affiliation: Option<MucAffiliation>,
    ) -> FieldResult<Option<Vec<MucRoomAffiliation>>> {
        ctx.guard("MUCAdminQuery.listRoomAffiliations", &[("room", &room)])?;
        deps_not_loaded(MODULES, &[])
    }

    /// Get the MUC room archived messages
    fn get_room_messages(
        ctx: &Ctx,
        room: BareJidScalar,
        page_size: Option<PosInt>,
        before: Option<DateTime>,
    ) -> FieldResult<Option<StanzasPayload>> {
        ctx.guard("MUCAdminQuery.getRoomMessages", &[("room", &room)])?;
        deps_not_loaded(&["mod_muc", "mod_mam_muc"], &[])
    }
}

/// Allow admin to manage Multi-User Chat rooms.
pub struct MucAdminMutation;

#[graphql_object(context = Ctx, name = "MUCAdminMutation")]
impl MucAdminMutation {
    /// Create a MUC room under the given XMPP hostname
    fn create_instant_room(
        ctx: &Ctx,
        room: BareJidScalar,
        owner: JidScalar,
        nick: ResourceName,
    ) -> FieldResult<Option<MucRoomDesc>> {
        ctx.guard("MUCAdminMutation.createInstantRoom", &[("owner", &owner)])?;
        deps_not_loaded(MODULES, &[])
    }

    /// Invite a user to a MUC room
    fn invite_user(
        ctx: &Ctx,
        room: BareJidScalar,
        sender: JidScalar,
        recipient: JidScalar,
        reason: Option<String>,
    ) -> FieldResult<Option<String>> {
        ctx.guard("MUCAdminMutation.inviteUser", &[("sender", &sender)])?;
        deps_not_loaded(MODULES, &[])
    }

    /// Kick a user from a MUC room
    fn kick_user(
        ctx: &Ctx,
        room: BareJidScalar,
        nick: ResourceName,
        reason: Option<String>,
    ) -> FieldResult<Option<String>> {
        ctx.guard("MUCAdminMutation.kickUser", &[("room", &room)])?;
        deps_not_loaded(MODULES, &[])
    }

    /// Send a message to a MUC room
    fn send_message_to_room(
        ctx: &Ctx,
        room: BareJidScalar,
        from: FullJidScalar,
        body: String,
    ) -> FieldResult<Option<String>> {
        ctx.guard("MUCAdminMutation.sendMessageToRoom", &[("from", &from)])?;
        deps_not_loaded(MODULES, &[])
    }

    /// Send a private message to a MUC room user
    fn send_private_message(
        ctx: &Ctx,
        room: BareJidScalar,
        from: FullJidScalar,
        to_nick: ResourceName,
        body: String,
    ) -> FieldResult<Option<String>> {
        ctx.guard("MUCAdminMutation.sendPrivateMessage", &[("from", &from)])?;
        deps_not_loaded(MODULES, &[])
    }

    /// Remove a MUC room
    fn delete_room(
        ctx: &Ctx,
        room: BareJidScalar,
        reason: Option<String>,
    ) -> FieldResult<Option<String>> {
        ctx.guard("MUCAdminMutation.deleteRoom", &[("room", &room)])?;
        deps_not_loaded(MODULES, &[])
    }

    /// Change configuration of a MUC room
    fn change_room_configuration(
        ctx: &Ctx,
        room: BareJidScalar,
        config: MucRoomConfigInput,
    ) -> FieldResult<Option<MucRoomConfig>> {
        ctx.guard(
            "MUCAdminMutation.changeRoomConfiguration",
            &[("room", &room)],
        )?;
        deps_not_loaded(MODULES, &[])
    }

    /// Change a user role
    fn set_user_role(
        ctx: &Ctx,
        room: BareJidScalar,
        nick: ResourceName,
        role: MucRole,
    ) -> FieldResult<Option<String>> {
        ctx.guard("MUCAdminMutation.setUserRole", &[("room", &room)])?;
        deps_not_loaded(MODULES, &[])
    }

    /// Change a user affiliation
    fn set_user_affiliation(
        ctx: &Ctx,
        room: BareJidScalar,
        user: JidScalar,
        affiliation: MucAffiliation,
    ) -> FieldResult<Option<String>> {
        ctx.guard("MUCAdminMutation.setUserAffiliation", &[("room", &room)])?;
        deps_not_loaded(MODULES, &[])
    }

    /// Make a user enter the room with a given nick
    fn enter_room(
        ctx: &Ctx,
        room: BareJidScalar,
        user: FullJidScalar,
        nick: ResourceName,
        password: Option<String>,
    ) -> FieldResult<Option<String>> {
        ctx.guard("MUCAdminMutation.enterRoom", &[("user", &user)])?;
        deps_not_loaded(MODULES, &[])
    }

    /// Make a user with the given nick exit the room
    fn exit_room(
        ctx: &Ctx,
        room: BareJidScalar,
        user: FullJidScalar,
        nick: ResourceName,
    ) -> FieldResult<Option<String>> {
        ctx.guard("MUCAdminMutation.exitRoom", &[("user", &user)])?;
        deps_not_loaded(MODULES, &[])
    }
}
