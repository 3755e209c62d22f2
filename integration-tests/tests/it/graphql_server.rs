//! GraphQL `server`, `stat` and `metric` categories over real HTTP, and the categories
//! whose MongooseIM modules meerkat does not have (they answer `deps_not_loaded`).

use crate::common::http;
use crate::graphql::{ADMIN, DOMAIN, Gql, USER, WS, WS_EXTRA, codes};
use crate::ws_client::WsClient;
use meerkat_core::commands::server::{LogControl, LogLevel, StopControl};
use serde_json::{Value, json};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Listener 5: WebSocket; listener 6: Prometheus. BOSH as a service; probes every second.
const EXTRA: &str = "[[listen.http]]\nport = 0\nip_address = \"127.0.0.1\"\n[[listen.http.handlers.mongoose_prometheus_handler]]\nhost = \"_\"\npath = \"/metrics\"\n[services.service_bosh]\n[instrumentation]\nprobe_interval = 1\n[instrumentation.prometheus]\n";
const PROMETHEUS: usize = 6;

async fn start() -> (Gql, String) {
    let g = Gql::start(&format!("{WS_EXTRA}{EXTRA}")).await;
    let ws = g.server.ws_url(WS);
    (g, ws)
}

/// A log control that records what it is told.
#[derive(Default)]
struct Recorder(Mutex<Vec<LogLevel>>);

impl LogControl for Recorder {
    fn level(&self) -> LogLevel {
        self.0
            .lock()
            .unwrap()
            .last()
            .copied()
            .unwrap_or(LogLevel::Notice)
    }
    fn set_level(&self, level: LogLevel) -> Result<(), String> {
        self.0.lock().unwrap().push(level);
        Ok(())
    }
}

#[derive(Default)]
struct StopCounter(AtomicUsize);

