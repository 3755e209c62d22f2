//! The module contract, MongooseIM's model: an XMPP module (`[modules.mod_x]`) reads its
//! own options, is built once per server, and declares what it handles: IQ handlers by
//! namespace and element, hooks with an explicit order, disco and stream features, and
//! subdomain services. The core calls the module's methods where a declared hook runs;
//! a module with nothing declared is never called on the stanza path.
//!
//! A module is one type implementing [`Module`] (what the server calls) and
//! [`ModuleSpec`] (how it is configured and built), listed once in the registry
//! ([`crate::modules::BUILTIN`]) with [`descriptor`]. Other code reaches a loaded module by
//! type: `server.module::<Offline>()`.

use crate::Server;
use crate::config::{Diagnostics, Section};
use crate::router::BoxFuture;
use crate::store::{Store, StoreError};
use meerkat_xmpp::{BareJid, Element, FullJid, Jid};
use std::any::{Any, TypeId};
use std::fmt;
use std::sync::Arc;

/// What a module may declare (see [`Registrar`]) and the core then calls. Each method
/// is called only if the module declared it; the defaults do nothing.
pub trait Module: Any + Send + Sync {
    /// Declares the module's IQ handlers, hooks, features and services.
    fn register(&self, r: &mut Registrar);

    /// An IQ the module declared with [`Registrar::iq`] (to the server's domain, or to a
    /// user's bare JID). `None`: nothing to answer (the core answers nothing either).
    fn handle_iq<'a>(&'a self, req: IqRequest<'a>) -> BoxFuture<'a, Option<Element>> {
        Box::pin(async move { Some(req.error(meerkat_xmpp::stanza::cond::SERVICE_UNAVAILABLE)) })
    }

    /// An IQ a session sends about itself (no `to`, or its own bare JID), declared with
    /// [`Registrar::session_iq`]. Answered before routing.
    fn handle_session_iq<'a>(&'a self, req: SessionIq<'a>) -> BoxFuture<'a, Option<Element>> {
        Box::pin(async move { Some(req.error(meerkat_xmpp::stanza::cond::SERVICE_UNAVAILABLE)) })
    }

    /// [`Hook::UserSend`]: a stanza from a bound session, before it is handled or routed.
    /// May rewrite it, or drop it by returning [`Flow::Stop`].
    fn user_send(&self, _server: &Server, _from: &FullJid, _el: &mut Element) -> Flow {
        Flow::Continue
    }

