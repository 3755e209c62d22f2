//! `stanza` category (user): MongooseIM's `user/stanza.gql`. Messages are sent as the
//! authenticated user; `subscribeForMessages` streams the messages routed to a session
//! opened for the user.

use crate::admin::stanza::{
    EventStream, SendStanzaPayload, StanzaMap, StanzasPayload, last_messages, messages, selected,
    stanza_arg,
};
use crate::context::{Ctx, IntoField};
use crate::scalars::{DateTime, JidScalar, PosInt, XmlElement};
use futures_util::StreamExt;
use juniper::{Executor, FieldResult, graphql_object};
use meerkat_core::commands::stanza;

/// `StanzaUserQuery`: allow user to query MAM archive.
pub struct StanzaUserQuery;

#[graphql_object(
    context = Ctx,
    name = "StanzaUserQuery",
    description = "Allow user to query MAM archive."
)]
impl StanzaUserQuery {
    /// Get n last messages to/from a given contact (optional) with limit and optional date
    async fn get_last_messages(
        ctx: &Ctx,
        with: Option<JidScalar>,
        #[graphql(default = PosInt(50))] limit: Option<PosInt>,
        before: Option<DateTime>,
    ) -> FieldResult<Option<StanzasPayload>> {
        let user = JidScalar(meerkat_xmpp::Jid::from(ctx.user()?.clone()));
        last_messages(ctx, &user, with.as_ref(), limit, before.as_ref(), false).await
    }
}

/// `StanzaUserMutation`: allow user to send messages.
pub struct StanzaUserMutation;

#[graphql_object(
    context = Ctx,
    name = "StanzaUserMutation",
    description = "Allow user to send messages."
)]
impl StanzaUserMutation {
    /// Send a chat message to a local or remote bare or full JID
    async fn send_message(
        ctx: &Ctx,
        from: Option<JidScalar>,
        to: JidScalar,
        body: String,
    ) -> FieldResult<Option<SendStanzaPayload>> {
        let user = ctx.user()?;
        let id = stanza::send_chat_message(
            &ctx.server,
            Some(user),
            from.as_ref().map(JidScalar::as_str),
            to.as_str(),
            &body,
        )
        .await
        .field()?;
        Ok(SendStanzaPayload::sent(id))
    }

    /// Send a headline message to a local or remote bare or full JID
    async fn send_message_head_line(
        ctx: &Ctx,
        from: Option<JidScalar>,
        to: JidScalar,
        subject: Option<String>,
        body: Option<String>,
    ) -> FieldResult<Option<SendStanzaPayload>> {
        let user = ctx.user()?;
        let id = stanza::send_headline_message(
            &ctx.server,
            Some(user),
            from.as_ref().map(JidScalar::as_str),
            to.as_str(),
            subject.as_deref(),
            body.as_deref(),
        )
        .await
        .field()?;
        Ok(SendStanzaPayload::sent(id))
    }

    /// Send an arbitrary stanza
    async fn send_stanza(
        ctx: &Ctx,
        stanza: Option<XmlElement>,
    ) -> FieldResult<Option<SendStanzaPayload>> {
        let user = ctx.user()?;
        let el = stanza_arg(stanza.as_ref())?;
        let id = stanza::send_stanza(&ctx.server, Some(user), el)
            .await
            .field()?;
        Ok(SendStanzaPayload::sent(id))
    }
}

/// One event of the user `stanza` subscription: resolves the nested
/// `subscribeForMessages` field of `StanzaUserSubscription`.
pub struct StanzaUserSubscription {
    message: StanzaMap,
}

#[graphql_object(context = Ctx, name = "StanzaUserSubscription")]
impl StanzaUserSubscription {
    /// Subscribe to incoming messages
    fn subscribe_for_messages(&self) -> Option<StanzaMap> {
        Some(self.message.clone())
    }
}

/// The user `stanza` subscription: `subscribeForMessages` opens a session for the user
/// and streams its messages.
pub async fn subscribe(
    ctx: &Ctx,
    executor: &Executor<'_, '_, Ctx>,
) -> FieldResult<EventStream<StanzaUserSubscription>> {
    let user = ctx.user()?.to_string();
    let wanted = selected(executor)
        .iter()
        .any(|(name, _)| name == "subscribeForMessages");
    let mut sessions = Vec::new();
    if wanted {
        sessions.push(
            stanza::open_session(&ctx.server, &user, false)
                .await
                .field()?,
        );
    }
    Ok(Box::pin(messages(sessions).map(|(_, message)| {
        Some(StanzaUserSubscription { message })
    })))
}
