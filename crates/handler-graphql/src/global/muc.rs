//! `global/muc.gql`: Multi-User Chat types.

use crate::scalars::{JidScalar, NonNegInt, PosInt};
use juniper::{GraphQLEnum, GraphQLInputObject, GraphQLObject};

/// User affiliation to a specific room
#[derive(Clone, Copy, Debug, PartialEq, Eq, GraphQLEnum)]
#[graphql(name = "MUCAffiliation")]
pub enum MucAffiliation {
    /// The user is the owner of the room
    Owner,
    /// The user has an administrative role
    Admin,
    /// The user is a member of the room
    Member,
    /// The user isn't a member of the room
    Outcast,
    /// The user doesn't have any affiliation
    None,
}

/// MUC role types
#[derive(Clone, Copy, Debug, PartialEq, Eq, GraphQLEnum)]
#[graphql(name = "MUCRole")]
pub enum MucRole {
    /// User is a visitor
    Visitor,
    /// User can participate in the room
    Participant,
    /// User has ability to moderate room
    Moderator,
}

/// MUC room user data
#[derive(Clone, Debug, GraphQLObject)]
#[graphql(name = "MUCRoomUser")]
pub struct MucRoomUser {
    /// User's JID
    pub jid: Option<JidScalar>,
    /// User's nickname
    pub nick: String,
    /// User's role
    pub role: MucRole,
}

/// MUC room affiliation data
#[derive(Clone, Debug, GraphQLObject)]
#[graphql(name = "MUCRoomAffiliation")]
pub struct MucRoomAffiliation {
    /// Room's JID
    pub jid: JidScalar,
    /// Affiliation type
    pub affiliation: MucAffiliation,
}

/// MUC room description
#[derive(Clone, Debug, GraphQLObject)]
#[graphql(name = "MUCRoomDesc")]
pub struct MucRoomDesc {
    /// Room's JID
    pub jid: JidScalar,
    /// Room's title
    pub title: String,
    /// Is the room private?
    pub private: Option<bool>,
    /// Number of the users
    #[graphql(name = "usersNumber")]
    pub users_number: Option<NonNegInt>,
}

/// MUC room configuration
#[derive(Clone, Debug, GraphQLObject)]
#[graphql(name = "MUCRoomConfig")]
pub struct MucRoomConfig {
    /// Room's title
    pub title: String,
    /// Room's description
    pub description: String,
    /// Allow to change the room's subject?
    #[graphql(name = "allowChangeSubject")]
    pub allow_change_subject: bool,
    /// Allow to query users?
    #[graphql(name = "allowQueryUsers")]
    pub allow_query_users: bool,
    /// Allow private messages?
    #[graphql(name = "allowPrivateMessages")]
    pub allow_private_messages: bool,
    /// Allow visitor status?
    #[graphql(name = "allowVisitorStatus")]
    pub allow_visitor_status: bool,
    /// Allow visitors to change their nicks?
    #[graphql(name = "allowVisitorNickchange")]
    pub allow_visitor_nickchange: bool,
    /// Is the room public?
    pub public: bool,
    /// Is the room on the public list?
    #[graphql(name = "publicList")]
    pub public_list: bool,
    /// Is the room persistent
    pub persistent: bool,
    /// Is the room moderated?
    pub moderated: bool,
    /// Should all new occupants be members by default?
    #[graphql(name = "membersByDefault")]
    pub members_by_default: bool,
    /// Should only users with member affiliation be allowed to join the room?
    #[graphql(name = "membersOnly")]
    pub members_only: bool,
    /// Can users invite others to join the room?
    #[graphql(name = "allowUserInvites")]
    pub allow_user_invites: bool,
    /// Allow multiple sessions of the room?
    #[graphql(name = "allowMultipleSession")]
    pub allow_multiple_session: bool,
    /// Is the room password protected?
    #[graphql(name = "passwordProtected")]
    pub password_protected: bool,
    /// Password to the room
    pub password: String,
    /// Are occupants, except from moderators, able see each others real JIDs?
    pub anonymous: bool,
    /// Array of roles and/or privileges that enable retrieving the room's member list
    #[graphql(name = "mayGetMemberList")]
    pub may_get_member_list: Vec<String>,
    /// Maximum number of users in the room
    #[graphql(name = "maxUsers")]
    pub max_users: Option<PosInt>,
}

/// MUC rooom configuration input
#[derive(Clone, Debug, GraphQLInputObject)]
#[graphql(name = "MUCRoomConfigInput")]
pub struct MucRoomConfigInput {
    /// Room's title
    pub title: Option<String>,
    /// Room's description
    pub description: Option<String>,
    /// Allow to change room's subject?
    #[graphql(name = "allowChangeSubject")]
    pub allow_change_subject: Option<bool>,
    /// Allow to query users?
    #[graphql(name = "allowQueryUsers")]
    pub allow_query_users: Option<bool>,
    /// Allow private messages?
    #[graphql(name = "allowPrivateMessages")]
    pub allow_private_messages: Option<bool>,
    /// Allow visitor status?
    #[graphql(name = "allowVisitorStatus")]
    pub allow_visitor_status: Option<bool>,
    /// Allow visitors to change their nicks?
    #[graphql(name = "allowVisitorNickchange")]
    pub allow_visitor_nickchange: Option<bool>,
    /// Is the room public?
    pub public: Option<bool>,
    /// Is the room on the public list?
    #[graphql(name = "publicList")]
    pub public_list: Option<bool>,
    /// Is the room persistent
    pub persistent: Option<bool>,
    /// Is the room moderated?
    pub moderated: Option<bool>,
    /// Should all new occupants be members by default?
    #[graphql(name = "membersByDefault")]
    pub members_by_default: Option<bool>,
    /// Should only users with member affiliation be allowed to join the room?
    #[graphql(name = "membersOnly")]
    pub members_only: Option<bool>,
    /// Can users invite others to join the room?
    #[graphql(name = "allowUserInvites")]
    pub allow_user_invites: Option<bool>,
    /// Allow multiple sessions of the room?
    #[graphql(name = "allowMultipleSession")]
    pub allow_multiple_session: Option<bool>,
    /// Is the room password protected?
    #[graphql(name = "passwordProtected")]
    pub password_protected: Option<bool>,
    /// Password to the room
    pub password: Option<String>,
    /// Are occupants, except from moderators, able see each others real JIDs?
    pub anonymous: Option<bool>,
    /// Array of roles and/or privileges that enable retrieving the room's member list
    #[graphql(name = "mayGetMemberList")]
    pub may_get_member_list: Option<Vec<String>>,
    /// Maximum number of users in the room
    #[graphql(name = "maxUsers")]
    pub max_users: Option<PosInt>,
}

/// MUC rooms payload
#[derive(Clone, Debug, GraphQLObject)]
#[graphql(name = "MUCRoomsPayload")]
pub struct MucRoomsPayload {
    /// List of rooms descriptions
    pub rooms: Option<Vec<MucRoomDesc>>,
    /// Number of the rooms
    pub count: Option<NonNegInt>,
    /// Index of the room
    pub index: Option<NonNegInt>,
    /// First room title
    pub first: Option<String>,
    /// Last room title
    pub last: Option<String>,
}
