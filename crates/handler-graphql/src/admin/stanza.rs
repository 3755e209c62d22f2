//! `stanza` category (admin): MongooseIM's `admin/stanza.gql`, and the global stanza
//! types (`global/stanza.gql`) the user schema shares. The `subscribeForMessages`
//! subscription streams the messages routed to a session opened for the user.

use crate::context::{Ctx, IntoField, error};
use crate::scalars::{DateTime, JidScalar, PosInt, XmlElement};
use futures_util::{Stream, StreamExt};
use juniper::{
    Executor, FieldResult, GraphQLObject, ID, LookAheadValue, ScalarValue, graphql_object,
};
use meerkat_core::commands::stanza::{self, MessageSession, ReceivedMessage};
use meerkat_core::commands::{CommandError, CommandResult};
use meerkat_xmpp::BareJid;
use std::pin::Pin;

/// `StanzasPayload`: stanza payload data.
#[derive(Clone, Debug, GraphQLObject)]
#[graphql(name = "StanzasPayload", description = "Stanza payload data")]
pub struct StanzasPayload {
    /// List of stanza's maps
    pub stanzas: Option<Vec<Option<StanzaMap>>>,
    /// Max number of stanzas
    pub limit: Option<i32>,
}

/// `StanzaMap`: stanza map data.
#[derive(Clone, Debug, GraphQLObject)]
#[graphql(name = "StanzaMap", description = "Stanza map data")]
pub struct StanzaMap {
    /// Sender's JID
    pub sender: Option<JidScalar>,
    /// Stanza's timestamp
    pub timestamp: Option<DateTime>,
    /// ID of the stanza
    #[graphql(name = "stanza_id")]
    pub stanza_id: Option<String>,
    /// Stanza's data
    pub stanza: Option<XmlElement>,
}

impl StanzaMap {
    /// A message received by a subscription session.
    pub fn from_received(m: ReceivedMessage) -> StanzaMap {
        StanzaMap {
            sender: m
                .sender
                .and_then(|s| meerkat_xmpp::Jid::new(&s).ok())
                .map(JidScalar),
            timestamp: Some(DateTime::from_us(m.timestamp_us)),
            stanza_id: Some(m.stanza_id),
            stanza: Some(XmlElement(m.stanza.to_xml())),
        }
    }
}

/// `SendStanzaPayload`: send stanza payload.
#[derive(Clone, Debug, GraphQLObject)]
#[graphql(name = "SendStanzaPayload", description = "Send stanza payload")]
pub struct SendStanzaPayload {
    /// Stanza id
    pub id: Option<ID>,
}

impl SendStanzaPayload {
    /// The payload of a sent stanza.
    pub fn sent(id: String) -> Option<SendStanzaPayload> {
        Some(SendStanzaPayload {
            id: Some(ID::new(id)),
        })
    }
}

/// `TraceMap`: trace map data (`subscribeForTraffic`, which needs `service_traffic`).
#[derive(Clone, Debug, GraphQLObject)]
#[graphql(name = "TraceMap", description = "Trace map data")]
pub struct TraceMap {
    /// Session pid
    pub pid: Option<String>,
    /// Session owner
    pub jid: Option<JidScalar>,
    /// Stanza's timestamp
    pub timestamp: Option<DateTime>,
    /// Direction
    pub dir: Option<String>,
    /// Stanza's data
    pub stanza: Option<String>,
}

/// Parses an `XmlElement` argument (validated on input) for `sendStanza`.
pub fn stanza_arg(stanza: Option<&XmlElement>) -> FieldResult<meerkat_xmpp::Element> {
    stanza
        .and_then(XmlElement::element)
        .ok_or_else(|| error("invalid_stanza", "Missing stanza", &[]))
}

/// `StanzaAdminQuery`.
pub struct StanzaAdminQuery;

