//! meerkat on PostgreSQL, whatever `MEERKAT_TEST_STORE` says: a database MongooseIM
//! created serves its users unchanged, the database can die and come back under a running
//! server, and start-up refuses what it cannot use with a clear error.

use std::path::Path;
use std::time::{Duration, Instant};

use listener_core::StartOptions;
use meerkat_storage::Migrations;
use meerkat_test_postgres::PgServer;
use meerkat_xmpp::ns;

use crate::common::{self, LOCALHOST_HTTP, TestServer, WS_HANDLER};
use crate::ws_client::WsClient;

fn fixture_sql(name: &str) -> String {
    std::fs::read_to_string(common::fixture(&format!("postgres/{name}"))).unwrap()
}

/// The modules whose data the tests look at.
const MODULES: &str =
    "[modules.mod_roster]\n[modules.mod_offline]\n[modules.mod_vcard]\n[modules.mod_ping]\n";

/// A WebSocket server with [`MODULES`] on `database` of `pg`, its schema migrated as
/// `meerkat db migrate` would.
async fn server_on(pg: &PgServer, database: &str) -> TestServer {
    let config = format!(
        "{LOCALHOST_HTTP}{WS_HANDLER}{MODULES}\n{}",
        pg.pool_toml(database, 4)
    );
    TestServer::start(&config).await
}

/// The compatibility check: MongooseIM's schema and rows, written as MongooseIM
/// writes them, then meerkat on that database. alice logs in with her MongooseIM SCRAM
/// password, gets her roster (name, groups, subscription, pending ask) and the offline
/// message MongooseIM stored; bob logs in with his plain-text password; what meerkat
/// writes back (a roster change) is in MongooseIM's format.
#[actix_rt::test]
async fn a_mongooseim_database_serves_its_users() {
    let pg = PgServer::shared().unwrap_or_else(|e| panic!("{e}"));
    let db = pg.fresh_database().unwrap();
    pg.psql(&db, &fixture_sql("mongooseim-schema.sql")).unwrap();
    pg.psql(&db, &fixture_sql("mongooseim-data.sql")).unwrap();

    // Without meerkat's tables the server refuses to start and says what to do.
    let config = format!("{LOCALHOST_HTTP}{WS_HANDLER}\n{}", pg.pool_toml(&db, 4));
    let loaded = meerkat::load_config_str(&config).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let err = meerkat::start(loaded, dir.path(), Migrations::Require, &start_options())
        .await
        .err()
        .expect("started on a database without meerkat's tables");
    assert!(
        format!("{err:#}").contains("run `meerkat db migrate` once"),
        "{err:#}"
    );

    let server = server_on(pg, &db).await;
    let mut alice = WsClient::login(
        &server.ws_url(0),
        "alice",
        "localhost",
        "padthai",
        Some("web"),
    )
    .await;
    alice
        .send("<iq xmlns='jabber:client' type='get' id='r1'><query xmlns='jabber:iq:roster'/></iq>")
        .await;
    let roster = alice.recv_until(|e| e.attr("id") == Some("r1")).await;
    let query = roster.get_child("query", ns::ROSTER).expect("roster query");
    let items: Vec<_> = query.children().collect();
    assert_eq!(items.len(), 2, "{roster}");
    let bob = items
        .iter()
        .find(|i| i.attr("jid") == Some("bob@localhost"))
        .unwrap();
    assert_eq!(bob.attr("name"), Some("Bobby"));
    assert_eq!(bob.attr("subscription"), Some("both"));
    let groups: Vec<String> = bob.children().map(|g| g.text()).collect();
    assert_eq!(groups, ["Friends", "Work"]);
    let carol = items
        .iter()
        .find(|i| i.attr("jid") == Some("carol@localhost"))
        .unwrap();
    assert_eq!(carol.attr("subscription"), Some("none"));
    assert_eq!(carol.attr("ask"), Some("subscribe"), "{carol}");

    // Initial presence brings the message MongooseIM held, with its original time.
    alice.send("<presence xmlns='jabber:client'/>").await;
    let msg = alice.recv_until(|e| e.name() == "message").await;
    assert_eq!(
        msg.get_child("body", ns::CLIENT).unwrap().text(),
        "sent while you were away"
    );
    assert_eq!(msg.attr("from"), Some("bob@localhost/phone"));
    let delay = msg.get_child("delay", ns::DELAY).expect("delay stamp");
    assert_eq!(
        delay.attr("stamp"),
        Some("2025-12-05T02:00:00.000000Z"),
        "{msg}"
    );
    assert_eq!(
        pg.psql(&db, "SELECT count(*) FROM offline_message")
            .unwrap(),
        "0",
        "delivered messages leave MongooseIM's table"
    );

    // vCard from MongooseIM's table.
    alice
        .send("<iq xmlns='jabber:client' type='get' id='v1'><vCard xmlns='vcard-temp'/></iq>")
        .await;
    let vcard = alice.recv_until(|e| e.attr("id") == Some("v1")).await;
    assert!(vcard.to_string().contains("Alice Liddell"), "{vcard}");

    // A plain-text MongooseIM password logs in too.
    let bob = WsClient::login(
        &server.ws_url(0),
        "bob",
        "localhost",
        "bob-plain-pw",
        Some("phone"),
    )
    .await;

    // meerkat's writes are MongooseIM's format: a new group, bumped version.
    alice
        .send("<iq xmlns='jabber:client' type='set' id='r2'><query xmlns='jabber:iq:roster'>\
               <item jid='carol@localhost' name='Carol'><group>Book club</group></item></query></iq>")
        .await;
    alice.recv_until(|e| e.attr("id") == Some("r2")).await;
    assert_eq!(
        pg.psql(
            &db,
            "SELECT nick || ':' || subscription || ask || ':' || grp FROM rosterusers \
             JOIN rostergroups USING (server, username, jid) WHERE jid = 'carol@localhost'"
        )
        .unwrap(),
        "Carol:NO:Book club"
    );
    assert_eq!(
        pg.psql(
            &db,
            "SELECT version FROM roster_version WHERE username = 'alice'"
        )
        .unwrap(),
        "1",
        "an opaque MongooseIM version restarts the count"
    );
    alice.close().await;
    bob.close().await;
}

