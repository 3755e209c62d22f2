//! `session` category (admin): MongooseIM's `admin/session.gql` and the global `Session`
//! type (`global/session.gql`), which the user schema shares.

use crate::context::{Ctx, IntoField, error};
use crate::scalars::{DomainName, FullJidScalar, JidScalar, NonEmptyString, PosInt, ResourceName};
use juniper::{FieldResult, GraphQLEnum, GraphQLObject, graphql_object};
use meerkat_core::commands::session::{self, KickResult, SessionView, StatusUser};

/// `Session`: the information about a session.
#[derive(Clone, Debug, GraphQLObject)]
#[graphql(name = "Session", description = "The information about the session")]
pub struct Session {
    /// The full JID
    pub user: JidScalar,
    /// The connection type (e.g. c2s)
    pub connection: Option<String>,
    /// The session IP address
    pub ip: Option<String>,
    /// The session port
    pub port: Option<i32>,
    /// The priority level of the resource
    pub priority: Option<i32>,
    /// The node that the session process belongs to
    pub node: Option<String>,
    /// The uptime of the session
    pub uptime: Option<i32>,
}

/// `PresenceType`: presence type field values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, GraphQLEnum)]
#[graphql(name = "PresenceType", description = "Presence type field values")]
pub enum PresenceType {
    /// The sender is available for communication
    #[graphql(name = "AVAILABLE")]
    Available,
    /// An error has occurred regarding processing of a previously sent presence stanza
    #[graphql(name = "ERROR")]
    Failed,
    /// A request for an entity's current presence; SHOULD be generated only by a server on behalf of a user
    #[graphql(name = "PROBE")]
    Probe,
    /// The sender wishes to subscribe to the recipient's presence
    #[graphql(name = "SUBSCRIBE")]
    Subscribe,
    /// The sender has allowed the recipient to receive their presence
    #[graphql(name = "SUBSCRIBED")]
    Subscribed,
    /// Signals that the entity is no longer available for communication
    #[graphql(name = "UNAVAILABLE")]
    Unavailable,
    /// The sender is unsubscribing from the receiver's presence
    #[graphql(name = "UNSUBSCRIBE")]
    Unsubscribe,
    /// The subscription request has been denied or a previously granted subscription has been canceled
    #[graphql(name = "UNSUBSCRIBED")]
    Unsubscribed,
}

impl PresenceType {
    fn wire(self) -> &'static str {
        match self {
            PresenceType::Available => "available",
            PresenceType::Failed => "error",
            PresenceType::Probe => "probe",
            PresenceType::Subscribe => "subscribe",
            PresenceType::Subscribed => "subscribed",
            PresenceType::Unavailable => "unavailable",
            PresenceType::Unsubscribe => "unsubscribe",
            PresenceType::Unsubscribed => "unsubscribed",
        }
    }
}

/// `PresenceShow`: presence show field values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, GraphQLEnum)]
#[graphql(name = "PresenceShow", description = "Presence show field values")]
pub enum PresenceShow {
    /// The entity or resource is online
    #[graphql(name = "ONLINE")]
    Online,
    /// The entity or resource is temporarily away
    #[graphql(name = "AWAY")]
    Away,
    /// The entity or resource is actively interested in chatting
    #[graphql(name = "CHAT")]
    Chat,
    /// The entity or resource is busy (dnd = 'Do Not Disturb')
    #[graphql(name = "DND")]
    Dnd,
    /// The entity or resource is away for an extended period (xa = 'eXtended Away')
    #[graphql(name = "XA")]
    Xa,
}

impl PresenceShow {
    fn wire(self) -> &'static str {
        match self {
            PresenceShow::Online => "online",
            PresenceShow::Away => "away",
            PresenceShow::Chat => "chat",
            PresenceShow::Dnd => "dnd",
            PresenceShow::Xa => "xa",
        }
    }
}

/// `KickUserResult`: kick user session result.
#[derive(Clone, Debug, GraphQLObject)]
#[graphql(name = "KickUserResult", description = "Kick user session result")]
pub struct KickUserResult {
    /// Full JID with username, server and resource
    pub jid: JidScalar,
    /// Result status
    pub kicked: bool,
    /// Result code (if failed)
    pub code: Option<String>,
    /// Result message
    pub message: String,
}

