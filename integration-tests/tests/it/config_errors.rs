//! Config validation: every problem reported at once with its TOML path; MongooseIM's own
//! configs and documentation examples accepted.

use crate::common::{fixture, tls_fixture};
use meerkat::load_config_str;
use meerkat_core::config::Diagnostics;

fn errors(config: &str) -> Vec<String> {
    match load_config_str(config) {
        Ok(_) => panic!("config accepted:\n{config}"),
        Err(d) => d.errors.iter().map(ToString::to_string).collect(),
    }
}

fn accepted(config: &str) -> Diagnostics {
    match load_config_str(config) {
        Ok(l) => l.diagnostics,
        Err(d) => panic!("config rejected:\n{d}\n{config}"),
    }
}

const GENERAL: &str = "[general]\nhosts = [\"localhost\"]\n";

#[test]
fn all_problems_at_once_with_paths() {
    let got = errors(&format!(
        "{GENERAL}
[[listen.http]]
  port = \"5280\"
  colour = \"blue\"
  transport.max_connections = -5
  tls.certfile = \"{cert}\"
  [[listen.http.handlers.mod_bosh]]
    path = \"/http-bind\"
  [[listen.http.handlers.mod_bosch]]
    host = \"_\"
    path = \"/x\"
  [[listen.http.handlers.mongoose_graphql_handler]]
    host = \"_\"
    path = \"/api/graphql\"
    username = \"admin\"

[[listen.http]]
  port = 5281
  [[listen.http.handlers.mod_websockets]]
    host = \"_\"
    path = \"/ws\"
    max_stanza_size = 0
    ping_rate = \"often\"
[[listen.http]]
  port = 5281
",
        cert = tls_fixture("server.pem")
    ));
    assert_eq!(
        got,
        [
            "listen.http[0].port: expected an integer, found a string",
            "listen.http[0].transport.max_connections: expected a non-negative integer or \"infinity\", found -5",
            "listen.http[0].tls.keyfile: certfile is set without keyfile (tls_certfile_without_keyfile)",
            "listen.http[0].handlers.mod_bosh[0].host: mandatory option is missing",
            "listen.http[0].handlers.mod_bosch: unknown handler type; known types: mod_bosh, mod_websockets, mongoose_admin_api, mongoose_bosh_handler, mongoose_client_api, mongoose_graphql_handler, mongoose_prometheus_handler, mongoose_websocket_handler",
            "listen.http[0].handlers.mongoose_graphql_handler[0].schema_endpoint: mandatory option is missing",
            "listen.http[0].handlers.mongoose_graphql_handler[0].password: username is set without password (set both or neither)",
            "listen.http[0].colour: unknown option",
            "listen.http[1].handlers.mod_websockets[0].ping_rate: expected a positive integer, found a string",
            "listen.http[1].handlers.mod_websockets[0].max_stanza_size: expected a positive integer or \"infinity\", found 0",
            "listen.http[2]: listens on 0.0.0.0:5281 which listen.http[1] already uses (0.0.0.0:5281)",
        ]
    );
}

#[test]
fn same_port_on_wildcard_and_loopback_clashes() {
    let got = errors(&format!(
        "{GENERAL}[[listen.http]]\nport = 5290\n[[listen.http]]\nport = 5290\nip_address = \"127.0.0.1\"\n"
    ));
    assert_eq!(
        got,
        [
            "listen.http[1]: listens on 127.0.0.1:5290 which listen.http[0] already uses (0.0.0.0:5290)"
        ]
    );
    // Different ports, or IPv4 and IPv6, are fine.
    accepted(&format!(
        "{GENERAL}[[listen.http]]\nport = 5290\n[[listen.http]]\nport = 5291\n[[listen.http]]\nport = 5290\nip_version = 6\n"
    ));
}

#[test]
fn wrong_types_and_unknown_keys_everywhere() {
    let got = errors(
        "[general]\nhosts = \"localhost\"\nloglevel = 3\nhosst = []\n[auth]\nsasl_mechanisms = [\"plain\", \"digest\"]\n[modules.mod_roster]\nversioning = 1\n[modules.mod_rosterr]\n[instrumentation]\nprobe_interval = 0\n[listen]\nxmpp = []\n",
    );
    assert_eq!(
        got,
        [
            "general.hosts: expected an array, found a string",
            "general.hosts: at least one host is required",
            "general.loglevel: expected a string, found an integer",
            "general.hosst: unknown option",
            "auth.sasl_mechanisms[1]: unknown SASL mechanism \"digest\"",
            "modules.mod_roster.versioning: expected a boolean, found an integer",
            "modules.mod_rosterr: unknown module",
            "instrumentation.probe_interval: expected a positive integer, found 0",
            "listen.xmpp: unknown listener type; expected one of http, c2s, s2s, component",
        ]
    );
}