    /// [`Hook::MessageOut`]: a `<message/>` a local user sends (from a bound session,
    /// after the [`Hook::UserSend`] hooks, or through an API), before it is routed
    /// (mod_mam archives the sender's copy). May change it.
    fn message_out<'a>(
        &'a self,
        _server: &'a Server,
        _from: &'a Jid,
        _el: &'a mut Element,
    ) -> BoxFuture<'a, ()> {
        Box::pin(async {})
    }

    /// [`Hook::MessageIn`]: a `chat` or `normal` message for an existing local user,
    /// before the [`Hook::MessageSent`] hooks and delivery or offline storage (mod_mam
    /// archives the recipient's copy and marks it with its archive id). May change it.
    fn message_in<'a>(
        &'a self,
        _server: &'a Server,
        _from: &'a Jid,
        _to: &'a BareJid,
        _el: &'a mut Element,
    ) -> BoxFuture<'a, ()> {
        Box::pin(async {})
    }

    /// [`Hook::MessageSent`]: a message on its way to a local user, before delivery
    /// (carbons: the sender's other resources get a copy).
    fn message_sent<'a>(&'a self, _m: &'a MessageRoute<'a>) -> BoxFuture<'a, ()> {
        Box::pin(async {})
    }

    /// [`Hook::MessageDelivered`]: a message that reached the sessions `delivered_to`
    /// (sids) of its recipient.
    fn message_delivered<'a>(
        &'a self,
        _m: &'a MessageRoute<'a>,
        _delivered_to: &'a [u64],
    ) -> BoxFuture<'a, ()> {
        Box::pin(async {})
    }

    /// [`Hook::Offline`]: a message for an existing user with no available resource.
    /// Return `None` when the module took it; `Some(el)` hands it on (the last one
    /// bounces it).
    fn offline<'a>(
        &'a self,
        _server: &'a Server,
        _user: &'a BareJid,
        el: Element,
    ) -> BoxFuture<'a, Option<Element>> {
        Box::pin(async move { Some(el) })
    }

    /// [`Hook::UserAvailable`]: a session became able to take messages (available,
    /// non-negative priority). Returns stanzas for that session, in order.
    fn user_available<'a>(
        &'a self,
        _server: &'a Server,
        _jid: &'a FullJid,
    ) -> BoxFuture<'a, Vec<Element>> {
        Box::pin(async { Vec::new() })
    }

    /// [`Hook::UnsetPresence`]: an available session became unavailable (by presence
    /// or because it ended); `el` is its unavailable presence.
    fn unset_presence<'a>(
        &'a self,
        _server: &'a Server,
        _jid: &'a FullJid,
        _el: &'a Element,
    ) -> BoxFuture<'a, ()> {
        Box::pin(async {})
    }

    /// [`Hook::SessionOpened`]: a resource was bound.
    fn session_opened<'a>(&'a self, _server: &'a Server, _jid: &'a FullJid) -> BoxFuture<'a, ()> {
        Box::pin(async {})
    }

    /// [`Hook::SessionClosed`]: a bound session ended (after it was unregistered).
    fn session_closed<'a>(&'a self, _server: &'a Server, _jid: &'a FullJid) -> BoxFuture<'a, ()> {
        Box::pin(async {})
    }

    /// [`Hook::RemoveUser`]: an account was removed; remove what the module keeps for it
    /// outside the store (the store removes a user's rows of every area, in one
    /// transaction, before this runs).
    fn remove_user<'a>(
        &'a self,
        _server: &'a Server,
        _user: &'a BareJid,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async { Ok(()) })
    }

    /// [`Hook::PersonalData`]: what the module keeps about a user, for a GDPR export.
    fn personal_data<'a>(
        &'a self,
        _server: &'a Server,
        _user: &'a BareJid,
    ) -> BoxFuture<'a, Result<Vec<PersonalData>, StoreError>> {
        Box::pin(async { Ok(Vec::new()) })
    }

    /// A stanza to one of the module's services ([`Registrar::service`]). `to` is in the
    /// service's domain; `from` and `to` are stamped on `el`.
    fn route_service<'a>(
        &'a self,
        server: &'a Server,
        _from: Jid,
        _to: Jid,
        el: Element,
    ) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            server
                .bounce(&el, meerkat_xmpp::stanza::cond::SERVICE_UNAVAILABLE)
                .await
        })
    }

    /// A background task, started with the listeners and ended by [`Server::stop_modules`]
    /// (`stop` turns true). Holds the server only weakly where it can.
    fn worker(
        self: Arc<Self>,
        _server: Server,
        _stop: StopSignal,
    ) -> Option<BoxFuture<'static, ()>> {
        None
    }
}

/// How a module is configured and built. `NAME` is its `[modules.*]` key.
pub trait ModuleSpec: Module + Sized {
    /// The key under `[modules]`, as in MongooseIM.
    const NAME: &'static str;
    /// Other keys accepted for the same module.
    const ALIASES: &'static [&'static str] = &[];
    /// MongooseIM options meerkat accepts but does not act on (warned, not refused).
    const IGNORED_OPTIONS: &'static [&'static str] = &[];
    /// Whether it keeps state in the store (the server API reports its backend).
    const STORED: bool = false;
    /// The options the module acts on.
    type Config: fmt::Debug + Send + Sync + 'static;
    /// Reads the options it acts on from its table; every problem goes into `diag` with
    /// its TOML path. Keys left unread are reported afterwards (warning if ignored,
    /// error if unknown).
    fn read_config(section: &mut Section<'_>, diag: &mut Diagnostics) -> Self::Config;
    /// Builds the module for a server.
    fn build(config: &Self::Config, cx: &ModuleContext) -> Self;
}

