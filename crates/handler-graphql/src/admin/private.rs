//! `private` category (admin): MongooseIM's `admin/private.gql`. The elements are the
//! ones XEP-0049 private-storage IQs read and write.

use super::roster::with_context;
use crate::context::{Ctx, IntoField, error};
use crate::scalars::{JidScalar, NonEmptyString, XmlElement};
use juniper::{FieldResult, graphql_object};
use meerkat_core::commands::private;

/// `getPrivate` for `user`.
pub async fn get(
    ctx: &Ctx,
    user: &str,
    element: &str,
    namespace: &str,
) -> FieldResult<Option<XmlElement>> {
    let el = private::get_private(&ctx.server, user, element, namespace)
        .await
        .map_err(|e| {
            with_context(
                e,
                &[
                    ("user", user),
                    ("element", element),
                    ("subElement", namespace),
                ],
            )
        })
        .field()?;
    Ok(Some(XmlElement(el.to_xml())))
}

/// `setPrivate` for `user`.
pub async fn set(ctx: &Ctx, user: &str, element: &XmlElement) -> FieldResult<Option<XmlElement>> {
    // Validated when the argument was coerced; parsing again cannot fail.
    let Some(el) = element.element() else {
        return Err(error("input_coercion", "Invalid XML", &[]));
    };
    let stored = private::set_private(&ctx.server, user, el)
        .await
        .map_err(|e| with_context(e, &[("user", user), ("element", element.as_str())]))
        .field()?;
    Ok(Some(XmlElement(stored.to_xml())))
}

/// Allow admin to get the user's private data.
pub struct PrivateAdminQuery;

#[graphql_object(context = Ctx, name = "PrivateAdminQuery")]
impl PrivateAdminQuery {
    /// Get the user's private data
    async fn get_private(
        ctx: &Ctx,
        user: JidScalar,
        element: String,
        name_space: NonEmptyString,
    ) -> FieldResult<Option<XmlElement>> {
        ctx.guard("PrivateAdminQuery.getPrivate", &[("user", &user)])?;
        get(ctx, user.as_str(), &element, name_space.as_str()).await
    }
}

/// Allow admin to set the user's private data.
pub struct PrivateAdminMutation;

#[graphql_object(context = Ctx, name = "PrivateAdminMutation")]
impl PrivateAdminMutation {
    /// Set the user's private data
    async fn set_private(
        ctx: &Ctx,
        user: JidScalar,
        element_string: XmlElement,
    ) -> FieldResult<Option<XmlElement>> {
        ctx.guard("PrivateAdminMutation.setPrivate", &[("user", &user)])?;
        set(ctx, user.as_str(), &element_string).await
    }
}