#[test]
fn tls_problems() {
    let cert = tls_fixture("server.pem");
    let got = errors(&format!(
        "{GENERAL}[[listen.http]]\nport = 1\ntls.certfile = \"{cert}\"\ntls.keyfile = \"{key}\"\ntls.verify_mode = \"sometimes\"\ntls.versions = [\"tlsv1.1\"]\ntls.ciphers = \"RC4-MD5\"\n",
        key = tls_fixture("server.key")
    ));
    assert_eq!(got.len(), 3, "{got:#?}");
    assert_eq!(
        got[0],
        "listen.http[0].tls.verify_mode: expected \"peer\", \"selfsigned_peer\" or \"none\", found \"sometimes\""
    );
    assert!(
        got[1].starts_with(
            "listen.http[0].tls.ciphers: unsupported cipher(s) RC4-MD5; rustls supports "
        ),
        "{}",
        got[1]
    );
    assert!(
        got[2].starts_with("listen.http[0].tls.versions: unsupported TLS version(s) tlsv1.1;"),
        "{}",
        got[2]
    );

    // Unusable key material is found by check-config, not at the first connection.
    let cases = [
        (
            "server-encrypted.key",
            "",
            "the key is encrypted; set tls.password",
        ),
        (
            "server-encrypted.key",
            "tls.password = \"wrong\"",
            "cannot decrypt the key (wrong tls.password",
        ),
        (
            "legacy-encrypted.key",
            "tls.password = \"secret\"",
            "legacy OpenSSL-encrypted key",
        ),
        ("client.key", "", "certificate and key do not match"),
        ("no-such.key", "", "cannot read keyfile file"),
    ];
    for (key, extra, expected) in cases {
        let got = errors(&format!(
            "{GENERAL}[[listen.http]]\nport = 1\ntls.verify_mode = \"none\"\ntls.certfile = \"{cert}\"\ntls.keyfile = \"{}\"\n{extra}\n",
            tls_fixture(key)
        ));
        assert_eq!(got.len(), 1, "{got:?}");
        assert!(
            got[0].starts_with("listen.http[0].tls: ") && got[0].contains(expected),
            "{key}: {}",
            got[0]
        );
    }

    // dhfile is accepted with a warning.
    let d = accepted(&format!(
        "{GENERAL}[[listen.http]]\nport = 1\ntls.verify_mode = \"none\"\ntls.certfile = \"{cert}\"\ntls.keyfile = \"{}\"\ntls.dhfile = \"dh.pem\"\ntls.versions = [\"tlsv1.2\", \"tlsv1.3\"]\ntls.ciphers = \"ECDHE-ECDSA-AES128-GCM-SHA256:TLS_AES_128_GCM_SHA256\"\n",
        tls_fixture("server.key")
    ));
    assert_eq!(d.warnings.len(), 1);
    assert_eq!(d.warnings[0].path, "listen.http[0].tls.dhfile");
}

#[test]
fn compiled_out_handler_says_which_feature() {
    let registry = [listener_core::compiled_out(
        "mod_bosh",
        &["mongoose_bosh_handler"],
        "handler-bosh",
    )];
    let root: toml::Table = toml::from_str(
        "[[listen.http]]\nport = 1\n[[listen.http.handlers.mongoose_bosh_handler]]\nhost = \"_\"\npath = \"/b\"\n",
    )
    .unwrap();
    let mut d = Diagnostics::default();
    listener_core::read_listen(&root, &registry, &mut d);
    assert_eq!(
        d.errors[0].to_string(),
        "listen.http[0].handlers.mongoose_bosh_handler: handler type mongoose_bosh_handler is not in this build; rebuild with feature handler-bosh"
    );
}

#[test]
fn documentation_examples_parse() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../config/examples");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        // Example 1 names its own certificate files; point them at the fixtures.
        let text = text
            .replace(
                "\"mycert.pem\"",
                &format!("\"{}\"", tls_fixture("server.pem")),
            )
            .replace(
                "\"mykey.pem\"",
                &format!("\"{}\"", tls_fixture("server-encrypted.key")),
            );
        let d = accepted(&text);
        assert!(d.warnings.is_empty(), "{}: {d}", path.display());
        seen += 1;
    }
    assert_eq!(
        seen, 7,
        "the seven examples of MongooseIM's listen-http documentation"
    );
    accepted(meerkat::DEFAULT_CONFIG);
}

#[test]
fn mongooseim_default_configs_are_accepted_with_warnings() {
    for version in ["6.5", "6.8"] {
        let text = std::fs::read_to_string(fixture(&format!(
            "mongooseim/mongooseim-{version}-default.toml"
        )))
        .unwrap();
        let text = text
            .replace("priv/ssl/fake_cert.pem", &tls_fixture("server.pem"))
            .replace("priv/ssl/fake_key.pem", &tls_fixture("server.key"));
        let d = accepted(&text);
        let paths: Vec<&str> = d.warnings.iter().map(|w| w.path.as_str()).collect();
        for expected in [
            "listen.c2s",
            "listen.s2s",
            "listen.component",
            "s2s",
            "internal_databases",
            "modules.mod_adhoc",
            "modules.mod_register",
            "services.service_mongoose_system_metrics",
        ] {
            assert!(
                paths.contains(&expected),
                "{version}: no warning for {expected}: {paths:?}"
            );
        }
        // [acl], [access] and [shaper] are applied, not warned about.
        for applied in ["acl", "access", "shaper"] {
            assert!(
                !paths.iter().any(|p| p.starts_with(applied)),
                "{version}: {applied} warned about: {paths:?}"
            );
        }
        let server = meerkat::load_config_str(&text).unwrap().server;
        let alice = meerkat_core::access::Subject::domain("localhost");
        assert_eq!(
            server
                .access
                .evaluate("max_user_sessions", alice, "localhost", &|_| true),
            meerkat_core::access::AccessValue::Int(10)
        );
        // One warning per thing, each naming it.
        let mut unique = paths.clone();
        unique.dedup();
        assert_eq!(unique.len(), paths.len());
    }
}