/// What a module gets when it is built.
pub struct ModuleContext<'a> {
    /// The store; a module keeps its own area (`Arc<dyn OfflineStore>`).
    pub store: &'a Arc<dyn Store>,
    /// The server config (hosts, access rules), without `[listen]`.
    pub config: &'a crate::config::ServerConfig,
}

/// Tells a module's worker to end.
pub type StopSignal = tokio::sync::watch::Receiver<bool>;

/// Whether a hook chain goes on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    /// Next hook, then the core's own handling.
    Continue,
    /// Drop the stanza here.
    Stop,
}

/// The hooks a module may declare, each run in ascending order (then registry order).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Hook {
    /// [`Module::user_send`].
    UserSend,
    /// [`Module::message_out`].
    MessageOut,
    /// [`Module::message_in`].
    MessageIn,
    /// [`Module::message_sent`].
    MessageSent,
    /// [`Module::message_delivered`].
    MessageDelivered,
    /// [`Module::offline`].
    Offline,
    /// [`Module::user_available`].
    UserAvailable,
    /// [`Module::unset_presence`].
    UnsetPresence,
    /// [`Module::session_opened`].
    SessionOpened,
    /// [`Module::session_closed`].
    SessionClosed,
    /// [`Module::remove_user`].
    RemoveUser,
    /// [`Module::personal_data`].
    PersonalData,
}

const HOOKS: usize = 12;

/// Where an IQ is addressed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IqScope {
    /// To a served domain.
    Server,
    /// To a user's bare JID, answered on the user's behalf.
    User,
}

/// An IQ for a module's handler.
pub struct IqRequest<'a> {
    /// The server.
    pub server: &'a Server,
    /// Whom it is from.
    pub from: &'a Jid,
    /// Where it went: the domain, or the user's bare JID.
    pub to: &'a Jid,
    /// The IQ.
    pub iq: &'a Element,
    /// Its one child.
    pub payload: &'a Element,
    /// `get` or `set`.
    pub set: bool,
}

impl IqRequest<'_> {
    /// An error reply with `condition`.
    pub fn error(&self, condition: &str) -> Element {
        iq_error(self.iq, condition)
    }
    /// An empty result.
    pub fn result(&self) -> Element {
        meerkat_xmpp::stanza::iq_result(self.iq)
    }
    /// Whether the sender is the user the IQ is addressed to.
    pub fn own(&self) -> bool {
        self.from.to_bare() == self.to.to_bare()
    }
}

/// An IQ a session sends about itself.
pub struct SessionIq<'a> {
    /// The server.
    pub server: &'a Server,
    /// The session's JID.
    pub jid: &'a FullJid,
    /// The session's id in the session manager.
    pub sid: u64,
    /// Per-session values modules keep.
    pub ext: &'a mut SessionExt,
    /// The IQ.
    pub iq: &'a Element,
    /// Its first child.
    pub payload: &'a Element,
    /// `get` or `set`.
    pub set: bool,
}

impl SessionIq<'_> {
    /// An error reply with `condition`.
    pub fn error(&self, condition: &str) -> Element {
        iq_error(self.iq, condition)
    }
    /// An empty result.
    pub fn result(&self) -> Element {
        meerkat_xmpp::stanza::iq_result(self.iq)
    }
}

/// An IQ error reply with `condition` and its default type.
pub(crate) fn iq_error(iq: &Element, condition: &str) -> Element {
    use meerkat_xmpp::stanza::{ErrorType, error_reply};
    error_reply(iq, ErrorType::default_for(condition), condition, None)
}

