//! The static handler registry: one entry per handler crate, keyed by its TOML type name.
//! A handler whose cargo feature is off stays listed (as compiled out) so that a config
//! naming it gets "rebuild with feature ..." instead of "unknown handler type".
//!
//! To add a handler: a crate under crates/, an optional dependency and a feature in this
//! package's Cargo.toml, and one pair of lines below.

use listener_core::{HandlerDescriptor, descriptor};

/// Every handler meerkat knows, in documentation order.
pub static HANDLERS: &[HandlerDescriptor] = &[
    #[cfg(feature = "handler-bosh")]
    descriptor::<handler_bosh::BoshHandler>("handler-bosh"),
    #[cfg(not(feature = "handler-bosh"))]
    listener_core::compiled_out("mod_bosh", &["mongoose_bosh_handler"], "handler-bosh"),
    #[cfg(feature = "handler-ws")]
    descriptor::<handler_ws::WebSocketHandler>("handler-ws"),
    #[cfg(not(feature = "handler-ws"))]
    listener_core::compiled_out(
        "mod_websockets",
        &["mongoose_websocket_handler"],
        "handler-ws",
    ),
    #[cfg(feature = "handler-graphql")]
    descriptor::<handler_graphql::GraphqlHandler>("handler-graphql"),
    #[cfg(not(feature = "handler-graphql"))]
    listener_core::compiled_out("mongoose_graphql_handler", &[], "handler-graphql"),
    #[cfg(feature = "handler-rest-admin")]
    descriptor::<handler_rest_admin::AdminApiHandler>("handler-rest-admin"),
    #[cfg(not(feature = "handler-rest-admin"))]
    listener_core::compiled_out("mongoose_admin_api", &[], "handler-rest-admin"),
    #[cfg(feature = "handler-rest-client")]
    descriptor::<handler_rest_client::ClientApiHandler>("handler-rest-client"),
    #[cfg(not(feature = "handler-rest-client"))]
    listener_core::compiled_out("mongoose_client_api", &[], "handler-rest-client"),
    #[cfg(feature = "handler-prometheus")]
    descriptor::<handler_prometheus::PrometheusHandler>("handler-prometheus"),
    #[cfg(not(feature = "handler-prometheus"))]
    listener_core::compiled_out("mongoose_prometheus_handler", &[], "handler-prometheus"),
];

#[cfg(test)]
mod tests {
    use super::HANDLERS;

    #[test]
    fn keys_are_unique() {
        let mut keys: Vec<&str> = HANDLERS
            .iter()
            .flat_map(|d| std::iter::once(d.name).chain(d.aliases.iter().copied()))
            .collect();
        let n = keys.len();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), n, "duplicate handler key in the registry");
    }

    #[test]
    fn seed_names_and_aliases() {
        for (name, alias) in [
            ("mod_bosh", "mongoose_bosh_handler"),
            ("mod_websockets", "mongoose_websocket_handler"),
        ] {
            let d = HANDLERS.iter().find(|d| d.name == name).expect(name);
            assert!(d.matches(alias));
        }
        for name in [
            "mongoose_graphql_handler",
            "mongoose_admin_api",
            "mongoose_client_api",
            "mongoose_prometheus_handler",
        ] {
            assert!(HANDLERS.iter().any(|d| d.name == name), "{name}");
        }
    }

    #[test]
    fn features_match_links() {
        for d in HANDLERS {
            let on = match d.feature {
                "handler-bosh" => cfg!(feature = "handler-bosh"),
                "handler-ws" => cfg!(feature = "handler-ws"),
                "handler-graphql" => cfg!(feature = "handler-graphql"),
                "handler-rest-admin" => cfg!(feature = "handler-rest-admin"),
                "handler-rest-client" => cfg!(feature = "handler-rest-client"),
                "handler-prometheus" => cfg!(feature = "handler-prometheus"),
                other => panic!("unknown feature {other}"),
            };
            assert_eq!(d.reader.is_some(), on, "{}", d.name);
        }
    }
}
