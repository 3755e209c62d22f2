//! `account` category (admin): MongooseIM's `admin/account.gql`.

use crate::context::{Ctx, IntoField};
use crate::scalars::{DomainName, JidScalar, NonEmptyString, NonNegInt, PosInt, UserName};
use juniper::{FieldResult, GraphQLObject, graphql_object};
use meerkat_core::commands::account;

/// `UserPayload`.
#[derive(Clone, Debug, GraphQLObject)]
pub struct UserPayload {
    /// User JID.
    pub jid: JidScalar,
    /// Result message.
    pub message: String,
}

/// `CheckPasswordPayload`.
#[derive(Clone, Debug, GraphQLObject)]
pub struct CheckPasswordPayload {
    /// Status of the password correctness.
    pub correct: bool,
    /// Result message.
    pub message: String,
}

/// `CheckUserPayload`.
#[derive(Clone, Debug, GraphQLObject)]
pub struct CheckUserPayload {
    /// Whether the user exists.
    pub exist: bool,
    /// Result message.
    pub message: String,
}

/// `ImportPayload`.
#[derive(Clone, Debug, GraphQLObject)]
pub struct ImportPayload {
    /// Status.
    pub status: String,
    /// Users created.
    pub created: Option<Vec<JidScalar>>,
    /// Users that were already existing.
    pub existing: Option<Vec<JidScalar>>,
    /// Users that were not allowed to be created.
    #[graphql(name = "notAllowed")]
    pub not_allowed: Option<Vec<JidScalar>>,
    /// Users with invalid JIDs.
    #[graphql(name = "invalidJID")]
    pub invalid_jid: Option<Vec<String>>,
    /// Users with empty passwords.
    #[graphql(name = "emptyPassword")]
    pub empty_password: Option<Vec<JidScalar>>,
    /// Invalid records.
    #[graphql(name = "invalidRecord")]
    pub invalid_record: Option<Vec<String>>,
}

fn user_payload(r: account::AccountChange) -> FieldResult<UserPayload> {
    Ok(UserPayload {
        jid: JidScalar(r.jid.into()),
        message: r.message,
    })
}

fn jids(list: Vec<String>) -> Option<Vec<JidScalar>> {
    Some(
        list.into_iter()
            .filter_map(|j| meerkat_xmpp::Jid::new(&j).ok().map(JidScalar))
            .collect(),
    )
}

/// `AccountAdminQuery`.
pub struct AccountAdminQuery;

#[graphql_object(context = Ctx, name = "AccountAdminQuery")]
impl AccountAdminQuery {
    /// List users per domain.
    async fn list_users(
        ctx: &Ctx,
        domain: DomainName,
        limit: Option<PosInt>,
        index: Option<NonNegInt>,
    ) -> FieldResult<Option<Vec<String>>> {
        ctx.guard("AccountAdminQuery.listUsers", &[("domain", &domain)])?;
        let users = account::list_users(
            &ctx.server,
            domain.as_str(),
            limit.map(|l| l.0 as usize),
            index.map(|i| i.0 as usize),
        )
        .await
        .field()?;
        Ok(Some(users))
    }

    /// Get number of users per domain.
    async fn count_users(ctx: &Ctx, domain: DomainName) -> FieldResult<Option<i32>> {
        ctx.guard("AccountAdminQuery.countUsers", &[("domain", &domain)])?;
        let n = account::count_users(&ctx.server, domain.as_str())
            .await
            .field()?;
        Ok(Some(i32::try_from(n).unwrap_or(i32::MAX)))
    }

    /// Check if a password is correct.
    async fn check_password(
        ctx: &Ctx,
        user: JidScalar,
        password: String,
    ) -> FieldResult<Option<CheckPasswordPayload>> {
        ctx.guard("AccountAdminQuery.checkPassword", &[("user", &user)])?;
        let v = account::check_password(&ctx.server, user.as_str(), &password)
            .await
            .field()?;
        Ok(Some(CheckPasswordPayload {
            correct: v.ok,
            message: v.message,
        }))
    }