/// A message being routed to a local user, for the message hooks.
pub struct MessageRoute<'a> {
    /// The server.
    pub server: &'a Server,
    /// The sender.
    pub from: &'a Jid,
    /// The recipient's bare JID.
    pub to: &'a BareJid,
    /// The recipient's sessions at routing time.
    pub resources: &'a [crate::sm::Resource],
    /// The message.
    pub el: &'a Element,
}

/// Values a module keeps per session (e.g. whether the client asked for its roster),
/// by type. A handful of entries at most, so a list.
#[derive(Default)]
pub struct SessionExt(Vec<Box<dyn Any + Send + Sync>>);

impl SessionExt {
    /// The value of type `T`, if set.
    pub fn get<T: Any + Send + Sync>(&self) -> Option<&T> {
        self.0.iter().find_map(|v| v.downcast_ref::<T>())
    }
    /// Sets (or replaces) the value of type `T`.
    pub fn insert<T: Any + Send + Sync>(&mut self, value: T) {
        if let Some(slot) = self
            .0
            .iter_mut()
            .find(|v| (***v).type_id() == TypeId::of::<T>())
        {
            *slot = Box::new(value);
        } else {
            self.0.push(Box::new(value));
        }
    }
}

/// A group of a GDPR export: a CSV file `<name>.csv` with `columns` and `rows`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PersonalData {
    /// The file's base name.
    pub name: &'static str,
    /// Column names.
    pub columns: &'static [&'static str],
    /// Rows, each as long as `columns`.
    pub rows: Vec<Vec<String>>,
}

/// When a stream feature is offered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StreamStage {
    /// After authentication, with `<bind/>`.
    Bind,
}

/// What a module declares, in [`Module::register`].
pub struct Registrar {
    module: usize,
    table: Tables,
}

impl Registrar {
    /// Declares an IQ handler for `(namespace, element)` addressed as `scope`.
    pub fn iq(&mut self, scope: IqScope, namespace: &'static str, element: &'static str) {
        self.table.iq.push((scope, namespace, element, self.module));
    }
    /// Declares a handler of IQs a session sends about itself.
    pub fn session_iq(&mut self, namespace: &'static str, element: &'static str) {
        self.table
            .session_iq
            .push((namespace, element, self.module));
    }
    /// Declares a hook, run at `order` (lower first).
    pub fn hook(&mut self, hook: Hook, order: u16) {
        self.table.hooks[hook as usize].push((order, self.module));
    }
    /// Adds a disco#info feature of the server (`IqScope::Server`) or of user accounts.
    pub fn disco_feature(&mut self, scope: IqScope, feature: &'static str) {
        self.table.features.push((scope, feature));
    }
    /// Adds a stream feature.
    pub fn stream_feature(&mut self, stage: StreamStage, feature: Element) {
        self.table.stream_features.push((stage, feature));
    }
    /// Declares a service on its own domain: a MongooseIM `host` option, either a
    /// subdomain pattern with `@HOST@` (`muclight.@HOST@`, one per served domain) or a
    /// fixed domain. Stanzas to it reach [`Module::route_service`]; disco#items of each
    /// served domain lists it.
    pub fn service(&mut self, host: &str) {
        self.table
            .services
            .push((HostPattern::parse(host), self.module));
    }
}

/// A MongooseIM `host` option: `prefix.@HOST@` (or any text around `@HOST@`), or a
/// fixed domain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HostPattern {
    /// Text before and after `@HOST@`.
    Subdomain(String, String),
    /// One domain for every host.
    Fixed(String),
}

