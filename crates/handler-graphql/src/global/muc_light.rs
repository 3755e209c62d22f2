//! `global/muc_light.gql`: MUC Light types.

use crate::scalars::{BareJidScalar, JidScalar, NonNegInt};
use juniper::{GraphQLEnum, GraphQLInputObject, GraphQLObject};

/// User's affiliation
#[derive(Clone, Copy, Debug, PartialEq, Eq, GraphQLEnum)]
#[graphql(name = "Affiliation")]
pub enum Affiliation {
    /// Owner of the room
    Owner,
    /// Member of the room
    Member,
    /// User doesn't have any affiliation
    None,
}

/// Specifies blocking data
#[derive(Clone, Debug, GraphQLInputObject)]
#[graphql(name = "BlockingInput")]
pub struct BlockingInput {
    /// Type of entity to block
    #[graphql(name = "entityType")]
    pub entity_type: BlockedEntityType,
    /// Type of blocking action
    #[graphql(default = BlockingAction::Deny)]
    pub action: BlockingAction,
    /// Entity's JID
    pub entity: JidScalar,
}

/// Blocking item data
#[derive(Clone, Debug, GraphQLObject)]
#[graphql(name = "BlockingItem")]
pub struct BlockingItem {
    /// Type of the entity
    #[graphql(name = "entityType")]
    pub entity_type: BlockedEntityType,
    /// Action to be taken
    pub action: BlockingAction,
    /// Entity's JID
    pub entity: JidScalar,
}

/// Type of blocking action
#[derive(Clone, Copy, Debug, PartialEq, Eq, GraphQLEnum)]
#[graphql(name = "BlockingAction")]
pub enum BlockingAction {
    /// Unblock user/room
    Allow,
    /// Block user/room
    Deny,
}

/// Type of blocked entity
#[derive(Clone, Copy, Debug, PartialEq, Eq, GraphQLEnum)]
#[graphql(name = "BlockedEntityType")]
pub enum BlockedEntityType {
    /// Individual user
    User,
    /// MUC Light room
    Room,
}

/// A room config option (input).
#[derive(Clone, Debug, GraphQLInputObject)]
#[graphql(name = "RoomConfigDictEntryInput")]
pub struct RoomConfigDictEntryInput {
    /// The name of the config option
    pub key: String,
    /// Config option value
    pub value: String,
}

/// A room config option.
#[derive(Clone, Debug, GraphQLObject)]
#[graphql(name = "RoomConfigDictEntry")]
pub struct RoomConfigDictEntry {
    /// The name of the config option
    pub key: String,
    /// Config option value
    pub value: String,
}

/// Room data
#[derive(Clone, Debug, GraphQLObject)]
#[graphql(name = "Room")]
pub struct Room {
    /// Room's JId
    pub jid: BareJidScalar,
    /// Name of the room
    pub name: Option<String>,
    /// Subject of the room
    pub subject: Option<String>,
    /// List of participants
    pub participants: Vec<RoomUser>,
    /// Configuration options
    pub options: Vec<RoomConfigDictEntry>,
}

/// Room user data
#[derive(Clone, Debug, GraphQLObject)]
#[graphql(name = "RoomUser")]
pub struct RoomUser {
    /// User's JID
    pub jid: JidScalar,
    /// User's affiliation
    pub affiliation: Affiliation,
}

/// MUC Light rooms payload
#[derive(Clone, Debug, GraphQLObject)]
#[graphql(name = "MUCLightRoomsPayload")]
pub struct MucLightRoomsPayload {
    /// List of room descriptions, ordered by room JID
    pub rooms: Option<Vec<MucLightRoomDesc>>,
    /// Total number of rooms in the domain matching the filter
    pub count: Option<NonNegInt>,
    /// Whether more rooms exist after this page
    #[graphql(name = "nextPage")]
    pub next_page: Option<bool>,
}

/// MUC Light room description
#[derive(Clone, Debug, GraphQLObject)]
#[graphql(name = "MUCLightRoomDesc")]
pub struct MucLightRoomDesc {
    /// Room's JID
    pub jid: BareJidScalar,
    /// Room's display name (may be empty)
    pub name: Option<String>,
    /// Room's subject (may be empty)
    pub subject: Option<String>,
    /// Number of room members
    #[graphql(name = "usersNumber")]
    pub users_number: Option<NonNegInt>,
}