#[graphql_object(context = Ctx, name = "StanzaAdminQuery")]
impl StanzaAdminQuery {
    /// Get last 50 messages to/from a given contact, optionally you can change the limit,
    /// specify a date or select only messages exchanged with a specific contact
    async fn get_last_messages(
        ctx: &Ctx,
        caller: JidScalar,
        with: Option<JidScalar>,
        #[graphql(default = PosInt(50))] limit: Option<PosInt>,
        before: Option<DateTime>,
    ) -> FieldResult<Option<StanzasPayload>> {
        ctx.guard("StanzaAdminQuery.getLastMessages", &[("caller", &caller)])?;
        last_messages(ctx, &caller, with.as_ref(), limit, before.as_ref(), true).await
    }
}

/// `getLastMessages` of both schemas: the newest archived messages of `caller`.
pub async fn last_messages(
    ctx: &Ctx,
    caller: &JidScalar,
    with: Option<&JidScalar>,
    limit: Option<PosInt>,
    before: Option<&DateTime>,
    check_user: bool,
) -> FieldResult<Option<StanzasPayload>> {
    let user = caller.0.to_bare();
    let limit = limit.map_or(50, |l| u32::try_from(l.0).unwrap_or(0));
    let (rows, limit) = stanza::last_messages(
        &ctx.server,
        &user,
        with.map(|w| &w.0),
        limit,
        before.map(DateTime::micros),
        check_user,
    )
    .await
    .map_err(|e| e.with("caller", caller.as_str()))
    .field()?;
    Ok(Some(StanzasPayload {
        stanzas: Some(
            rows.into_iter()
                .map(|m| Some(StanzaMap::from_received(m)))
                .collect(),
        ),
        limit: Some(i32::try_from(limit).unwrap_or(i32::MAX)),
    }))
}

/// `StanzaAdminMutation`.
pub struct StanzaAdminMutation;

#[graphql_object(context = Ctx, name = "StanzaAdminMutation")]
impl StanzaAdminMutation {
    /// Send a chat message from a given contact to a local or remote bare or full JID
    async fn send_message(
        ctx: &Ctx,
        from: JidScalar,
        to: JidScalar,
        body: String,
    ) -> FieldResult<Option<SendStanzaPayload>> {
        ctx.guard("StanzaAdminMutation.sendMessage", &[("from", &from)])?;
        let id =
            stanza::send_chat_message(&ctx.server, None, Some(from.as_str()), to.as_str(), &body)
                .await
                .map_err(|e| e.with("from", from.as_str()))
                .field()?;
        Ok(SendStanzaPayload::sent(id))
    }

    /// Send a headline message from a given contact to a local or remote bare or full JID
    async fn send_message_head_line(
        ctx: &Ctx,
        from: JidScalar,
        to: JidScalar,
        subject: Option<String>,
        body: Option<String>,
    ) -> FieldResult<Option<SendStanzaPayload>> {
        ctx.guard(
            "StanzaAdminMutation.sendMessageHeadLine",
            &[("from", &from)],
        )?;
        let id = stanza::send_headline_message(
            &ctx.server,
            None,
            Some(from.as_str()),
            to.as_str(),
            subject.as_deref(),
            body.as_deref(),
        )
        .await
        .map_err(|e| e.with("from", from.as_str()))
        .field()?;
        Ok(SendStanzaPayload::sent(id))
    }

    /// Send an arbitrary stanza. Only for global admin
    async fn send_stanza(
        ctx: &Ctx,
        stanza: Option<XmlElement>,
    ) -> FieldResult<Option<SendStanzaPayload>> {
        ctx.guard("StanzaAdminMutation.sendStanza", &[])?;
        let el = stanza_arg(stanza.as_ref())?;
        let id = stanza::send_stanza(&ctx.server, None, el).await.field()?;
        Ok(SendStanzaPayload::sent(id))
    }
}

/// One event of the admin `stanza` subscription: resolves the nested
/// `subscribeForMessages` field of `StanzaAdminSubscription`.
pub struct StanzaAdminSubscription {
    owner: BareJid,
    message: StanzaMap,
}

