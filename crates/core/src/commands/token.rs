//! Auth tokens (MongooseIM's `token` category, `mod_auth_token_api`): issue an access and
//! a refresh token for a user, revoke a user's tokens. The tokens log in with the X-OAUTH
//! SASL mechanism (see [`crate::auth_token`]).

use super::{CommandError, CommandResult};
use crate::Server;
use crate::auth_token::IssuedTokens;
use meerkat_xmpp::BareJid;

/// The user of a token operation: its domain must be served (`not_found` "Unknown
/// domain" otherwise, as MongooseIM says).
fn token_user(server: &Server, jid: &str) -> CommandResult<BareJid> {
    let invalid = || CommandError::bad_request("invalid_jid", "Invalid JID").with("user", jid);
    let parsed = meerkat_xmpp::Jid::new(jid).map_err(|_| invalid())?;
    if !server.is_served_domain(parsed.domain().as_str()) {
        return Err(CommandError::not_found("not_found", "Unknown domain").with("user", jid));
    }
    if parsed.node().is_none() {
        return Err(invalid());
    }
    Ok(parsed.to_bare())
}

/// Issues an access and a refresh token. Unlike MongooseIM, only for existing accounts
/// (`user_does_not_exist` otherwise).
pub async fn request_token(server: &Server, jid: &str) -> CommandResult<IssuedTokens> {
    super::require_modules(server, &["mod_auth_token"])?;
    let user = token_user(server, jid)?;
    let exists = server
        .user_exists(&user)
        .await
        .map_err(|e| CommandError::internal("token request", e))?;
    if !exists {
        return Err(CommandError::not_found(
            "user_does_not_exist",
            format!("User {user} does not exist"),
        )
        .with("user", user.as_str()));
    }
    let tokens = server.issue_tokens(&user).await?;
    tracing::info!(user = %user, "auth tokens issued");
    Ok(tokens)
}

/// Revokes every token issued to the user so far (`not_found` when none was issued).
pub async fn revoke_token(server: &Server, jid: &str) -> CommandResult<String> {
    super::require_modules(server, &["mod_auth_token"])?;
    let user = token_user(server, jid)?;
    if server.revoke_tokens(&user).await? {
        tracing::info!(user = %user, "auth tokens revoked");
        Ok("Revoked".into())
    } else {
        Err(
            CommandError::not_found("not_found", "User or token not found")
                .with("user", user.as_str()),
        )
    }
}
