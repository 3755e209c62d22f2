//! The user schema: `UserQuery`, `UserMutation`, `UserSubscription`, as in MongooseIM's
//! `priv/graphql/schemas/user`. Every operation acts for the authenticated user.

pub mod account;
// roster, vcard, private, last categories
pub mod last;
pub mod private;
pub mod roster;
pub mod session;
pub mod stanza;
pub mod vcard;
// token category
pub mod token;

// categories whose modules meerkat does not have
pub mod unavailable;

use crate::admin::AuthStatus;
use crate::context::{Auth, Ctx};
use crate::scalars::JidScalar;
use juniper::{FieldResult, GraphQLObject, graphql_object};

/// `UserAuthInfo`.
#[derive(Clone, Debug, GraphQLObject)]
#[graphql(name = "UserAuthInfo")]
pub struct UserAuthInfo {
    /// The authenticated user's bare JID.
    pub username: Option<JidScalar>,
    /// Authorization status.
    #[graphql(name = "authStatus")]
    pub auth_status: AuthStatus,
}

/// Root of user queries.
pub struct UserQuery;

#[graphql_object(context = Ctx, name = "UserQuery")]
impl UserQuery {
    /// Check authorization status.
    #[graphql(name = "checkAuth")]
    fn check_auth(ctx: &Ctx) -> Option<UserAuthInfo> {
        Some(match &ctx.auth {
            Auth::User(j) => UserAuthInfo {
                username: Some(JidScalar(j.clone().into())),
                auth_status: AuthStatus::Authorized,
            },
            _ => UserAuthInfo {
                username: None,
                auth_status: AuthStatus::Unauthorized,
            },
        })
    }

    /// User session management
    fn session(ctx: &Ctx) -> FieldResult<Option<session::SessionUserQuery>> {
        ctx.category("session")?;
        Ok(Some(session::SessionUserQuery))
    }

    /// Sending stanzas and querying MAM
    fn stanza(ctx: &Ctx) -> FieldResult<Option<stanza::StanzaUserQuery>> {
        ctx.category("stanza")?;
        Ok(Some(stanza::StanzaUserQuery))
    }

    // ---- roster, vcard, private, last
    /// Roster/contacts management
    fn roster(ctx: &Ctx) -> FieldResult<Option<roster::RosterUserQuery>> {
        ctx.category("roster")?;
        Ok(Some(roster::RosterUserQuery))
    }

    /// vCard management
    fn vcard(ctx: &Ctx) -> FieldResult<Option<vcard::VcardUserQuery>> {
        ctx.category("vcard")?;
        Ok(Some(vcard::VcardUserQuery))
    }

    /// User private storage management
    fn private(ctx: &Ctx) -> FieldResult<Option<private::PrivateUserQuery>> {
        ctx.category("private")?;
        Ok(Some(private::PrivateUserQuery))
    }

    /// Last activity management
    fn last(ctx: &Ctx) -> FieldResult<Option<last::LastUserQuery>> {
        ctx.category("last")?;
        Ok(Some(last::LastUserQuery))
    }

    /// MUC room management
    fn muc(ctx: &Ctx) -> FieldResult<Option<unavailable::muc::MucUserQuery>> {
        ctx.category("muc")?;
        Ok(Some(unavailable::muc::MucUserQuery))
    }

    /// MUC Light room management
    #[graphql(name = "muc_light")]
    fn muc_light(ctx: &Ctx) -> FieldResult<Option<unavailable::muc_light::MucLightUserQuery>> {
        ctx.category("muc_light")?;
        Ok(Some(unavailable::muc_light::MucLightUserQuery))
    }
}

/// Root of user mutations (all protected).
pub struct UserMutation;

#[graphql_object(context = Ctx, name = "UserMutation")]
impl UserMutation {
    /// Account management.
    fn account(ctx: &Ctx) -> FieldResult<Option<account::AccountUserMutation>> {
        ctx.category("account")?;
        Ok(Some(account::AccountUserMutation))
    }

    // ---- token
    /// OAUTH token management
    fn token(ctx: &Ctx) -> FieldResult<Option<token::TokenUserMutation>> {
        ctx.category("token")?;
        Ok(Some(token::TokenUserMutation))
    }

    /// Sending stanzas
    fn stanza(ctx: &Ctx) -> FieldResult<Option<stanza::StanzaUserMutation>> {
        ctx.category("stanza")?;
        Ok(Some(stanza::StanzaUserMutation))
    }

    // ---- roster, vcard, private, last
    /// Roster/contacts management
    fn roster(ctx: &Ctx) -> FieldResult<Option<roster::RosterUserMutation>> {
        ctx.category("roster")?;
        Ok(Some(roster::RosterUserMutation))
    }

    /// vCard management
    fn vcard(ctx: &Ctx) -> FieldResult<Option<vcard::VcardUserMutation>> {
        ctx.category("vcard")?;
        Ok(Some(vcard::VcardUserMutation))
    }

    /// User private storage management
    fn private(ctx: &Ctx) -> FieldResult<Option<private::PrivateUserMutation>> {
        ctx.category("private")?;
        Ok(Some(private::PrivateUserMutation))
    }

    /// Last activity management
    fn last(ctx: &Ctx) -> FieldResult<Option<last::LastUserMutation>> {
        ctx.category("last")?;
        Ok(Some(last::LastUserMutation))
    }

    /// Inbox bin management
    fn inbox(ctx: &Ctx) -> FieldResult<Option<unavailable::inbox::InboxUserMutation>> {
        ctx.category("inbox")?;
        Ok(Some(unavailable::inbox::InboxUserMutation))
    }

    /// MUC room management
    fn muc(ctx: &Ctx) -> FieldResult<Option<unavailable::muc::MucUserMutation>> {
        ctx.category("muc")?;
        Ok(Some(unavailable::muc::MucUserMutation))
    }

    /// MUC Light room management
    #[graphql(name = "muc_light")]
    fn muc_light(ctx: &Ctx) -> FieldResult<Option<unavailable::muc_light::MucLightUserMutation>> {
        ctx.category("muc_light")?;
        Ok(Some(unavailable::muc_light::MucLightUserMutation))
    }

    /// Http upload
    #[graphql(name = "httpUpload")]
    fn http_upload(
        ctx: &Ctx,
    ) -> FieldResult<Option<unavailable::http_upload::HttpUploadUserMutation>> {
        // `allowed_categories` names it `http_upload` (see the admin schema).
        ctx.category("http_upload")?;
        Ok(Some(unavailable::http_upload::HttpUploadUserMutation))
    }
}

/// Root of user subscriptions (over SSE).
pub struct UserSubscription;

#[juniper::graphql_subscription(
    context = Ctx,
    name = "UserSubscription",
    scalar = juniper::DefaultScalarValue
)]
impl UserSubscription {
    /// Subscriptions to stanzas (over SSE): each event resolves the nested
    /// `subscribeForMessages`.
    async fn stanza(
        ctx: &Ctx,
        executor: &juniper::Executor<'_, '_, Ctx>,
    ) -> FieldResult<crate::admin::stanza::EventStream<stanza::StanzaUserSubscription>> {
        ctx.category("stanza")?;
        stanza::subscribe(ctx, executor).await
    }
}

/// The user schema.
pub type UserSchema = juniper::RootNode<UserQuery, UserMutation, UserSubscription>;

/// Builds the user schema.
pub fn schema() -> UserSchema {
    UserSchema::new(UserQuery, UserMutation, UserSubscription)
}