impl HostPattern {
    /// Reads the option's value (lower-cased).
    pub fn parse(s: &str) -> HostPattern {
        let s = s.to_lowercase();
        match s.split_once("@host@") {
            Some((pre, post)) => HostPattern::Subdomain(pre.to_owned(), post.to_owned()),
            None => HostPattern::Fixed(s),
        }
    }
    /// The service's domain under `host`.
    pub fn expand(&self, host: &str) -> String {
        match self {
            HostPattern::Subdomain(pre, post) => format!("{pre}{host}{post}"),
            HostPattern::Fixed(d) => d.clone(),
        }
    }
    /// The served host whose service `domain` is, if it is one.
    fn host_of<'d>(&self, domain: &'d str) -> Option<&'d str> {
        match self {
            HostPattern::Subdomain(pre, post) => domain
                .strip_prefix(pre.as_str())?
                .strip_suffix(post.as_str())
                .filter(|h| !h.is_empty()),
            HostPattern::Fixed(d) => (d == domain).then_some(domain),
        }
    }
}

#[derive(Default)]
struct Tables {
    iq: Vec<(IqScope, &'static str, &'static str, usize)>,
    session_iq: Vec<(&'static str, &'static str, usize)>,
    hooks: [Vec<(u16, usize)>; HOOKS],
    features: Vec<(IqScope, &'static str)>,
    stream_features: Vec<(StreamStage, Element)>,
    services: Vec<(HostPattern, usize)>,
}

// ------------------------------------------------------------------------- registry

/// A module's options, read and type-erased, waiting for the server.
trait ConfiguredModule: Any + Send + Sync {
    fn build(&self, cx: &ModuleContext) -> Arc<dyn Module>;
}

struct Configured<M: ModuleSpec>(M::Config);

impl<M: ModuleSpec> ConfiguredModule for Configured<M> {
    fn build(&self, cx: &ModuleContext) -> Arc<dyn Module> {
        Arc::new(M::build(&self.0, cx))
    }
}

fn read_erased<M: ModuleSpec>(
    s: &mut Section<'_>,
    d: &mut Diagnostics,
) -> Arc<dyn ConfiguredModule> {
    Arc::new(Configured::<M>(M::read_config(s, d)))
}

/// One registry entry: a module's `[modules.*]` key, its aliases and its reader.
#[derive(Clone, Copy)]
pub struct ModuleDescriptor {
    /// Key under `[modules]`.
    pub name: &'static str,
    /// Other accepted keys.
    pub aliases: &'static [&'static str],
    /// MongooseIM options accepted with a warning.
    pub ignored_options: &'static [&'static str],
    /// Whether it keeps state in the store.
    pub stored: bool,
    reader: fn(&mut Section<'_>, &mut Diagnostics) -> Arc<dyn ConfiguredModule>,
}

impl ModuleDescriptor {
    /// Whether `key` names this module.
    pub fn matches(&self, key: &str) -> bool {
        self.name == key || self.aliases.contains(&key)
    }
}

impl fmt::Debug for ModuleDescriptor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)
    }
}

/// The registry entry of a module.
pub const fn descriptor<M: ModuleSpec>() -> ModuleDescriptor {
    ModuleDescriptor {
        name: M::NAME,
        aliases: M::ALIASES,
        ignored_options: M::IGNORED_OPTIONS,
        stored: M::STORED,
        reader: read_erased::<M>,
    }
}

/// `[modules]`: the configured modules, in registry order, with their options read.
#[derive(Clone, Default)]
pub struct ModuleSet {
    entries: Vec<ModuleEntry>,
}

#[derive(Clone)]
struct ModuleEntry {
    descriptor: ModuleDescriptor,
    config: Arc<dyn ConfiguredModule>,
    raw: toml::Table,
}

impl fmt::Debug for ModuleSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.names()).finish()
    }
}