fn start_options() -> StartOptions {
    StartOptions {
        handle_signals: false,
        shutdown_timeout: Duration::from_secs(1),
        max_workers: 2,
        ..StartOptions::default()
    }
}

/// Start-up errors name the database and what is wrong, within seconds.
#[actix_rt::test]
async fn unusable_databases_are_refused_at_start() {
    let pg = PgServer::shared().unwrap_or_else(|e| panic!("{e}"));
    let dir = tempfile::tempdir().unwrap();
    let start = |config: String, dir: &Path| {
        let loaded = meerkat::load_config_str(&config).unwrap();
        let dir = dir.to_path_buf();
        async move {
            meerkat::start(loaded, &dir, Migrations::Require, &start_options())
                .await
                .err()
                .map(|e| format!("{e:#}"))
                .expect("started")
        }
    };

    // Nothing listens there.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let pool = pg
        .pool_toml("nowhere", 2)
        .replace(&format!("port = {}", pg.port()), &format!("port = {port}"));
    let began = Instant::now();
    let err = start(format!("{LOCALHOST_HTTP}\n{pool}"), dir.path()).await;
    assert!(
        began.elapsed() < Duration::from_secs(15),
        "took {:?}",
        began.elapsed()
    );
    assert!(
        err.contains(&format!(
            "cannot connect to PostgreSQL at 127.0.0.1:{port}/nowhere"
        )),
        "{err}"
    );

    // A database that does not exist.
    let err = start(
        format!("{LOCALHOST_HTTP}\n{}", pg.pool_toml("no_such_db", 2)),
        dir.path(),
    )
    .await;
    assert!(err.contains("no_such_db"), "{err}");
    assert!(err.contains("does not exist"), "{err}");

    // An empty database: no schema until asked.
    let db = pg.fresh_database().unwrap();
    let err = start(
        format!("{LOCALHOST_HTTP}\n{}", pg.pool_toml(&db, 2)),
        dir.path(),
    )
    .await;
    assert!(
        err.contains("has no schema: run `meerkat db migrate`"),
        "{err}"
    );
    assert_eq!(
        pg.psql(
            &db,
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
        )
        .unwrap(),
        "0"
    );
}

