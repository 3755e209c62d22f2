//! The load generator works end to end: each scenario, at a tiny size, against the real
//! meerkat binary (the debug build `cargo test --workspace` makes), over loopback. Only
//! counts are checked (every session logged in, every message delivered once, every
//! request answered correctly), never timings: speed is measured by `meerkat-loadgen all`,
//! not asserted here.

use std::path::PathBuf;
use std::process::Command;

/// `target/<profile>/meerkat`, beside this test's own `deps/` directory.
fn meerkat_bin() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target/<profile>/deps/<test>");
    let bin = profile_dir.join("meerkat");
    assert!(
        bin.is_file(),
        "{} is missing: run the tests with `cargo test --workspace`, which builds it",
        bin.display()
    );
    bin
}

/// Runs `meerkat-loadgen <args>` unpinned against the debug server and returns the
/// `result` object of the JSON block it prints.
fn run(args: &[&str]) -> serde_json::Value {
    let out = Command::new(env!("CARGO_BIN_EXE_meerkat-loadgen"))
        .arg("--no-pin")
        .arg("--server-bin")
        .arg(meerkat_bin())
        .args(args)
        .output()
        .expect("start meerkat-loadgen");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "meerkat-loadgen {args:?} failed ({}):\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let json = stdout
        .split("```json\n")
        .nth(1)
        .and_then(|rest| rest.split("\n```").next())
        .unwrap_or_else(|| panic!("no JSON block in:\n{stdout}"));
    let mut v: serde_json::Value = serde_json::from_str(json).expect("valid JSON");
    assert!(v["machine"]["commit"].is_string(), "{v}");
    v["result"].take()
}

#[test]
fn idle_websocket_sessions_log_in_and_leave() {
    let r = run(&[
        "ws-idle",
        "--sessions",
        "12",
        "--cycles",
        "2",
        "--settle",
        "1",
    ]);
    let cycles = r["cycles"].as_array().expect("cycles");
    assert_eq!(cycles.len(), 2, "{r}");
    for c in cycles {
        assert_eq!(c["logged_in"], 12, "{r}");
        assert_eq!(c["failed"], 0, "{r}");
    }
    assert!(r["rss_per_session_kib"].is_number(), "{r}");
}

#[test]
fn idle_bosh_sessions_hold_one_request_each() {
    let r = run(&["bosh-idle", "--sessions", "10", "--settle", "1"]);
    assert_eq!(r["logged_in"], 10, "{r}");
    assert_eq!(r["failed"], 0, "{r}");
    assert_eq!(r["holders_ended"], 0, "{r}");
}

/// Timing options of the messaging scenarios: 1 s measured, 5 s at most to drain.
const SHORT_RUN: [&str; 6] = ["--duration", "1", "--warmup", "0.5", "--drain", "5"];

/// Every scheduled message arrives once, at the right user, over both transports.
#[test]
fn latency_runs_deliver_every_message_once() {
    for transport in ["ws", "bosh"] {
        let r = run(&[
            "latency",
            "--transport",
            transport,
            "--users",
            "9",
            "--rate",
            "40",
        ]
        .iter()
        .chain(&SHORT_RUN)
        .copied()
        .collect::<Vec<_>>());
        let step = &r["step"];
        assert!(step["scheduled"].as_u64().unwrap_or(0) > 0, "{r}");
        assert_eq!(step["delivered"], step["scheduled"], "{transport}: {r}");
        for zero in ["not_delivered", "duplicates", "misrouted", "bounced"] {
            assert_eq!(step[zero], 0, "{transport} {zero}: {r}");
        }
    }
}

#[test]
fn route_reports_the_highest_sustained_rate_it_tried() {
    let r = run(&["route", "--users", "9", "--rates", "30"]
        .iter()
        .chain(&SHORT_RUN)
        .copied()
        .collect::<Vec<_>>());
    let steps = r["steps"].as_array().expect("steps");
    assert_eq!(steps.len(), 1, "{r}");
    assert_eq!(steps[0]["delivered"], steps[0]["scheduled"], "{r}");
    assert_eq!(r["connection_errors"], 0, "{r}");
}

#[test]
fn logins_complete_with_scram_and_plain() {
    for mechanism in ["scram-sha256", "plain"] {
        let r = run(&[
            "login",
            "--mechanism",
            mechanism,
            "--logins",
            "16",
            "--users",
            "8",
            "--concurrency",
            "4",
        ]);
        assert_eq!(r["completed"], 16, "{mechanism}: {r}");
        assert_eq!(r["failed"], 0, "{mechanism}: {r}");
    }
}

/// Every HTTP answer is checked by the load generator (status, no GraphQL errors, the
/// expected value; REST: the list's length); a wrong one would count as failed. With 25
/// users, user1 has the 20 contacts the client REST probe lists.
#[test]
fn http_requests_get_correct_answers() {
    let r = run(&[
        "http",
        "--connections",
        "2",
        "--duration",
        "0.5",
        "--warmup",
        "0.2",
        "--rounds",
        "1",
        "--sessions",
        "25",
    ]);
    let endpoints = r["endpoints"].as_array().expect("endpoints");
    let keys: Vec<&str> = endpoints.iter().filter_map(|e| e["key"].as_str()).collect();
    assert_eq!(
        keys,
        [
            "hello",
            "graphql-check-auth",
            "graphql-count-sessions",
            "rest-admin-users",
            "rest-client-contacts"
        ],
        "{r}"
    );
    for e in endpoints {
        assert!(e["ok"].as_u64().unwrap_or(0) > 0, "{e}");
        assert_eq!(e["failed"], 0, "{e}");
    }
}

/// Messages to offline users on both of meerkat's stores: every one acknowledged by its
/// ping, and the checked recipients get exactly theirs afterwards (the scenario fails
/// otherwise). `--store postgres` starts a private PostgreSQL server.
#[test]
fn offline_messages_are_stored_on_both_stores() {
    for store in ["sqlite", "postgres"] {
        let r = run(&[
            "offline",
            "--store",
            store,
            "--senders",
            "3",
            "--messages",
            "8",
            "--recipients",
            "5",
        ]);
        assert_eq!(r["store"], store, "{r}");
        assert_eq!(r["senders"], 3, "{r}");
        // 24 messages over 5 recipients: the first three checked get 5 each.
        assert_eq!(r["checked_messages"], 15, "{r}");
    }
}