#[graphql_object(context = Ctx, name = "StanzaAdminSubscription")]
impl StanzaAdminSubscription {
    /// Subscribe for the given user's incoming messages
    fn subscribe_for_messages(&self, caller: JidScalar) -> Option<StanzaMap> {
        (caller.0.to_bare() == self.owner).then(|| self.message.clone())
    }

    /// Subscribe for XMPP traffic
    fn subscribe_for_traffic(&self, limit: Option<i32>) -> Option<TraceMap> {
        let _ = limit;
        None
    }
}

/// A stream of subscription events.
pub type EventStream<T> = Pin<Box<dyn Stream<Item = Option<T>> + Send>>;

/// Which nested fields a `stanza` subscription selects: (field name, `caller` argument).
pub fn selected(executor: &Executor<'_, '_, Ctx>) -> Vec<(String, Option<String>)> {
    let look = executor.look_ahead();
    look.children()
        .iter()
        .map(|child| {
            let caller = child.argument("caller").and_then(|a| match a.value() {
                LookAheadValue::Scalar(s) => s.try_as_str().map(str::to_owned),
                _ => None,
            });
            (child.field_original_name().to_owned(), caller)
        })
        .collect()
}

/// The messages of several sessions, each tagged with its owner.
pub fn messages(sessions: Vec<MessageSession>) -> impl Stream<Item = (BareJid, StanzaMap)> + Send {
    futures_util::stream::select_all(sessions.into_iter().map(|session| {
        Box::pin(async_stream::stream! {
            let mut session = session;
            let owner = session.jid().to_bare();
            while let Some(m) = session.next().await {
                yield (owner.clone(), StanzaMap::from_received(m));
            }
        })
    }))
}

async fn open_all(
    ctx: &Ctx,
    callers: Vec<meerkat_xmpp::Jid>,
) -> CommandResult<Vec<MessageSession>> {
    let mut sessions = Vec::with_capacity(callers.len());
    for caller in callers {
        let s = stanza::open_session(&ctx.server, caller.as_str(), true)
            .await
            .map_err(|e: CommandError| e.with("caller", caller.as_str()))?;
        sessions.push(s);
    }
    Ok(sessions)
}

/// The admin `stanza` subscription: `subscribeForMessages(caller)` opens a session for
/// each (distinct) caller and streams its messages; `subscribeForTraffic` needs
/// `service_traffic`, which meerkat does not have.
pub async fn subscribe(
    ctx: &Ctx,
    executor: &Executor<'_, '_, Ctx>,
) -> FieldResult<EventStream<StanzaAdminSubscription>> {
    let fields = selected(executor);
    let mut callers: Vec<meerkat_xmpp::Jid> = Vec::new();
    for (name, caller) in fields {
        match name.as_str() {
            "subscribeForTraffic" => {
                ctx.guard("StanzaAdminSubscription.subscribeForTraffic", &[])?;
                ctx.needs_service("service_traffic")?;
            }
            "subscribeForMessages" => {
                // Parsed once, with the commands' parser: the scope check reads this
                // JID's domain and the session is opened for this same JID.
                let caller = caller.as_deref().map(meerkat_xmpp::Jid::new);
                let parsed = caller.as_ref().and_then(|c| c.as_ref().ok());
                ctx.guard(
                    "StanzaAdminSubscription.subscribeForMessages",
                    &[("caller", &parsed)],
                )?;
                let Some(Ok(jid)) = caller else {
                    return Err(crate::context::error("invalid_jid", "Invalid JID", &[]));
                };
                if !callers.iter().any(|c| c.to_bare() == jid.to_bare()) {
                    callers.push(jid);
                }
            }
            _ => {}
        }
    }
    let sessions = open_all(ctx, callers).await.field()?;
    Ok(Box::pin(messages(sessions).map(|(owner, message)| {
        Some(StanzaAdminSubscription { owner, message })
    })))
}