/// `SessionPayload`: modify session payload.
#[derive(Clone, Debug, GraphQLObject)]
#[graphql(name = "SessionPayload", description = "Modify session payload")]
pub struct SessionPayload {
    /// Full JID with username, server and resource
    pub jid: JidScalar,
    /// Result message
    pub message: String,
}

/// `UserStatus`: short info about user's status.
#[derive(Clone, Debug, GraphQLObject)]
#[graphql(name = "UserStatus", description = "Short info about user's status")]
pub struct UserStatus {
    /// User JID
    pub user: JidScalar,
    /// Status priority
    pub priority: Option<i32>,
    /// Status text
    pub text: Option<String>,
}

fn jid(s: &str) -> FieldResult<JidScalar> {
    meerkat_xmpp::Jid::new(s)
        .map(JidScalar)
        .map_err(|e| error("internal_server_error", e.to_string(), &[]))
}

fn int(n: impl TryInto<i32>) -> i32 {
    n.try_into().unwrap_or(i32::MAX)
}

/// The GraphQL face of a session.
pub fn session(v: SessionView) -> FieldResult<Session> {
    Ok(Session {
        user: jid(&v.user)?,
        connection: v.connection,
        ip: v.ip,
        port: v.port.map(i32::from),
        priority: v.priority.map(i32::from),
        node: Some(v.node),
        uptime: Some(int(v.uptime)),
    })
}

/// The GraphQL face of a session list.
pub fn sessions(list: Vec<SessionView>) -> FieldResult<Option<Vec<Session>>> {
    list.into_iter()
        .map(session)
        .collect::<FieldResult<Vec<_>>>()
        .map(Some)
}

fn kick_result(k: KickResult) -> FieldResult<KickUserResult> {
    Ok(KickUserResult {
        jid: jid(&k.jid)?,
        kicked: k.kicked,
        code: k.code,
        message: k.message,
    })
}

fn status_users(list: Vec<StatusUser>) -> FieldResult<Option<Vec<UserStatus>>> {
    list.into_iter()
        .map(|s| {
            Ok(UserStatus {
                user: jid(&s.user)?,
                priority: s.priority.map(i32::from),
                text: Some(s.text),
            })
        })
        .collect::<FieldResult<Vec<_>>>()
        .map(Some)
}

/// `SessionAdminQuery`: allow admin to get information about sessions.
pub struct SessionAdminQuery;

#[graphql_object(
    context = Ctx,
    name = "SessionAdminQuery",
    description = "Allow admin to get information about sessions."
)]
impl SessionAdminQuery {
    /// Get the list of established sessions for a specified domain or globally
    fn list_sessions(ctx: &Ctx, domain: Option<DomainName>) -> FieldResult<Option<Vec<Session>>> {
        guard_domain(ctx, "SessionAdminQuery.listSessions", &domain)?;
        sessions(
            session::list_sessions(&ctx.server, domain.as_ref().map(DomainName::as_str)).field()?,
        )
    }

    /// Get the number of established sessions for a specified domain or globally
    fn count_sessions(ctx: &Ctx, domain: Option<DomainName>) -> FieldResult<Option<i32>> {
        guard_domain(ctx, "SessionAdminQuery.countSessions", &domain)?;
        let n = session::count_sessions(&ctx.server, domain.as_ref().map(DomainName::as_str))
            .field()?;
        Ok(Some(int(n)))
    }

    /// Get information about all sessions of a user
    async fn list_user_sessions(ctx: &Ctx, user: JidScalar) -> FieldResult<Option<Vec<Session>>> {
        ctx.guard("SessionAdminQuery.listUserSessions", &[("user", &user)])?;
        sessions(
            session::list_user_sessions(&ctx.server, user.as_str())
                .await
                .field()?,
        )
    }

    /// Get the number of resources of a user
    async fn count_user_resources(ctx: &Ctx, user: JidScalar) -> FieldResult<Option<i32>> {
        ctx.guard("SessionAdminQuery.countUserResources", &[("user", &user)])?;
        let n = session::count_user_resources(&ctx.server, user.as_str())
            .await
            .field()?;
        Ok(Some(int(n)))
    }