impl StopControl for StopCounter {
    fn request_stop(&self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

fn error_of(body: &Value) -> (&str, &str) {
    let e = &body["errors"][0];
    (
        e["extensions"]["code"].as_str().unwrap_or(""),
        e["message"].as_str().unwrap_or(""),
    )
}

#[actix_rt::test]
async fn server_status_cookie_host_types_and_global_info() {
    let (g, _) = start().await;
    let b = g
        .admin(
            "{ server { status { statusCode message version commitHash } getCookie } }",
            json!({}),
        )
        .await;
    let s = &b["data"]["server"]["status"];
    assert_eq!(s["statusCode"], "RUNNING", "{b}");
    assert_eq!(s["version"], meerkat_core::commands::server::VERSION);
    assert!(s["commitHash"].is_string());
    let node = meerkat_core::commands::server::node_name();
    assert!(
        s["message"]
            .as_str()
            .unwrap()
            .starts_with(&format!("The node {node} is started.")),
        "{s}"
    );
    assert_eq!(b["data"]["server"]["getCookie"], "nocookie");

    let b = g
        .admin(
            "{ server { hostTypes { name authMethods modules { name options { key value } } } globalInfo { services { name } internalDatabases } } }",
            json!({}),
        )
        .await;
    let hts = b["data"]["server"]["hostTypes"].as_array().unwrap();
    let names: Vec<&str> = hts.iter().map(|h| h["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["localhost", "other.test"], "{b}");
    let ht = &hts[0];
    assert_eq!(ht["authMethods"], json!(["rdbms"]));
    let modules = ht["modules"].as_array().unwrap();
    let module_names: Vec<&str> = modules
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    let mut sorted = module_names.clone();
    sorted.sort_unstable();
    assert_eq!(module_names, sorted, "modules are sorted");
    for m in modules {
        let expected = match m["name"].as_str().unwrap() {
            "mod_roster" | "mod_offline" | "mod_vcard" | "mod_private" | "mod_last" => {
                json!([{"key": "backend", "value": "rdbms"}])
            }
            _ => json!([]),
        };
        assert_eq!(m["options"], expected, "{m}");
    }
    assert!(module_names.contains(&"mod_roster") && module_names.contains(&"mod_presence"));
    assert_eq!(
        b["data"]["server"]["globalInfo"],
        json!({"services": [{"name": "service_bosh"}], "internalDatabases": []})
    );
    g.server.stop().await;
}

#[actix_rt::test]
async fn log_level_is_read_and_changed_through_the_control() {
    let (g, _) = start().await;
    let get = "{ server { getLoglevel } }";
    let set = "mutation($l: LogLevel!) { server { setLoglevel(level: $l) } }";
    // No control installed (an embedded server): the configured level; no change.
    let b = g.admin(get, json!({})).await;
    assert_eq!(b["data"]["server"]["getLoglevel"], "WARNING", "{b}");
    let b = g.admin(set, json!({"l": "DEBUG"})).await;
    assert_eq!(error_of(&b).0, "invalid_level", "{b}");
    assert_eq!(b["errors"][0]["extensions"]["level"], "debug");
    // With a control, every MongooseIM level goes through and reads back.
    let rec = Arc::new(Recorder::default());
    assert!(g.server.meerkat.server.set_log_control(rec.clone()));
    for level in [
        "NONE",
        "EMERGENCY",
        "ALERT",
        "CRITICAL",
        "ERROR",
        "WARNING",
        "NOTICE",
        "INFO",
        "DEBUG",
        "ALL",
    ] {
        let b = g.admin(set, json!({"l": level})).await;
        assert_eq!(
            b["data"]["server"]["setLoglevel"], "Log level successfully set.",
            "{b}"
        );
        let b = g.admin(get, json!({})).await;
        assert_eq!(b["data"]["server"]["getLoglevel"], level);
    }
    assert_eq!(rec.0.lock().unwrap().len(), 10);
    // An unknown level is an input error.
    let (s, b) = g
        .post(ADMIN, Some(("admin", "secret")), set, json!({"l": "LOUD"}))
        .await;
    assert_eq!(s, 400, "{b}");
    g.server.stop().await;
}

#[actix_rt::test]
async fn cluster_operations_restart_and_stop() {
    let (g, _) = start().await;
    let node = meerkat_core::commands::server::node_name();
    for (op, code) in [
        ("joinCluster(node: \"mongooseim@other\")", "error"),
        ("leaveCluster", "not_in_cluster"),
        (
            "removeFromCluster(node: \"mongooseim@other\")",
            "not_in_cluster",
        ),
        ("removeNode(node: \"mongooseim@other\")", "not_in_cluster"),
        ("restart", "not_supported"),
        ("stop", "not_supported"),
    ] {
        let b = g
            .admin(&format!("mutation {{ server {{ {op} }} }}"), json!({}))
            .await;
        assert_eq!(codes(&b), [code], "{op}: {b}");
        let name = op.split('(').next().unwrap();
        assert_eq!(b["data"]["server"][name], Value::Null, "{b}");
    }
    let b = g
        .admin("mutation { server { leaveCluster } }", json!({}))
        .await;
    assert!(error_of(&b).1.contains(node), "{b}");
    // With a stop control, stop is scheduled and requested after a short delay.
    let stop = Arc::new(StopCounter::default());
    assert!(g.server.meerkat.server.set_stop_control(stop.clone()));
    let b = g.admin("mutation { server { stop } }", json!({})).await;
    assert_eq!(b["data"]["server"]["stop"], "Stop scheduled", "{b}");
    assert_eq!(stop.0.load(Ordering::SeqCst), 0, "not at once");
    tokio::time::sleep(Duration::from_millis(900)).await;
    assert_eq!(stop.0.load(Ordering::SeqCst), 1);
    g.server.stop().await;
}

#[actix_rt::test]
async fn global_and_domain_stats() {
    let (g, ws) = start().await;
    g.user("alice", "alice-pw").await;
    g.user("bob", "bob-pw").await;
    g.server.register("carol@other.test", "pw").await;
    let q = "query($d: DomainName!) { stat { globalStats { uptimeSeconds registeredUsers onlineUsersNode onlineUsers incomingS2S outgoingS2S } domainStats(domain: $d) { registeredUsers onlineUsers } } }";
    let b = g.admin(q, json!({"d": DOMAIN})).await;
    let s = &b["data"]["stat"];
    assert_eq!(s["globalStats"]["registeredUsers"], 3, "{b}");
    assert_eq!(s["globalStats"]["onlineUsers"], 0);
    assert_eq!(s["globalStats"]["incomingS2S"], 0);
    assert_eq!(s["globalStats"]["outgoingS2S"], 0);
    assert!(s["globalStats"]["uptimeSeconds"].as_i64().unwrap() < 60);
    assert_eq!(
        s["domainStats"],
        json!({"registeredUsers": 2, "onlineUsers": 0})
    );
    // Two sessions of alice and one of bob: sessions are counted, as in MongooseIM.
    let a1 = WsClient::login(&ws, "alice", DOMAIN, "alice-pw", Some("one")).await;
    let a2 = WsClient::login(&ws, "alice", DOMAIN, "alice-pw", Some("two")).await;
    let b1 = WsClient::login(&ws, "bob", DOMAIN, "bob-pw", None).await;
    let b = g.admin(q, json!({"d": DOMAIN})).await;
    let s = &b["data"]["stat"];
    assert_eq!(s["globalStats"]["onlineUsers"], 3, "{b}");
    assert_eq!(s["globalStats"]["onlineUsersNode"], 3);
    assert_eq!(
        s["domainStats"],
        json!({"registeredUsers": 2, "onlineUsers": 3})
    );
    let b = g.admin(q, json!({"d": "other.test"})).await;
    assert_eq!(
        b["data"]["stat"]["domainStats"],
        json!({"registeredUsers": 1, "onlineUsers": 0})
    );
    // A domain that is not served has nothing (MongooseIM answers zeros too).
    let b = g.admin(q, json!({"d": "nowhere.test"})).await;
    assert_eq!(
        b["data"]["stat"]["domainStats"],
        json!({"registeredUsers": 0, "onlineUsers": 0})
    );
    a1.close().await;
    a2.close().await;
    b1.close().await;
    g.server.stop().await;
}

/// `sm_session_logins{host_type="localhost"} N` from the Prometheus text.
fn prometheus_value(text: &str, series: &str) -> Option<u64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.trim().parse::<f64>().ok())
        .map(|v| v as u64)
}

#[actix_rt::test]
async fn metrics_read_the_registry_prometheus_renders() {
    let (g, ws) = start().await;
    g.user("alice", "alice-pw").await;
    let mut alice = WsClient::login(&ws, "alice", DOMAIN, "alice-pw", None).await;
    alice.available().await;
    let b = g
        .admin(
            "{ metric { getMetrics { __typename ... on SpiralMetric { name type one count } ... on CounterMetric { name type value ms_since_reset } ... on HistogramMetric { name type n mean min max median p50 p75 p90 p95 p99 p999 } } } }",
            json!({}),
        )
        .await;
    let all = b["data"]["metric"]["getMetrics"].as_array().unwrap();
    let by_name = |n: &[&str]| {
        all.iter()
            .find(|m| m["name"] == json!(n))
            .unwrap_or_else(|| panic!("{n:?} missing"))
            .clone()
    };
    // Global metrics come first.
    assert_eq!(all[0]["name"][0], "global", "{}", all[0]);
    let logins = by_name(&["localhost", "sm_session", "logins"]);
    assert_eq!(logins["__typename"], "SpiralMetric");
    assert_eq!(logins["type"], "spiral");
    assert_eq!(logins["count"], 1, "{logins}");
    // In the first minute every event is in the window.
    assert_eq!(logins["one"], 1);
    let sessions = by_name(&["localhost", "sm_session", "count"]);
    assert_eq!(
        (
            &sessions["__typename"],
            &sessions["type"],
            &sessions["value"]
        ),
        (&json!("CounterMetric"), &json!("counter"), &json!(1)),
        "{sessions}"
    );
    assert!(sessions["ms_since_reset"].as_i64().unwrap() >= 0);
    let sizes = by_name(&["localhost", "xmpp_element_in", "c2s", "byte_size"]);
    assert_eq!(sizes["__typename"], "HistogramMetric");
    let n = sizes["n"].as_i64().unwrap();
    assert!(n >= 1, "{sizes}");
    let v = |k: &str| sizes[k].as_i64().unwrap();
    assert!(
        v("min") <= v("median") && v("median") <= v("p99") && v("p99") <= v("max"),
        "{sizes}"
    );
    assert!(v("min") <= v("mean") && v("mean") <= v("max"), "{sizes}");
    by_name(&["global", "xmpp_element_in", "c2s", "count"]);
    by_name(&["global", "system_up_time", "seconds"]);

    // The same number as the Prometheus endpoint.
    let text = http()
        .get(g.server.url(PROMETHEUS, "/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        prometheus_value(&text, "sm_session_logins{host_type=\"localhost\"}"),
        Some(1),
        "{text}"
    );

    // Dicts: a pattern with `_`, key filters, empty and unknown names.
    let dicts = "query($n: [String], $k: [String]) { metric { getMetricsAsDicts(name: $n, keys: $k) { name dict { key value } } } }";
    let b = g
        .admin(
            dicts,
            json!({"n": ["_", "xmpp_element_in", "c2s", "stanza_count"]}),
        )
        .await;
    let list = b["data"]["metric"]["getMetricsAsDicts"].as_array().unwrap();
    assert_eq!(list.len(), 3, "global, localhost, other.test: {b}");
    for m in list {
        assert_eq!(
            m["name"].as_array().unwrap()[1..],
            json!(["xmpp_element_in", "c2s", "stanza_count"])
                .as_array()
                .unwrap()[..]
        );
        let keys: Vec<&str> = m["dict"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["key"].as_str().unwrap())
            .collect();
        assert_eq!(keys, ["count", "one"], "{m}");
    }
    let b = g
        .admin(
            dicts,
            json!({"n": ["localhost", "sm_session"], "k": ["one"]}),
        )
        .await;
    let list = b["data"]["metric"]["getMetricsAsDicts"].as_array().unwrap();
    let logins = list
        .iter()
        .find(|m| m["name"] == json!(["localhost", "sm_session", "logins"]))
        .unwrap();
    assert_eq!(logins["dict"], json!([{"key": "one", "value": 1}]));
    let count = list
        .iter()
        .find(|m| m["name"] == json!(["localhost", "sm_session", "count"]))
        .unwrap();
    assert_eq!(count["dict"], json!([]), "a counter has no `one`");
    let b = g
        .admin(
            dicts,
            json!({"n": ["localhost", "xmpp_element_in", "c2s", "byte_size"]}),
        )
        .await;
    let keys: Vec<&str> = b["data"]["metric"]["getMetricsAsDicts"][0]["dict"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["key"].as_str().unwrap())
        .collect();
    assert_eq!(
        keys,
        [
            "n", "mean", "min", "max", "median", "50", "75", "90", "95", "99", "999"
        ]
    );
    for n in [json!([""]), json!(["not_existing"])] {
        let b = g.admin(dicts, json!({"n": n})).await;
        assert_eq!(b["data"]["metric"]["getMetricsAsDicts"], json!([]), "{b}");
    }

    // Cluster: this node only; any other node is down.
    let cluster = "query($n: [String], $k: [String], $nodes: [String]) { metric { getClusterMetricsAsDicts(name: $n, keys: $k, nodes: $nodes) { node result { name dict { key value } } } } }";
    let node = meerkat_core::commands::server::node_name();
    let b = g
        .admin(cluster, json!({"n": ["localhost", "sm_session", "logins"]}))
        .await;
    assert_eq!(
        b["data"]["metric"]["getClusterMetricsAsDicts"],
        json!([{"node": node, "result": [{"name": ["localhost", "sm_session", "logins"], "dict": [{"key": "count", "value": 1}, {"key": "one", "value": 1}]}]}]),
        "{b}"
    );
    let b = g
        .admin(cluster, json!({"n": ["_"], "nodes": ["nonexistent"]}))
        .await;
    assert_eq!(
        b["data"]["metric"]["getClusterMetricsAsDicts"],
        json!([{"node": "nonexistent", "result": [{"name": ["error", "nodedown"], "dict": []}]}])
    );
    alice.close().await;
    g.server.stop().await;
}

/// One operation of every category meerkat does not have: `deps_not_loaded` with
/// MongooseIM's message and the missing module or internal database, data null.
#[actix_rt::test]
async fn missing_modules_answer_deps_not_loaded() {
    let (g, _) = start().await;
    g.user("alice", "alice-pw").await;
    let modules = |m: &[&str]| ("not_loaded_modules", json!(m));
    let dbs = |m: &[&str]| ("not_loaded_internal_databases", json!(m));
    let admin_cases = [
        (
            "{ muc { listRooms(mucDomain: \"muc.localhost\", from: \"alice@localhost\") { count } } }",
            "muc",
            "listRooms",
            modules(&["mod_muc"]),
        ),
        (
            "{ muc { getRoomMessages(room: \"r@muc.localhost\") { limit } } }",
            "muc",
            "getRoomMessages",
            modules(&["mod_mam_muc", "mod_muc"]),
        ),
        (
            "mutation { muc { createInstantRoom(room: \"r@muc.localhost\", owner: \"alice@localhost\", nick: \"al\") { jid } } }",
            "muc",
            "createInstantRoom",
            modules(&["mod_muc"]),
        ),
        (
            "{ muc_light { listRooms(mucDomain: \"muclight.localhost\") { count } } }",
            "muc_light",
            "listRooms",
            modules(&["mod_muc_light"]),
        ),
        (
            "mutation { muc_light { setBlockingList(user: \"alice@localhost\", items: [{entityType: USER, entity: \"bob@localhost\"}]) } }",
            "muc_light",
            "setBlockingList",
            modules(&["mod_muc_light"]),
        ),
        (
            "mutation { inbox { flushUserBin(user: \"alice@localhost\", days: 3) } }",
            "inbox",
            "flushUserBin",
            modules(&["mod_inbox"]),
        ),
        (
            "mutation { httpUpload { getUrl(domain: \"localhost\", filename: \"a.txt\", size: 10, timeout: 60) { putUrl } } }",
            "httpUpload",
            "getUrl",
            modules(&["mod_http_upload"]),
        ),
        (
            "mutation { externalServices { getServices(domain: \"localhost\", type: \"turn\") { host } } }",
            "externalServices",
            "getServices",
            modules(&["mod_extdisco"]),
        ),
        (
            "{ broadcast { getBroadcasts(domain: \"localhost\") { id } } }",
            "broadcast",
            "getBroadcasts",
            modules(&["mod_broadcast"]),
        ),
        (
            "mutation { broadcast { startBroadcast(name: \"n\", domain: \"localhost\", messageSubject: \"s\", messageBody: \"b\", senderJid: \"admin@localhost\", messageRate: 10, recipientGroup: ALL_USERS_IN_DOMAIN) { ids } } }",
            "broadcast",
            "startBroadcast",
            modules(&["mod_broadcast"]),
        ),
        (
            "{ blocklist { userCount(domain: \"localhost\") } }",
            "blocklist",
            "userCount",
            modules(&["mod_blocklist"]),
        ),
        (
            "mutation { blocklist { addUser(user: \"alice@localhost\", reason: \"spam\") } }",
            "blocklist",
            "addUser",
            modules(&["mod_blocklist"]),
        ),
        (
            "{ mnesia { systemInfo(keys: [\"db_nodes\"]) { ... on MnesiaStringResponse { key result } } } }",
            "mnesia",
            "systemInfo",
            dbs(&["mnesia"]),
        ),
        (
            "mutation { mnesia { backup(path: \"/tmp/x\") } }",
            "mnesia",
            "backup",
            dbs(&["mnesia"]),
        ),
        (
            "{ cets { systemInfo { joinedNodes } } }",
            "cets",
            "systemInfo",
            dbs(&["cets"]),
        ),
        (
            "{ cets { tableInfo { tableName } } }",
            "cets",
            "tableInfo",
            dbs(&["cets"]),
        ),
    ];
    for (q, cat, op, (key, list)) in admin_cases {
        let b = g.admin(q, json!({})).await;
        check_deps(&b, cat, op, key, &list);
    }
    let user = Some(("alice@localhost", "alice-pw"));
    let user_cases = [
        (
            "{ muc { listRooms(mucDomain: \"muc.localhost\") { count } } }",
            "muc",
            "listRooms",
            modules(&["mod_muc"]),
        ),
        (
            "mutation { muc { exitRoom(room: \"r@muc.localhost\", nick: \"al\", resource: \"res\") } }",
            "muc",
            "exitRoom",
            modules(&["mod_muc"]),
        ),
        (
            "{ muc_light { getBlockingList { entity } } }",
            "muc_light",
            "getBlockingList",
            modules(&["mod_muc_light"]),
        ),
        (
            "{ muc_light { getRoomMessages(room: \"r@muclight.localhost\") { limit } } }",
            "muc_light",
            "getRoomMessages",
            modules(&["mod_mam_muc", "mod_muc_light"]),
        ),
        (
            "mutation { inbox { flushBin } }",
            "inbox",
            "flushBin",
            modules(&["mod_inbox"]),
        ),
        (
            "mutation { httpUpload { getUrl(filename: \"a.txt\", size: 10, timeout: 60) { getUrl } } }",
            "httpUpload",
            "getUrl",
            modules(&["mod_http_upload"]),
        ),
    ];
    for (q, cat, op, (key, list)) in user_cases {
        let (s, b) = g.post(USER, user, q, json!({})).await;
        assert_eq!(s, 200, "{b}");
        check_deps(&b, cat, op, key, &list);
    }
    // Without credentials the protected categories are refused first.
    let (s, b) = g
        .post(USER, None, "mutation { inbox { flushBin } }", json!({}))
        .await;
    assert_eq!((s, codes(&b)), (401, vec!["no_permissions".to_owned()]));
    g.server.stop().await;
}

fn check_deps(b: &Value, cat: &str, op: &str, key: &str, list: &Value) {
    assert_eq!(codes(b), ["deps_not_loaded"], "{cat}.{op}: {b}");
    let e = &b["errors"][0];
    assert_eq!(e["extensions"][key], *list, "{cat}.{op}: {b}");
    let what = if key == "not_loaded_modules" {
        "modules"
    } else {
        "internal databases"
    };
    assert_eq!(
        e["message"],
        format!("Some of the required {what} are not loaded"),
        "{b}"
    );
    assert_eq!(e["path"], json!([cat, op]), "{b}");
    assert_eq!(b["data"][cat][op], Value::Null, "{b}");
}