impl ModuleSet {
    /// Reads `[modules.<key>]` tables with `registry`. A key the registry lacks is left
    /// for the caller (`None`); otherwise the module's options are read and its
    /// leftover keys reported.
    pub(crate) fn read_one(
        &mut self,
        registry: &[ModuleDescriptor],
        key: &str,
        mut section: Section<'_>,
        raw: &toml::Table,
        diag: &mut Diagnostics,
    ) -> bool {
        let Some(d) = registry.iter().find(|d| d.matches(key)) else {
            return false;
        };
        let config = (d.reader)(&mut section, diag);
        // Modules with stored data keep it in meerkat's one SQL store (SQLite, or
        // PostgreSQL with `[outgoing_pools.rdbms.default]`): that is MongooseIM's `rdbms`
        // backend; any other backend is accepted with a warning.
        if d.ignored_options.contains(&"backend")
            && let Some(b) = section.opt::<String>("backend", diag)
            && b != "rdbms"
        {
            diag.warn(
                section.key_path("backend"),
                format!(
                    "meerkat keeps this module's data in its SQL store (MongooseIM's \"rdbms\" backend); \"{b}\" ignored"
                ),
            );
        }
        for (k, _) in section.remaining().collect::<Vec<_>>() {
            if d.ignored_options.contains(&k) {
                diag.warn(
                    section.key_path(k),
                    "MongooseIM option not implemented by meerkat; ignored",
                );
            } else {
                diag.error(section.key_path(k), "unknown option");
            }
        }
        if self.entries.iter().any(|e| e.descriptor.name == d.name) {
            diag.error(
                section.path().to_owned(),
                format!("{} is configured twice (under another name)", d.name),
            );
            return true;
        }
        self.entries.push(ModuleEntry {
            descriptor: *d,
            config,
            raw: raw.clone(),
        });
        let order = |n: &str| registry.iter().position(|r| r.name == n);
        self.entries
            .sort_by_key(|e| order(e.descriptor.name).unwrap_or(usize::MAX));
        true
    }
    /// The options of the configured module `M`, as it read them.
    pub fn config<M: ModuleSpec>(&self) -> Option<&M::Config> {
        self.entries.iter().find_map(|e| {
            (&*e.config as &dyn Any)
                .downcast_ref::<Configured<M>>()
                .map(|c| &c.0)
        })
    }
    /// The names of the configured modules, in registry order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|e| e.descriptor.name)
    }
    /// A module's raw options (for display by the server API).
    pub fn options(&self, module: &str) -> Option<&toml::Table> {
        self.entries
            .iter()
            .find(|e| e.descriptor.matches(module))
            .map(|e| &e.raw)
    }
}

/// The loaded modules of a running server and what they declared.
pub struct Modules {
    loaded: Vec<(ModuleDescriptor, Arc<dyn Module>)>,
    table: Tables,
}

impl Modules {
    /// Builds every configured module and collects its declarations.
    pub(crate) fn build(set: &ModuleSet, cx: &ModuleContext) -> Modules {
        let mut loaded = Vec::with_capacity(set.entries.len());
        let mut r = Registrar {
            module: 0,
            table: Tables::default(),
        };
        for (i, e) in set.entries.iter().enumerate() {
            let m = e.config.build(cx);
            r.module = i;
            m.register(&mut r);
            loaded.push((e.descriptor, m));
        }
        let mut table = r.table;
        for h in &mut table.hooks {
            h.sort(); // by order, then registry order
        }
        Modules { loaded, table }
    }

    /// The loaded module of type `M`.
    pub fn get<M: Module>(&self) -> Option<&M> {
        self.loaded
            .iter()
            .find_map(|(_, m)| (&**m as &dyn Any).downcast_ref::<M>())
    }

    /// Whether a module named `name` (or an alias) is loaded.
    pub fn is_loaded(&self, name: &str) -> bool {
        self.loaded.iter().any(|(d, _)| d.matches(name))
    }