/// The database is killed under a running server and started again: what needs it fails
/// meanwhile (a message to an offline user bounces to its sender: it was never
/// acknowledged), everything else keeps working, and once the database is back the server
/// uses it again without a restart; nothing acknowledged is lost.
#[actix_rt::test]
async fn the_server_rides_out_a_database_restart() {
    let pg = PgServer::start(true).unwrap_or_else(|e| panic!("{e}"));
    let db = pg.fresh_database().unwrap();
    let server = server_on(&pg, &db).await;
    server.register_users(&["alice", "bob"]).await;
    let mut alice = WsClient::login(
        &server.ws_url(0),
        "alice",
        "localhost",
        "alice-pw",
        Some("a"),
    )
    .await;
    alice.available().await;
    let to_bob = |id: &str| {
        format!(
            "<message xmlns='jabber:client' to='bob@localhost' id='{id}' type='chat'><body>{id}</body></message>"
        )
    };
    alice.send(&to_bob("before")).await;
    let stored = Instant::now() + Duration::from_secs(5);
    while pg
        .psql(&db, "SELECT count(*) FROM offline_message")
        .unwrap()
        != "1"
    {
        assert!(Instant::now() < stored, "the first message was not stored");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    pg.kill().unwrap();
    // Stored while the database was there: not lost. Sent while it is gone: bounced.
    alice.send(&to_bob("during")).await;
    // The bounce comes when the store gives up on the database (at most the pool's 5 s
    // wait for a connection; at once when the monitor has already seen it gone).
    let bounce = alice
        .silent_for(Duration::from_secs(15))
        .await
        .expect("the message to an offline user was neither stored nor bounced");
    assert_eq!(bounce.attr("type"), Some("error"), "{bounce}");
    assert_eq!(bounce.attr("id"), Some("during"));
    // What does not need the database still works.
    alice
        .send("<iq xmlns='jabber:client' type='get' id='p1' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>")
        .await;
    let pong = alice.recv_until(|e| e.attr("id") == Some("p1")).await;
    assert_eq!(pong.attr("type"), Some("result"), "{pong}");

    pg.restart().unwrap();
    // Back within the pool's reconnection (no server restart): retry until stored.
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut n = 0;
    loop {
        n += 1;
        let id = format!("after{n}");
        alice.send(&to_bob(&id)).await;
        match alice.silent_for(Duration::from_millis(1500)).await {
            None => break,
            Some(e) if e.attr("type") == Some("error") && e.attr("id") == Some(id.as_str()) => {
                assert!(Instant::now() < deadline, "the database did not come back");
            }
            Some(e) => panic!("unexpected {e}"),
        }
    }

    // Once it is back, nothing fails on a connection the restart broke: the pool's
    // connections from before are replaced, not tried.
    let mut acknowledged = vec!["before".to_owned(), format!("after{n}")];
    for k in 0..12 {
        let id = format!("then{k}");
        alice.send(&to_bob(&id)).await;
        acknowledged.push(id);
    }
    assert_eq!(alice.silent_for(Duration::from_millis(1500)).await, None);

    let mut bob = WsClient::login(&server.ws_url(0), "bob", "localhost", "bob-pw", Some("b")).await;
    bob.send("<presence xmlns='jabber:client'/>").await;
    let mut bodies = Vec::new();
    while let Some(e) = bob.silent_for(Duration::from_millis(800)).await {
        if e.name() == "message" {
            bodies.push(e.get_child("body", ns::CLIENT).unwrap().text());
        }
    }
    assert_eq!(bodies, acknowledged, "exactly what was acknowledged");
    alice.close().await;
    bob.close().await;
}

/// The suite's switch works: with `MEERKAT_TEST_STORE=postgres` every server of the suite
/// runs on PostgreSQL, otherwise on SQLite.
#[actix_rt::test]
async fn the_suite_runs_on_the_store_it_says() {
    let server = TestServer::start(&format!("{LOCALHOST_HTTP}{WS_HANDLER}")).await;
    let expected = if common::on_postgres() {
        "postgres"
    } else {
        "sqlite"
    };
    assert_eq!(server.meerkat.store.kind(), expected);
}
