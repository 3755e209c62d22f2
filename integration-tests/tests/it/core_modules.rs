//! The module system seen from outside: a tiny test-only module, registered next to the
//! built-in ones, declares an IQ handler, a `user_send` hook, a session hook, a subdomain
//! service with MongooseIM's `host` syntax, a disco feature and a worker, and a real
//! server runs it. Also the config diagnostics a module gets for free.

use crate::core_client::Harness;
use meerkat_core::config::{Diagnostics, Section, ServerConfig};
use meerkat_core::module::{
    Flow, Hook, IqRequest, IqScope, Module, ModuleContext, ModuleDescriptor, ModuleSpec, Registrar,
    StopSignal, descriptor,
};
use meerkat_core::{BoxFuture, Server};
use meerkat_xmpp::stanza::cond;
use meerkat_xmpp::{Element, FullJid, Jid, ns};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

const NS_TEST: &str = "urn:meerkat:test:module";

/// Counts what it saw, censors a word, drops a phrase, and echoes messages sent to its
/// service domain.
struct EchoModule {
    host: String,
    word: String,
    seen: AtomicU64,
    opened: AtomicU64,
    removed: std::sync::Mutex<Vec<String>>,
    worker_stopped: Arc<AtomicBool>,
}

#[derive(Debug)]
struct EchoConfig {
    host: String,
    word: String,
}

impl ModuleSpec for EchoModule {
    const NAME: &'static str = "mod_test_echo";
    const IGNORED_OPTIONS: &'static [&'static str] = &["iqdisc"];
    type Config = EchoConfig;
    fn read_config(
        s: &mut Section<'_>,
        diag: &mut meerkat_core::config::Diagnostics,
    ) -> EchoConfig {
        EchoConfig {
            host: s.get_or("host", "echo.@HOST@".to_owned(), diag),
            word: s.get_or("word", "secret".to_owned(), diag),
        }
    }
    fn build(config: &EchoConfig, _cx: &ModuleContext) -> Self {
        EchoModule {
            host: config.host.clone(),
            word: config.word.clone(),
            seen: AtomicU64::new(0),
            opened: AtomicU64::new(0),
            removed: Default::default(),
            worker_stopped: Arc::new(AtomicBool::new(false)),
        }
    }
}

impl Module for EchoModule {
    fn register(&self, r: &mut Registrar) {
        r.iq(IqScope::Server, NS_TEST, "count");
        r.hook(Hook::UserSend, 10);
        r.hook(Hook::SessionOpened, 10);
        r.hook(Hook::RemoveUser, 10);
        r.disco_feature(IqScope::Server, NS_TEST);
        r.service(&self.host);
    }

    fn handle_iq<'a>(&'a self, req: IqRequest<'a>) -> BoxFuture<'a, Option<Element>> {
        Box::pin(async move {
            if req.set {
                return Some(req.error(cond::NOT_ALLOWED));
            }
            Some(
                req.result().with_child(
                    Element::new("count", NS_TEST)
                        .with_attr("seen", self.seen.load(Ordering::SeqCst).to_string())
                        .with_attr("opened", self.opened.load(Ordering::SeqCst).to_string()),
                ),
            )
        })
    }

    fn user_send(&self, _server: &Server, _from: &FullJid, el: &mut Element) -> Flow {
        self.seen.fetch_add(1, Ordering::SeqCst);
        let Some(body) = el.get_child("body", ns::CLIENT).map(|b| b.text()) else {
            return Flow::Continue;
        };
        if body == "drop me" {
            return Flow::Stop;
        }
        if body.contains(self.word.as_str()) {
            let censored = body.replace(self.word.as_str(), "[redacted]");
            el.remove_child("body", ns::CLIENT);
            el.append_child(Element::new("body", ns::CLIENT).with_text(censored));
        }
        Flow::Continue
    }

