//! The dependency rules of ARCHITECTURE.md, checked against the crates' manifests so that
//! breaking one fails a test instead of slowly eroding the design.

use std::path::{Path, PathBuf};

fn crates_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../crates")
}

/// Names under `[dependencies]` (not dev- or build-dependencies) of `crates/<dir>`.
fn dependencies(dir: &str) -> Vec<String> {
    let path = crates_dir().join(dir).join("Cargo.toml");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let manifest: toml::Table =
        toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    manifest
        .get("dependencies")
        .and_then(toml::Value::as_table)
        .map(|t| t.keys().cloned().collect())
        .unwrap_or_default()
}

fn handler_crates() -> Vec<String> {
    let mut dirs: Vec<String> = std::fs::read_dir(crates_dir())
        .expect("crates/")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|name| name.starts_with("handler-"))
        .collect();
    dirs.sort();
    dirs
}

#[test]
fn handlers_depend_on_neither_each_other_nor_storage() {
    let handlers = handler_crates();
    assert!(handlers.len() >= 6, "{handlers:?}");
    for h in &handlers {
        for dep in dependencies(h) {
            assert!(
                !dep.starts_with("handler-") && dep != "meerkat-storage",
                "crates/{h} depends on {dep}"
            );
        }
    }
}

#[test]
fn every_handler_crate_is_a_feature_of_the_binary() {
    let text = include_str!("../Cargo.toml");
    let manifest: toml::Table = toml::from_str(text).expect("bin/meerkat/Cargo.toml");
    let features = manifest["features"].as_table().expect("[features]");
    for h in handler_crates() {
        let dep = toml::Value::String(format!("dep:{h}"));
        assert!(
            features
                .get(&h)
                .and_then(toml::Value::as_array)
                .is_some_and(|f| f.contains(&dep)),
            "bin/meerkat has no feature {h} = [\"dep:{h}\"]"
        );
    }
}

#[test]
fn core_knows_no_http() {
    for dep in dependencies("core") {
        assert!(
            !dep.starts_with("actix")
                && !dep.starts_with("handler-")
                && ![
                    "listener-core",
                    "meerkat-storage",
                    "hyper",
                    "http",
                    "reqwest"
                ]
                .contains(&dep.as_str()),
            "crates/core depends on {dep}"
        );
    }
}

#[test]
fn xmpp_does_no_io() {
    for dep in dependencies("xmpp") {
        assert!(
            !dep.starts_with("actix") && !["tokio", "sqlx", "meerkat-core"].contains(&dep.as_str()),
            "crates/xmpp depends on {dep}"
        );
    }
}

#[test]
fn only_binaries_choose_storage() {
    let mut libraries = vec![
        "core".to_owned(),
        "xmpp".to_owned(),
        "listener-core".to_owned(),
    ];
    libraries.extend(handler_crates());
    for lib in libraries {
        assert!(
            !dependencies(&lib).iter().any(|d| d == "meerkat-storage"),
            "crates/{lib} depends on meerkat-storage"
        );
    }
}

#[test]
fn ci_and_justfile_check_every_handler_feature_alone() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let ci = std::fs::read_to_string(root.join(".ci/run")).expect(".ci/run");
    let justfile = std::fs::read_to_string(root.join("justfile")).expect("justfile");
    for h in handler_crates() {
        let ci_lists_it = ci.lines().any(|l| {
            l.starts_with("for feature in ")
                && l.split_whitespace().any(|w| w.trim_end_matches(';') == h)
        });
        assert!(ci_lists_it, ".ci/run does not check feature {h} alone");
        assert!(
            justfile.contains(&format!("--no-default-features --features {h} ")),
            "the justfile's check-features does not check {h}"
        );
    }
}
