//! `muc` (user): MongooseIM's `user/muc.gql`. Needs `mod_muc`, which meerkat does not
//! have: every operation answers `deps_not_loaded`.
#![allow(unused_variables)] // arguments are declared for the schema only

use crate::admin::stanza::StanzasPayload;
use crate::admin::unavailable::deps_not_loaded;
use crate::context::Ctx;
use crate::global::muc::{
    MucAffiliation, MucRole, MucRoomAffiliation, MucRoomConfig, MucRoomConfigInput, MucRoomDesc,
    MucRoomUser, MucRoomsPayload,
};
use crate::scalars::{
    BareJidScalar, DateTime, DomainName, JidScalar, NonNegInt, PosInt, ResourceName,
};
use juniper::{FieldResult, graphql_object};

const MODULES: &[&str] = &["mod_muc"];

/// Allow user to get information about Multi-User Chat rooms.
pub struct MucUserQuery;

#[graphql_object(context = Ctx, name = "MUCUserQuery")]
impl MucUserQuery {
    /// Get MUC rooms under the given MUC domain
    fn list_rooms(
        ctx: &Ctx,
        muc_domain: DomainName,
        limit: Option<PosInt>,
        index: Option<NonNegInt>,
    ) -> FieldResult<Option<MucRoomsPayload>> {
        deps_not_loaded(MODULES, &[])
    }

    /// Get configuration of the MUC room
    fn get_room_config(ctx: &Ctx, room: BareJidScalar) -> FieldResult<Option<MucRoomConfig>> {
        deps_not_loaded(MODULES, &[])
    }

    /// Get the user list of a given MUC room
    fn list_room_users(ctx: &Ctx, room: BareJidScalar) -> FieldResult<Option<Vec<MucRoomUser>>> {
        deps_not_loaded(MODULES, &[])
    }

    /// Get the affiliation list of given MUC room
    fn list_room_affiliations(
        ctx: &Ctx,
        room: BareJidScalar,
        affiliation: Option<MucAffiliation>,
    ) -> FieldResult<Option<Vec<MucRoomAffiliation>>> {
        deps_not_loaded(MODULES, &[])
    }

    /// Get the MUC room archived messages
    fn get_room_messages(
        ctx: &Ctx,
        room: BareJidScalar,
        page_size: Option<PosInt>,
        before: Option<DateTime>,
    ) -> FieldResult<Option<StanzasPayload>> {
        deps_not_loaded(&["mod_muc", "mod_mam_muc"], &[])
    }
}

/// Allow user to manage Multi-User Chat rooms.
pub struct MucUserMutation;

#[graphql_object(context = Ctx, name = "MUCUserMutation")]
impl MucUserMutation {
    /// Create a MUC room under the given XMPP hostname
    fn create_instant_room(
        ctx: &Ctx,
        room: BareJidScalar,
        nick: ResourceName,
    ) -> FieldResult<Option<MucRoomDesc>> {
        deps_not_loaded(MODULES, &[])
    }

    /// Invite a user to a MUC room
    fn invite_user(
        ctx: &Ctx,
        room: BareJidScalar,
        recipient: JidScalar,
        reason: Option<String>,
    ) -> FieldResult<Option<String>> {
        deps_not_loaded(MODULES, &[])
    }

    /// Kick a user from a MUC room
    fn kick_user(
        ctx: &Ctx,
        room: BareJidScalar,
        nick: ResourceName,
        reason: Option<String>,
    ) -> FieldResult<Option<String>> {
        deps_not_loaded(MODULES, &[])
    }

    /// Send a message to a MUC room
    fn send_message_to_room(
        ctx: &Ctx,
        room: BareJidScalar,
        body: String,
        resource: Option<ResourceName>,
    ) -> FieldResult<Option<String>> {
        deps_not_loaded(MODULES, &[])
    }

    /// Send a private message to a MUC room user from the given resource
    fn send_private_message(
        ctx: &Ctx,
        room: BareJidScalar,
        to_nick: ResourceName,
        body: String,
        resource: Option<ResourceName>,
    ) -> FieldResult<Option<String>> {
        deps_not_loaded(MODULES, &[])
    }

    /// Remove a MUC room
    fn delete_room(
        ctx: &Ctx,
        room: BareJidScalar,
        reason: Option<String>,
    ) -> FieldResult<Option<String>> {
        deps_not_loaded(MODULES, &[])
    }

    /// Change configuration of a MUC room
    fn change_room_configuration(
        ctx: &Ctx,
        room: BareJidScalar,
        config: MucRoomConfigInput,
    ) -> FieldResult<Option<MucRoomConfig>> {
        deps_not_loaded(MODULES, &[])
    }

    /// Change a user role
    fn set_user_role(
        ctx: &Ctx,
        room: BareJidScalar,
        nick: ResourceName,
        role: MucRole,
    ) -> FieldResult<Option<String>> {
        deps_not_loaded(MODULES, &[])
    }

    /// Change a user affiliation
    fn set_user_affiliation(
        ctx: &Ctx,
        room: BareJidScalar,
        user: JidScalar,
        affiliation: MucAffiliation,
    ) -> FieldResult<Option<String>> {
        deps_not_loaded(MODULES, &[])
    }

    /// Enter the room with given resource and nick
    fn enter_room(
        ctx: &Ctx,
        room: BareJidScalar,
        nick: ResourceName,
        resource: ResourceName,
        password: Option<String>,
    ) -> FieldResult<Option<String>> {
        deps_not_loaded(MODULES, &[])
    }

    /// Exit the room with given resource and nick
    fn exit_room(
        ctx: &Ctx,
        room: BareJidScalar,
        nick: ResourceName,
        resource: ResourceName,
    ) -> FieldResult<Option<String>> {
        deps_not_loaded(MODULES, &[])
    }
}