    fn session_opened<'a>(&'a self, _server: &'a Server, _jid: &'a FullJid) -> BoxFuture<'a, ()> {
        self.opened.fetch_add(1, Ordering::SeqCst);
        Box::pin(async {})
    }

    fn remove_user<'a>(
        &'a self,
        _server: &'a Server,
        user: &'a meerkat_xmpp::BareJid,
    ) -> BoxFuture<'a, Result<(), meerkat_core::store::StoreError>> {
        self.removed.lock().unwrap().push(user.to_string());
        Box::pin(async { Ok(()) })
    }

    fn route_service<'a>(
        &'a self,
        server: &'a Server,
        from: Jid,
        to: Jid,
        el: Element,
    ) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            if el.name() != "message" {
                return server.bounce(&el, cond::FEATURE_NOT_IMPLEMENTED).await;
            }
            let body = el
                .get_child("body", ns::CLIENT)
                .map(|b| b.text())
                .unwrap_or_default();
            let reply = Element::new("message", ns::CLIENT)
                .with_attr("type", "chat")
                .with_child(
                    Element::new("body", ns::CLIENT).with_text(format!("echo from {to}: {body}")),
                );
            server.route(to, from, reply).await;
        })
    }

    fn worker(
        self: Arc<Self>,
        _server: Server,
        mut stop: StopSignal,
    ) -> Option<BoxFuture<'static, ()>> {
        let flag = self.worker_stopped.clone();
        Some(Box::pin(async move {
            let _ = stop.wait_for(|s| *s).await;
            flag.store(true, Ordering::SeqCst);
        }))
    }
}

fn registry() -> Vec<ModuleDescriptor> {
    let mut r = meerkat_core::modules::BUILTIN.to_vec();
    r.push(descriptor::<EchoModule>());
    r
}

fn config_with(module_table: &str) -> String {
    format!(
        "{}\n[modules.mod_test_echo]\n{module_table}\n",
        crate::core_client::FULL_CONFIG
    )
}

async fn harness() -> Harness {
    let h = Harness::with_modules(&config_with(""), &registry()).await;
    for u in ["alice", "bob"] {
        h.user(u, "pw").await;
    }
    h
}

#[tokio::test]
async fn core_module_iq_handler_answers_and_sees_hooks() {
    let h = harness().await;
    let mut a = h.online("alice", "r").await;
    let reply = a
        .iq(&format!(
            "<iq to='localhost' type='get'><count xmlns='{NS_TEST}'/></iq>"
        ))
        .await;
    assert_eq!(reply.attr("type"), Some("result"), "{reply}");
    let count = reply.get_child("count", NS_TEST).expect("count payload");
    // The session hook ran once for alice's bind; the send hook saw her presence and
    // this IQ.
    assert_eq!(count.attr("opened"), Some("1"));
    assert_eq!(count.attr("seen"), Some("2"));
    // A set is the module's to refuse.
    let reply = a
        .iq(&format!(
            "<iq to='localhost' type='set'><count xmlns='{NS_TEST}'/></iq>"
        ))
        .await;
    assert_eq!(reply.attr("type"), Some("error"));
    assert!(reply.to_xml().contains("not-allowed"), "{reply}");
    // Typed access and the name lookup agree.
    assert!(h.server.module::<EchoModule>().is_some());
    assert!(h.server.has_module("mod_test_echo"));
    assert!(!h.server.has_module("mod_muc_light"));
}

#[tokio::test]
async fn core_module_user_send_hook_rewrites_and_drops() {
    let h = harness().await;
    let mut a = h.online("alice", "r").await;
    let mut b = h.online("bob", "r").await;
    a.send("<message to='bob@localhost' type='chat'><body>my secret plan</body></message>")
        .await;
    let got = b.recv().await;
    assert_eq!(
        got.get_child("body", ns::CLIENT).map(|b| b.text()),
        Some("my [redacted] plan".to_owned())
    );
    a.send("<message to='bob@localhost' type='chat'><body>drop me</body></message>")
        .await;
    a.send("<message to='bob@localhost' type='chat'><body>after</body></message>")
        .await;
    let got = b.recv().await;
    assert_eq!(
        got.get_child("body", ns::CLIENT).map(|b| b.text()),
        Some("after".to_owned()),
        "the dropped message must not arrive"
    );
    b.expect_nothing().await;
    a.expect_nothing().await;
}

