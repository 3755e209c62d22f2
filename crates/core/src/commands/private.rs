//! Private XML storage (MongooseIM's `mod_private_api`): the elements XEP-0049 IQs store,
//! one per namespace, read and written through the same store entries.
//!
//! Errors: `not_found` ("User X does not exist") as in MongooseIM; a namespace XEP-0049
//! reserves (`jabber:*`) or an element without one is refused with `invalid_namespace`
//! (a client's IQ gets `not-acceptable` for it; MongooseIM's API silently ignores it), and
//! an element name that is not an XML name with `invalid_element`.

use super::{CommandError, CommandResult};
use crate::Server;
use meerkat_xmpp::{BareJid, Element, Jid, ParseLimits};

/// Whether XEP-0049 lets a client store data under `namespace`.
pub fn namespace_allowed(namespace: &str) -> bool {
    !namespace.is_empty() && !namespace.starts_with("jabber:")
}

fn check_namespace(namespace: &str) -> CommandResult<()> {
    if namespace_allowed(namespace) {
        Ok(())
    } else {
        Err(CommandError::bad_request(
            "invalid_namespace",
            format!("Namespace '{namespace}' cannot be used for private storage"),
        ))
    }
}

async fn owner(server: &Server, jid: &str) -> CommandResult<BareJid> {
    let not_found = || CommandError::not_found("not_found", format!("User {jid} does not exist"));
    let user = Jid::new(jid).map_err(|_| not_found())?.to_bare();
    if super::is_local_account(server, &user).await? {
        Ok(user)
    } else {
        Err(not_found())
    }
}

/// The element stored under `namespace`, or an empty `<element xmlns='namespace'/>` when
/// nothing is (as a XEP-0049 get answers).
pub async fn get_private(
    server: &Server,
    user: &str,
    element: &str,
    namespace: &str,
) -> CommandResult<Element> {
    super::require_modules(server, &["mod_private"])?;
    let user = owner(server, user).await?;
    check_namespace(namespace)?;
    let empty = Element::new(element, namespace);
    if empty.to_xml().is_empty() {
        // The serializer writes nothing for a name that is not an XML name.
        return Err(CommandError::bad_request(
            "invalid_element",
            format!("'{element}' is not a valid element name"),
        ));
    }
    match server.store().private_get(user.as_str(), namespace).await? {
        Some(xml) => Element::parse_str(&xml, &ParseLimits::default())
            .map_err(|e| CommandError::internal("private storage read", e)),
        None => Ok(empty),
    }
}

/// Stores `element` under its namespace (replacing what was there) and returns it.
pub async fn set_private(server: &Server, user: &str, element: Element) -> CommandResult<Element> {
    super::require_modules(server, &["mod_private"])?;
    let user = owner(server, user).await?;
    check_namespace(element.ns())?;
    server
        .store()
        .private_set(user.as_str(), element.ns(), &element.to_xml())
        .await?;
    Ok(element)
}
