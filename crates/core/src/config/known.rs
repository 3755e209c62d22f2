//! What MongooseIM's config knows, in one place. A key listed here but not implemented by
//! meerkat is accepted with a warning; a key in neither place is an error (a typo).

/// Top-level sections of a MongooseIM config file.
pub const TOP_LEVEL_SECTIONS: &[&str] = &[
    "general",
    "listen",
    "auth",
    "outgoing_pools",
    "internal_databases",
    "services",
    "modules",
    "instrumentation",
    "shaper",
    "acl",
    "access",
    "s2s",
    "host_config",
];

/// Listener kinds under `[listen]`.
pub const LISTENER_KINDS: &[&str] = &["http", "c2s", "s2s", "component"];

/// Options of `[general]`.
pub const GENERAL_OPTIONS: &[&str] = &[
    "loglevel",
    "hosts",
    "host_types",
    "default_server_domain",
    "registration_timeout",
    "language",
    "all_metrics_are_global",
    "sm_backend",
    "component_backend",
    "s2s_backend",
    "max_fsm_queue",
    "http_server_name",
    "rdbms_server_type",
    "route_subdomains",
    "routing_modules",
    "replaced_wait_timeout",
    "hide_service_name",
    "domain_certfile",
    "mongooseimctl_access_commands",
];

/// Modules documented by MongooseIM (6.x) under `[modules.*]`.
pub const MODULES: &[&str] = &[
    "mod_adhoc",
    "mod_admin_extra",
    "mod_amp",
    "mod_auth_token",
    "mod_aws_sns",
    "mod_bind2",
    "mod_blocking",
    "mod_blocklist",
    "mod_bosh",
    "mod_broadcast",
    "mod_cache_users",
    "mod_caps",
    "mod_carboncopy",
    "mod_commands",
    "mod_csi",
    "mod_disco",
    "mod_domain_isolation",
    "mod_event_pusher",
    "mod_extdisco",
    "mod_external_filter",
    "mod_fast_auth_token",
    "mod_filter",
    "mod_global_distrib",
    "mod_http_notification",
    "mod_http_upload",
    "mod_inbox",
    "mod_inbox_commands",
    "mod_invites",
    "mod_jingle_sip",
    "mod_keystore",
    "mod_last",
    "mod_mam",
    "mod_muc",
    "mod_muc_commands",
    "mod_muc_light",
    "mod_muc_light_commands",
    "mod_muc_log",
    "mod_offline",
    "mod_offline_stub",
    "mod_ping",
    "mod_presence",
    "mod_privacy",
    "mod_private",
    "mod_pubsub",
    "mod_push_service_mongoosepush",
    "mod_register",
    "mod_revproxy",
    "mod_roster",
    "mod_sasl2",
    "mod_shared_roster_ldap",
    "mod_sic",
    "mod_smart_markers",
    "mod_stanzaid",
    "mod_stream_management",
    "mod_time",
    "mod_vcard",
    "mod_version",
];

/// Services documented by MongooseIM under `[services.*]`.
pub const SERVICES: &[&str] = &[
    "service_admin_extra",
    "service_bosh",
    "service_domain_db",
    "service_mongoose_system_metrics",
    "service_traffic",
];

/// Sections of `[instrumentation]`.
pub const INSTRUMENTATION_SECTIONS: &[&str] = &["probe_interval", "prometheus", "exometer", "log"];

/// Options of `[auth]` (besides the method sub-tables).
pub const AUTH_OPTIONS: &[&str] = &[
    "methods",
    "password",
    "sasl_mechanisms",
    "sasl_external",
    "max_users_per_domain",
    "internal",
    "rdbms",
    "anonymous",
    "external",
    "http",
    "jwt",
    "ldap",
    "pki",
    "dummy",
];