#[tokio::test]
async fn core_module_subdomain_service_is_routed_and_listed() {
    let h = harness().await;
    let mut a = h.online("alice", "r").await;
    a.send("<message to='echo.localhost' type='chat'><body>hi</body></message>")
        .await;
    let got = a.recv().await;
    assert_eq!(got.attr("from"), Some("echo.localhost"));
    assert_eq!(
        got.get_child("body", ns::CLIENT).map(|b| b.text()),
        Some("echo from echo.localhost: hi".to_owned())
    );
    // The pattern expands for every served host, and only for them.
    a.send("<message to='echo.example.org' type='chat'><body>hi</body></message>")
        .await;
    assert_eq!(a.recv().await.attr("from"), Some("echo.example.org"));
    a.send("<message to='echo.elsewhere.test' type='chat'><body>hi</body></message>")
        .await;
    let bounced = a.recv().await;
    assert_eq!(bounced.attr("type"), Some("error"));
    assert!(
        bounced.to_xml().contains("remote-server-not-found"),
        "{bounced}"
    );
    // disco#items of a served domain lists its services; disco#info has the feature.
    let items = a
        .iq("<iq to='localhost' type='get'><query xmlns='http://jabber.org/protocol/disco#items'/></iq>")
        .await;
    let q = items.get_child("query", ns::DISCO_ITEMS).expect("items");
    let jids: Vec<&str> = q.children().filter_map(|i| i.attr("jid")).collect();
    assert_eq!(jids, ["echo.localhost"]);
    let info = a
        .iq("<iq to='localhost' type='get'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>")
        .await;
    assert!(info.to_xml().contains(NS_TEST), "{info}");
}

#[tokio::test]
async fn core_module_fixed_host_and_worker_shutdown() {
    let h = Harness::with_modules(&config_with("host = \"Echo.Example.COM\""), &registry()).await;
    h.user("alice", "pw").await;
    let mut a = h.online("alice", "r").await;
    a.send("<message to='echo.example.com'><body>x</body></message>")
        .await;
    assert_eq!(a.recv().await.attr("from"), Some("echo.example.com"));
    // The worker runs until the server stops its modules.
    h.server.start_modules();
    let stopped = h
        .server
        .module::<EchoModule>()
        .expect("loaded")
        .worker_stopped
        .clone();
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert!(!stopped.load(Ordering::SeqCst));
    h.server.stop_modules(Duration::from_secs(5)).await;
    assert!(stopped.load(Ordering::SeqCst));
}

#[test]
fn module_options_get_toml_path_diagnostics() {
    let text = config_with("word = 3\niqdisc = \"one_queue\"\nbogus = 1");
    let root: toml::Table = text.parse().unwrap();
    let mut diag = Diagnostics::default();
    ServerConfig::read_with_modules(&root, &registry(), &mut diag);
    let errors: Vec<String> = diag.errors.iter().map(ToString::to_string).collect();
    assert_eq!(
        errors,
        [
            "modules.mod_test_echo.word: expected a string, found an integer",
            "modules.mod_test_echo.bogus: unknown option",
        ]
    );
    let warnings: Vec<String> = diag.warnings.iter().map(ToString::to_string).collect();
    assert!(
        warnings.contains(
            &"modules.mod_test_echo.iqdisc: MongooseIM option not implemented by meerkat; ignored"
                .to_owned()
        ),
        "{warnings:?}"
    );
    // Without the module in the registry, the same table is an unknown module.
    let mut diag = Diagnostics::default();
    ServerConfig::read(&root, &mut diag);
    assert!(
        diag.errors
            .iter()
            .any(|e| e.to_string() == "modules.mod_test_echo: unknown module"),
        "{diag:?}"
    );
}

#[tokio::test]
async fn core_module_remove_user_hook_runs_after_the_account_is_gone() {
    let h = harness().await;
    let bob = meerkat_xmpp::BareJid::new("bob@localhost").unwrap();
    h.server.remove_user(&bob).await.expect("removed");
    let m = h.server.module::<EchoModule>().expect("loaded");
    assert_eq!(*m.removed.lock().unwrap(), ["bob@localhost"]);
    assert!(!h.server.user_exists(&bob).await.unwrap());
    // Removing an account that does not exist runs no hook.
    assert!(h.server.remove_user(&bob).await.is_err());
    assert_eq!(m.removed.lock().unwrap().len(), 1);
}