    /// Check if a password hash is correct (allowed methods: md5, sha). Works only for plain passwords.
    async fn check_password_hash(
        ctx: &Ctx,
        user: JidScalar,
        password_hash: String,
        hash_method: String,
    ) -> FieldResult<Option<CheckPasswordPayload>> {
        ctx.guard("AccountAdminQuery.checkPasswordHash", &[("user", &user)])?;
        let v =
            account::check_password_hash(&ctx.server, user.as_str(), &password_hash, &hash_method)
                .await
                .field()?;
        Ok(Some(CheckPasswordPayload {
            correct: v.ok,
            message: v.message,
        }))
    }

    /// Check if a user exists.
    async fn check_user(ctx: &Ctx, user: JidScalar) -> FieldResult<Option<CheckUserPayload>> {
        ctx.guard("AccountAdminQuery.checkUser", &[("user", &user)])?;
        let v = account::check_user(&ctx.server, user.as_str())
            .await
            .field()?;
        Ok(Some(CheckUserPayload {
            exist: v.ok,
            message: v.message,
        }))
    }
}

/// `AccountAdminMutation`.
pub struct AccountAdminMutation;

#[graphql_object(context = Ctx, name = "AccountAdminMutation")]
impl AccountAdminMutation {
    /// Register a user. Username will be generated when skipped.
    async fn register_user(
        ctx: &Ctx,
        domain: DomainName,
        username: Option<UserName>,
        password: String,
    ) -> FieldResult<Option<UserPayload>> {
        ctx.guard("AccountAdminMutation.registerUser", &[("domain", &domain)])?;
        let r = account::register_user(
            &ctx.server,
            domain.as_str(),
            username.as_ref().map(UserName::as_str),
            &password,
        )
        .await
        .field()?;
        user_payload(r).map(Some)
    }

    /// Remove the user's account along with all the associated personal data.
    async fn remove_user(ctx: &Ctx, user: JidScalar) -> FieldResult<Option<UserPayload>> {
        ctx.guard("AccountAdminMutation.removeUser", &[("user", &user)])?;
        user_payload(
            account::remove_user(&ctx.server, user.as_str())
                .await
                .field()?,
        )
        .map(Some)
    }

    /// Ban an account: kick sessions and set a random password.
    async fn ban_user(
        ctx: &Ctx,
        user: JidScalar,
        reason: String,
    ) -> FieldResult<Option<UserPayload>> {
        ctx.guard("AccountAdminMutation.banUser", &[("user", &user)])?;
        user_payload(
            account::ban_user(&ctx.server, user.as_str(), &reason)
                .await
                .field()?,
        )
        .map(Some)
    }

    /// Change the password of a user.
    async fn change_user_password(
        ctx: &Ctx,
        user: JidScalar,
        new_password: String,
    ) -> FieldResult<Option<UserPayload>> {
        ctx.guard(
            "AccountAdminMutation.changeUserPassword",
            &[("user", &user)],
        )?;
        user_payload(
            account::change_password(&ctx.server, user.as_str(), &new_password)
                .await
                .field()?,
        )
        .map(Some)
    }

    /// Import users from a CSV file (`user,domain,password` per line). A domain admin may
    /// only create accounts in its own domain; other records are reported as notAllowed.
    async fn import_users(
        ctx: &Ctx,
        filename: NonEmptyString,
    ) -> FieldResult<Option<ImportPayload>> {
        ctx.guard("AccountAdminMutation.importUsers", &[])?;
        let s = account::import_users(&ctx.server, filename.as_str(), |d| ctx.may_touch_domain(d))
            .await
            .field()?;
        Ok(Some(ImportPayload {
            status: "Completed".into(),
            created: jids(s.created),
            existing: jids(s.existing),
            not_allowed: jids(s.not_allowed),
            invalid_jid: Some(s.invalid_jid),
            empty_password: jids(s.empty_password),
            invalid_record: Some(s.invalid_record),
        }))
    }
}