    /// Names of the loaded modules, in registry order.
    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.loaded.iter().map(|(d, _)| d.name)
    }

    /// The registry entries of the loaded modules, in registry order.
    pub fn descriptors(&self) -> impl Iterator<Item = &ModuleDescriptor> {
        self.loaded.iter().map(|(d, _)| d)
    }

    /// The modules that declared `hook`, in order.
    pub(crate) fn hooked(&self, hook: Hook) -> impl Iterator<Item = &dyn Module> {
        self.table.hooks[hook as usize]
            .iter()
            .map(|(_, i)| &*self.loaded[*i].1)
    }

    /// Whether any module declared `hook`.
    pub(crate) fn has_hook(&self, hook: Hook) -> bool {
        !self.table.hooks[hook as usize].is_empty()
    }

    /// The module handling an IQ with `payload` addressed as `scope`.
    pub(crate) fn iq_handler(&self, scope: IqScope, payload: &Element) -> Option<&dyn Module> {
        self.table
            .iq
            .iter()
            .find(|(s, ns, name, _)| *s == scope && payload.is(name, ns))
            .map(|(_, _, _, i)| &*self.loaded[*i].1)
    }

    /// The module handling a session's own IQ with `payload`.
    pub(crate) fn session_iq_handler(&self, payload: &Element) -> Option<&dyn Module> {
        self.table
            .session_iq
            .iter()
            .find(|(ns, name, _)| payload.is(name, ns))
            .map(|(_, _, i)| &*self.loaded[*i].1)
    }

    /// Disco#info features declared for `scope`.
    pub fn disco_features(&self, scope: IqScope) -> impl Iterator<Item = &'static str> + '_ {
        self.table
            .features
            .iter()
            .filter(move |(s, _)| *s == scope)
            .map(|(_, f)| *f)
    }

    /// Stream features declared for `stage`.
    pub(crate) fn stream_features(&self, stage: StreamStage) -> impl Iterator<Item = &Element> {
        self.table
            .stream_features
            .iter()
            .filter(move |(s, _)| *s == stage)
            .map(|(_, f)| f)
    }

    /// The module whose service `domain` is, with the served host it belongs to.
    pub(crate) fn service_for(
        &self,
        domain: &str,
        is_served: impl Fn(&str) -> bool,
    ) -> Option<&dyn Module> {
        self.table.services.iter().find_map(|(p, i)| {
            let host = p.host_of(domain)?;
            let ok = match p {
                HostPattern::Fixed(_) => true,
                HostPattern::Subdomain(..) => is_served(host),
            };
            ok.then(|| &*self.loaded[*i].1)
        })
    }

    /// The service domains under a served `host`.
    pub fn services_of(&self, host: &str) -> Vec<String> {
        let mut v: Vec<String> = self
            .table
            .services
            .iter()
            .map(|(p, _)| p.expand(host))
            .collect();
        v.dedup();
        v
    }

    /// Every loaded module, for starting workers.
    pub(crate) fn all(&self) -> impl Iterator<Item = &Arc<dyn Module>> {
        self.loaded.iter().map(|(_, m)| m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_patterns() {
        let p = HostPattern::parse("muclight.@HOST@");
        assert_eq!(p.expand("a.test"), "muclight.a.test");
        assert_eq!(p.host_of("muclight.a.test"), Some("a.test"));
        assert_eq!(p.host_of("muclight."), None);
        assert_eq!(p.host_of("other.a.test"), None);
        let f = HostPattern::parse("Rooms.Example.COM");
        assert_eq!(f.expand("a.test"), "rooms.example.com");
        assert_eq!(f.host_of("rooms.example.com"), Some("rooms.example.com"));
    }

    #[test]
    fn session_ext_keeps_one_value_per_type() {
        let mut ext = SessionExt::default();
        assert_eq!(ext.get::<u8>(), None);
        ext.insert(1u8);
        ext.insert(2u8);
        ext.insert("x");
        assert_eq!(ext.get::<u8>(), Some(&2));
        assert_eq!(ext.get::<&str>(), Some(&"x"));
    }
}