    /// Get the resource string of the n-th session of a user
    async fn get_user_resource(
        ctx: &Ctx,
        user: JidScalar,
        number: PosInt,
    ) -> FieldResult<Option<ResourceName>> {
        ctx.guard("SessionAdminQuery.getUserResource", &[("user", &user)])?;
        let r = session::get_user_resource(&ctx.server, user.as_str(), i64::from(number.0))
            .await
            .field()?;
        Ok(Some(ResourceName(r)))
    }

    /// Get the list of logged users with this status for a specified domain or globally
    fn list_users_with_status(
        ctx: &Ctx,
        domain: Option<DomainName>,
        status: NonEmptyString,
    ) -> FieldResult<Option<Vec<UserStatus>>> {
        guard_domain(ctx, "SessionAdminQuery.listUsersWithStatus", &domain)?;
        status_users(
            session::list_status_users(
                &ctx.server,
                domain.as_ref().map(DomainName::as_str),
                status.as_str(),
            )
            .field()?,
        )
    }

    /// Get the number of logged users with this status for a specified domain or globally
    fn count_users_with_status(
        ctx: &Ctx,
        domain: Option<DomainName>,
        status: NonEmptyString,
    ) -> FieldResult<Option<i32>> {
        guard_domain(ctx, "SessionAdminQuery.countUsersWithStatus", &domain)?;
        let n = session::count_status_users(
            &ctx.server,
            domain.as_ref().map(DomainName::as_str),
            status.as_str(),
        )
        .field()?;
        Ok(Some(int(n)))
    }
}

/// A domain admin must name its own domain: without `domain` the operation spans every
/// domain, which only the global admin may see.
fn guard_domain(ctx: &Ctx, op: &str, domain: &Option<DomainName>) -> FieldResult<()> {
    // A missing domain names none, which a domain admin's scope never holds.
    ctx.guard(op, &[("domain", domain)])
}

/// `SessionAdminMutation`: allow admin to manage sessions.
pub struct SessionAdminMutation;

#[graphql_object(
    context = Ctx,
    name = "SessionAdminMutation",
    description = "Allow admin to manage sessions."
)]
impl SessionAdminMutation {
    /// Kick a user session. User JID must contain resource
    async fn kick_user_session(
        ctx: &Ctx,
        user: FullJidScalar,
        reason: Option<String>,
    ) -> FieldResult<Option<KickUserResult>> {
        ctx.guard("SessionAdminMutation.kickUserSession", &[("user", &user)])?;
        let u = user.0.to_string();
        let k = session::kick_session(&ctx.server, &u, reason.as_deref())
            .await
            .field()?;
        kick_result(k).map(Some)
    }

    /// Kick user sessions
    async fn kick_user(
        ctx: &Ctx,
        user: crate::scalars::BareJidScalar,
        reason: Option<String>,
    ) -> FieldResult<Option<Vec<KickUserResult>>> {
        ctx.guard("SessionAdminMutation.kickUser", &[("user", &user)])?;
        let u = user.0.to_string();
        session::kick_sessions(&ctx.server, &u, reason.as_deref())
            .await
            .field()?
            .into_iter()
            .map(kick_result)
            .collect::<FieldResult<Vec<_>>>()
            .map(Some)
    }

    /// Set presence of a session. User JID should contain resource
    async fn set_presence(
        ctx: &Ctx,
        user: JidScalar,
        r#type: PresenceType,
        show: Option<PresenceShow>,
        status: Option<String>,
        priority: Option<i32>,
    ) -> FieldResult<Option<SessionPayload>> {
        ctx.guard("SessionAdminMutation.setPresence", &[("user", &user)])?;
        let message = session::set_presence(
            &ctx.server,
            user.as_str(),
            r#type.wire(),
            show.map(PresenceShow::wire),
            status.as_deref(),
            priority,
        )
        .await
        .field()?;
        Ok(Some(SessionPayload { jid: user, message }))
    }
}
