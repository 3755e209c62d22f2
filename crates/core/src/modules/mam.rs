//! mod_mam (XEP-0313 Message Archive Management, `urn:xmpp:mam:2`, and `:1` answered
//! the same way): one-to-one messages archived in both users' archives, XEP-0359
//! `<stanza-id/>` on what the recipient gets, queries with the data form and result set
//! management (XEP-0059), preferences.
//!
//! Ids are MongooseIM's: `(µs << 8) | node`, increasing even when the clock stalls, so a
//! time range is an id range. Clients see them in MongooseIM's external form, base 32.

use crate::Server;
use crate::config::{Diagnostics, Section};
use crate::module::{
    Hook, IqRequest, IqScope, Module, ModuleContext, ModuleSpec, PersonalData, Registrar,
};
use crate::router::BoxFuture;
use crate::store::{
    ArchivedMessage, Direction, MamFilter, MamPage, MamPrefs, PageStart, StoreError, Subscription,
};
use crate::util::{now_us, timestamp_us};
use meerkat_xmpp::stanza::cond;
use meerkat_xmpp::{BareJid, Element, Jid, ParseLimits, ns};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

/// XEP-0313 version 2.
pub const NS_MAM2: &str = "urn:xmpp:mam:2";
/// XEP-0313 version 1 (answered like version 2, in its own namespace).
pub const NS_MAM1: &str = "urn:xmpp:mam:1";
/// XEP-0359 unique and stable stanza ids.
pub const NS_SID: &str = "urn:xmpp:sid:0";
const NS_RSM: &str = "http://jabber.org/protocol/rsm";
const NS_DATA: &str = "jabber:x:data";
const NS_HINTS: &str = "urn:xmpp:hints";
const NS_MARKERS: &str = "urn:xmpp:chat-markers:0";
const NS_FASTEN: &str = "urn:xmpp:fasten:0";
const NS_RETRACT: &str = "urn:xmpp:message-retract:0";

/// Archive ids: time-ordered, unique in this process.
pub mod id {
    use super::{AtomicI64, Ordering, now_us};

    static LAST: AtomicI64 = AtomicI64::new(0);

    /// The node number in the low byte (one node: 0).
    const NODE: i64 = 0;

    /// A new id, `(µs << 8) | node`, greater than every id made before.
    pub fn next() -> i64 {
        let candidate = (now_us().max(0) << 8) | NODE;
        let mut last = LAST.load(Ordering::Relaxed);
        loop {
            let id = candidate.max(last + 256);
            match LAST.compare_exchange_weak(last, id, Ordering::Relaxed, Ordering::Relaxed) {
                Ok(_) => return id,
                Err(seen) => last = seen,
            }
        }
    }

    /// The microseconds an id was made at.
    pub fn micros(id: i64) -> i64 {
        id >> 8
    }

    /// The smallest id of a time (µs).
    pub fn first_at(us: i64) -> i64 {
        us.max(0).saturating_mul(256)
    }

    /// The largest id of a time (µs).
    pub fn last_at(us: i64) -> i64 {
        first_at(us).saturating_add(255)
    }

    /// MongooseIM's external form: base 32, digits then `A`-`V`.
    pub fn external(id: i64) -> String {
        const DIGITS: &[u8; 32] = b"0123456789ABCDEFGHIJKLMNOPQRSTUV";
        let mut n = id.max(0) as u64;
        let mut out = Vec::new();
        loop {
            out.push(DIGITS[(n % 32) as usize]);
            n /= 32;
            if n == 0 {
                break;
            }
        }
        out.reverse();
        String::from_utf8(out).unwrap_or_default()
    }

    /// Parses the external form (either case); `None` if it is not one.
    pub fn parse(s: &str) -> Option<i64> {
        if s.is_empty() || s.len() > 13 {
            return None;
        }
        let mut n: i64 = 0;
        for c in s.chars() {
            let d = c.to_digit(32)? as i64;
            n = n.checked_mul(32)?.checked_add(d)?;
        }
        Some(n)
    }
}

/// The options of `[modules.mod_mam]` meerkat acts on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MamConfig {
    /// One-to-one archives: on when a `pm` section (or a `pm.*` option) is configured,
    /// as in MongooseIM.
    pub pm: bool,
    /// `no_stanzaid_element`: no `<stanza-id/>` on delivered messages.
    pub no_stanzaid_element: bool,
    /// `default_result_limit` (50).
    pub default_result_limit: u32,
    /// `max_result_limit` (50).
    pub max_result_limit: u32,
    /// `archive_chat_markers`: archive messages that are only chat markers.
    pub archive_chat_markers: bool,
    /// `message_retraction`: archive retractions (XEP-0424) without a body.
    pub message_retraction: bool,
    /// `full_text_search` (true): keep the words of the body for `fulltext` queries.
    pub full_text_search: bool,
    /// `retention_days` (meerkat's; MongooseIM has no such option): archived messages
    /// older than this many days are removed, every hour. `None`: kept for ever.
    pub retention_days: Option<u32>,
}

impl Default for MamConfig {
    fn default() -> Self {
        MamConfig {
            pm: false,
            no_stanzaid_element: false,
            default_result_limit: 50,
            max_result_limit: 50,
            archive_chat_markers: false,
            message_retraction: true,
            full_text_search: true,
            retention_days: None,
        }
    }
}

/// Options meerkat accepts and does not act on (its archive is in the SQL store and is
/// written synchronously, before the message is delivered).
const IGNORED: &[&str] = &[
    "is_archivable_message",
    "send_message",
    "cache_users",
    "cache",
    "async_writer",
    "user_prefs_store",
    "enforce_simple_queries",
    "delete_domain_limit",
    "db_jid_format",
    "db_message_format",
    "extra_fin_element",
    "extra_lookup_params",
    "same_mam_id_for_peers",
    "archive_groupchats",
];

fn read_common(s: &mut Section<'_>, c: &mut MamConfig, diag: &mut Diagnostics) {
    if let Some(b) = s.opt::<String>("backend", diag)
        && b != "rdbms"
    {
        diag.warn(
            s.key_path("backend"),
            format!("meerkat keeps the archive in its SQL store (MongooseIM's \"rdbms\"); \"{b}\" ignored"),
        );
    }
    c.no_stanzaid_element = s.get_or("no_stanzaid_element", c.no_stanzaid_element, diag);
    c.archive_chat_markers = s.get_or("archive_chat_markers", c.archive_chat_markers, diag);
    c.message_retraction = s.get_or("message_retraction", c.message_retraction, diag);
    c.full_text_search = s.get_or("full_text_search", c.full_text_search, diag);
    for (key, field) in [
        ("default_result_limit", &mut c.default_result_limit),
        ("max_result_limit", &mut c.max_result_limit),
    ] {
        if let Some(n) = s.opt::<u32>(key, diag) {
            if n == 0 {
                diag.error(s.key_path(key), "must be positive");
            } else {
                *field = n;
            }
        }
    }
    for key in IGNORED {
        if s.raw(key).is_some() {
            diag.warn(
                s.key_path(key),
                "MongooseIM option not implemented by meerkat; ignored",
            );
        }
    }
}

/// The loaded mod_mam.
pub struct Mam {
    config: MamConfig,
    store: Arc<dyn crate::store::Store>,
    /// Users' preferences as last read or written here (`None`: none set), so archiving
    /// a message does not read them from the store each time. Bounded; one node's view
    /// (a cluster would have to invalidate it across nodes).
    prefs: std::sync::Mutex<std::collections::HashMap<String, Option<Arc<MamPrefs>>>>,
}

/// Words a full-text query may have at most.
const MAX_SEARCH_WORDS: usize = 32;

/// Users whose preferences are cached at most.
const PREFS_CACHE: usize = 100_000;

impl Mam {
    /// The options it runs with.
    pub fn config(&self) -> &MamConfig {
        &self.config
    }
}

impl ModuleSpec for Mam {
    const NAME: &'static str = "mod_mam";
    const IGNORED_OPTIONS: &'static [&'static str] = &["iqdisc"];
    const STORED: bool = true;
    type Config = MamConfig;

    fn read_config(s: &mut Section<'_>, diag: &mut Diagnostics) -> MamConfig {
        let mut c = MamConfig::default();
        if let Some(crate::config::Positive(days)) = s.opt("retention_days", diag) {
            c.retention_days = Some(u32::try_from(days).unwrap_or(u32::MAX));
        }
        read_common(s, &mut c, diag);
        if let Some(mut pm) = s.table_opt("pm", diag) {
            c.pm = true;
            read_common(&mut pm, &mut c, diag);
            pm.finish(diag);
        }
        if s.raw("muc").is_some() {
            diag.warn(
                s.key_path("muc"),
                "room archives come with MUC Light and MUC, which meerkat does not have yet; ignored",
            );
        }
        if !c.pm {
            diag.warn(
                s.path().to_owned(),
                "archives nothing without a `pm` section (as in MongooseIM): add [modules.mod_mam.pm]",
            );
        }
        if c.default_result_limit > c.max_result_limit {
            diag.error(
                s.key_path("default_result_limit"),
                "must not exceed max_result_limit",
            );
        }
        c
    }

    fn build(config: &MamConfig, cx: &ModuleContext) -> Self {
        Mam {
            config: config.clone(),
            store: cx.store.clone(),
            prefs: Default::default(),
        }
    }
}

/// Removes the archived messages of every served domain that are older than `days`
/// days (the `retention_days` clean-up, also callable on demand); returns how many.
pub async fn remove_expired(server: &Server, days: u32) -> Result<u64, StoreError> {
    let cutoff = id::first_at(now_us().saturating_sub(i64::from(days) * 86_400_000_000));
    let mut domains = server.config().general.hosts.clone();
    domains.extend(server.dynamic_domains().into_iter().map(|d| d.domain));
    let mut removed = 0;
    for domain in domains {
        removed += server.store().mam_remove_older(&domain, cutoff).await?;
    }
    Ok(removed)
}

/// Whether a message is worth archiving (MongooseIM's `is_archivable_message`).
fn archivable(el: &Element, c: &MamConfig) -> bool {
    if !matches!(el.attr("type").unwrap_or("normal"), "chat" | "normal") {
        return false;
    }
    if el
        .children()
        .any(|ch| ch.ns() == NS_HINTS && matches!(ch.name(), "no-store" | "no-permanent-store"))
    {
        return false;
    }
    if el.has_child("result", NS_MAM2) || el.has_child("result", NS_MAM1) {
        return false;
    }
    el.has_child("body", ns::CLIENT)
        || (c.archive_chat_markers
            && el
                .children()
                .any(|ch| ch.ns() == NS_MARKERS && ch.name() != "markable"))
        || (c.message_retraction
            && (el.has_child("retract", NS_RETRACT)
                || el
                    .get_child("apply-to", NS_FASTEN)
                    .is_some_and(|a| a.has_child("retract", NS_RETRACT))))
}

/// MongooseIM's search text: the body lower-cased, punctuation dropped, words separated
/// by one space.
fn search_text(body: &str) -> String {
    body.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

impl Mam {
    /// Whether `owner` archives messages with `remote` (its preferences; the default is
    /// `always`).
    async fn wanted(&self, owner: &BareJid, remote: &BareJid) -> Result<bool, StoreError> {
        let Some(prefs) = self.prefs_of(owner).await? else {
            return Ok(true);
        };
        let r = remote.as_str();
        if prefs.never.iter().any(|j| j == r) {
            return Ok(false);
        }
        if prefs.always.iter().any(|j| j == r) {
            return Ok(true);
        }
        Ok(match prefs.default.as_str() {
            "never" => false,
            "roster" => self
                .store
                .roster_get_item(owner.as_str(), r)
                .await?
                .is_some_and(|i| i.subscription != Subscription::None),
            _ => true,
        })
    }

    fn prefs_cache(
        &self,
    ) -> std::sync::MutexGuard<'_, std::collections::HashMap<String, Option<Arc<MamPrefs>>>> {
        self.prefs.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `owner`'s preferences, from the cache or the store.
    async fn prefs_of(&self, owner: &BareJid) -> Result<Option<Arc<MamPrefs>>, StoreError> {
        if let Some(p) = self.prefs_cache().get(owner.as_str()) {
            return Ok(p.clone());
        }
        let p = self
            .store
            .mam_prefs_get(owner.as_str())
            .await?
            .map(Arc::new);
        // A `set` that raced ahead of this read has cached the newer value: keep it.
        let mut cache = self.prefs_cache();
        if cache.len() >= PREFS_CACHE {
            cache.clear();
        }
        Ok(cache.entry(owner.to_string()).or_insert(p).clone())
    }

    fn remember_prefs(&self, owner: &BareJid, prefs: Option<Arc<MamPrefs>>) {
        let mut cache = self.prefs_cache();
        if cache.len() >= PREFS_CACHE {
            cache.clear();
        }
        cache.insert(owner.to_string(), prefs);
    }

    /// Archives `el` in `owner`'s archive; returns the id, or `None` when it was not
    /// archived (preferences, or a storage failure, which is logged).
    async fn archive(
        &self,
        owner: &BareJid,
        remote: &Jid,
        direction: Direction,
        el: &Element,
    ) -> Option<i64> {
        let remote_bare = remote.to_bare();
        match self.wanted(owner, &remote_bare).await {
            Ok(true) => {}
            Ok(false) => return None,
            Err(e) => {
                tracing::error!(owner = %owner, error = %e, "archive preferences lookup failed");
                return None;
            }
        }
        let id = id::next();
        let body = el.get_child("body", ns::CLIENT).map(Element::text);
        let msg = ArchivedMessage {
            id,
            remote_bare: remote_bare.to_string(),
            remote_resource: remote
                .resource()
                .map(|r| r.as_str().to_owned())
                .unwrap_or_default(),
            direction,
            from: el.attr("from").unwrap_or("").to_owned(),
            origin_id: el
                .get_child("origin-id", NS_SID)
                .and_then(|o| o.attr("id"))
                .map(str::to_owned),
            search_body: body
                .filter(|_| self.config.full_text_search)
                .map(|b| search_text(&b)),
            xml: el.to_xml(),
        };
        match self.store.mam_append(owner.as_str(), &msg).await {
            Ok(()) => Some(id),
            Err(e) => {
                tracing::error!(owner = %owner, error = %e, "archiving failed");
                None
            }
        }
    }
}

impl Module for Mam {
    fn register(&self, r: &mut Registrar) {
        r.iq(IqScope::User, NS_MAM2, "query");
        r.iq(IqScope::User, NS_MAM1, "query");
        r.iq(IqScope::User, NS_MAM2, "prefs");
        r.iq(IqScope::User, NS_MAM1, "prefs");
        for feature in [NS_MAM2, "urn:xmpp:mam:2#extended", NS_MAM1, NS_SID] {
            r.disco_feature(IqScope::User, feature);
        }
        if self.config.pm {
            r.hook(Hook::MessageOut, 50);
            r.hook(Hook::MessageIn, 50);
        }
        r.hook(Hook::PersonalData, 60);
        r.hook(Hook::RemoveUser, 60);
    }

    fn worker(
        self: Arc<Self>,
        server: Server,
        mut stop: crate::module::StopSignal,
    ) -> Option<BoxFuture<'static, ()>> {
        let days = self.config.retention_days?;
        Some(Box::pin(async move {
            loop {
                match remove_expired(&server, days).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(removed = n, days, "old archived messages removed"),
                    Err(e) => tracing::error!(error = %e, "archive retention clean-up failed"),
                }
                tokio::select! {
                    () = tokio::time::sleep(std::time::Duration::from_secs(3600)) => {}
                    _ = stop.changed() => return,
                }
                if *stop.borrow() {
                    return;
                }
            }
        }))
    }

    fn remove_user<'a>(
        &'a self,
        _server: &'a Server,
        user: &'a BareJid,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        // The store removed the archive and the preferences with the account.
        Box::pin(async move {
            self.prefs_cache().remove(user.as_str());
            Ok(())
        })
    }

    fn message_out<'a>(
        &'a self,
        _server: &'a Server,
        from: &'a Jid,
        el: &'a mut Element,
    ) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            let me = from.to_bare();
            // A client may not claim archive ids of its own account.
            strip_stanza_ids(el, me.as_str());
            if !archivable(el, &self.config) {
                return;
            }
            let Some(Ok(to)) = el.attr("to").map(Jid::new) else {
                return;
            };
            if to.to_bare() == me {
                return; // to oneself: archived once, as incoming
            }
            if el.attr("from").is_none() {
                el.set_attr("from", from.as_str());
            }
            self.archive(&me, &to, Direction::Outgoing, el).await;
        })
    }

    fn message_in<'a>(
        &'a self,
        _server: &'a Server,
        from: &'a Jid,
        to: &'a BareJid,
        el: &'a mut Element,
    ) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            strip_stanza_ids(el, to.as_str());
            if !archivable(el, &self.config) {
                return;
            }
            if let Some(id) = self.archive(to, from, Direction::Incoming, el).await
                && !self.config.no_stanzaid_element
            {
                el.append_child(
                    Element::new("stanza-id", NS_SID)
                        .with_attr("by", to.as_str())
                        .with_attr("id", id::external(id)),
                );
            }
        })
    }

    fn handle_iq<'a>(&'a self, req: IqRequest<'a>) -> BoxFuture<'a, Option<Element>> {
        Box::pin(async move {
            if !req.own() {
                return Some(req.error(cond::FORBIDDEN));
            }
            let owner = req.to.to_bare();
            let ns = req.payload.ns().to_owned();
            match req.payload.name() {
                "prefs" => Some(self.prefs(&req, &owner, &ns).await),
                _ if !req.set => Some(req.result().with_child(query_form(&ns))),
                _ => self.query(&req, &owner, &ns).await,
            }
        })
    }

    fn personal_data<'a>(
        &'a self,
        _server: &'a Server,
        user: &'a BareJid,
    ) -> BoxFuture<'a, Result<Vec<PersonalData>, StoreError>> {
        Box::pin(async move {
            let mut rows = Vec::new();
            let mut after = None;
            loop {
                let start = after.map_or(PageStart::Offset(0), PageStart::After);
                let page = self
                    .store
                    .mam_query(user.as_str(), &MamFilter::default(), start, 1000)
                    .await?;
                for m in &page.messages {
                    rows.push(vec![id::external(m.id), m.from.clone(), m.xml.clone()]);
                }
                match page.messages.last() {
                    Some(last) if page.messages.len() == 1000 => after = Some(last.id),
                    _ => break,
                }
            }
            Ok(vec![PersonalData {
                name: "mam_pm",
                columns: &["id", "from", "message"],
                rows,
            }])
        })
    }
}

/// Removes `<stanza-id/>` elements that claim to be from `by` (only the server may).
fn strip_stanza_ids(el: &mut Element, by: &str) {
    if !el
        .children()
        .any(|c| c.is("stanza-id", NS_SID) && c.attr("by") == Some(by))
    {
        return;
    }
    for child in el.take_children() {
        if !(child.is("stanza-id", NS_SID) && child.attr("by") == Some(by)) {
            el.append_child(child);
        }
    }
}

/// The search form a `get` of the query returns (XEP-0313 § 4.1.3).
fn query_form(ns: &str) -> Element {
    let field = |var: &str, ty: &str| {
        Element::new("field", NS_DATA)
            .with_attr("var", var)
            .with_attr("type", ty)
    };
    let mut x = Element::new("x", NS_DATA).with_attr("type", "form");
    x.append_child(
        field("FORM_TYPE", "hidden").with_child(Element::new("value", NS_DATA).with_text(ns)),
    );
    for (var, ty) in [
        ("with", "jid-single"),
        ("start", "text-single"),
        ("end", "text-single"),
        ("before-id", "text-single"),
        ("after-id", "text-single"),
        ("ids", "text-multi"),
        ("{urn:xmpp:fulltext:0}fulltext", "text-single"),
    ] {
        x.append_child(field(var, ty));
    }
    Element::new("query", ns).with_child(x)
}

/// Parses an XEP-0082 date-time into Unix microseconds.
fn parse_time(s: &str) -> Option<i64> {
    let dt: xmpp_parsers_date::DateTime = s.trim().parse().ok()?;
    Some(dt.0.timestamp_micros())
}

use meerkat_xmpp::xmpp_parsers::date as xmpp_parsers_date;

/// A query's form and RSM, checked.
struct Query {
    query_id: Option<String>,
    filter: MamFilter,
    start: PageStart,
    limit: u32,
    flip: bool,
    /// The RSM `after`/`before` id, which must exist.
    anchor: Option<i64>,
}

fn bad(req: &IqRequest<'_>, text: &str) -> Element {
    use meerkat_xmpp::stanza::{ErrorType, error_reply};
    error_reply(req.iq, ErrorType::Modify, cond::BAD_REQUEST, Some(text))
}

impl Mam {
    fn parse_query(&self, req: &IqRequest<'_>) -> Result<Query, Element> {
        let q = req.payload;
        let mut filter = MamFilter::default();
        if let Some(x) = q.get_child("x", NS_DATA) {
            for field in x.children().filter(|c| c.is("field", NS_DATA)) {
                let var = field.attr("var").unwrap_or("");
                let values: Vec<String> = field
                    .children()
                    .filter(|v| v.is("value", NS_DATA))
                    .map(Element::text)
                    .collect();
                let one = || {
                    values
                        .first()
                        .map(|v| v.trim().to_owned())
                        .unwrap_or_default()
                };
                match var {
                    "FORM_TYPE" => {
                        if one() != q.ns() {
                            return Err(bad(req, "Unknown FORM_TYPE"));
                        }
                    }
                    "with" => {
                        let jid = Jid::new(&one()).map_err(|_| bad(req, "Invalid with"))?;
                        filter.with_bare = Some(jid.to_bare().to_string());
                        filter.with_resource = jid.resource().map(|r| r.as_str().to_owned());
                    }
                    "start" => {
                        let us = parse_time(&one()).ok_or_else(|| bad(req, "Invalid start"))?;
                        filter.min_id =
                            Some(filter.min_id.unwrap_or(i64::MIN).max(id::first_at(us)));
                    }
                    "end" => {
                        let us = parse_time(&one()).ok_or_else(|| bad(req, "Invalid end"))?;
                        filter.max_id =
                            Some(filter.max_id.unwrap_or(i64::MAX).min(id::last_at(us)));
                    }
                    "after-id" => {
                        let a = id::parse(&one()).ok_or_else(|| bad(req, "Invalid after-id"))?;
                        filter.min_id =
                            Some(filter.min_id.unwrap_or(i64::MIN).max(a.saturating_add(1)));
                    }
                    "before-id" => {
                        let b = id::parse(&one()).ok_or_else(|| bad(req, "Invalid before-id"))?;
                        filter.max_id =
                            Some(filter.max_id.unwrap_or(i64::MAX).min(b.saturating_sub(1)));
                    }
                    "ids" => {
                        let ids = values
                            .iter()
                            .map(|v| id::parse(v.trim()))
                            .collect::<Option<Vec<_>>>()
                            .ok_or_else(|| bad(req, "Invalid ids"))?;
                        if ids.len() > self.config.max_result_limit as usize {
                            return Err(bad(req, "Too many ids"));
                        }
                        filter.ids = Some(ids);
                    }
                    "{urn:xmpp:fulltext:0}fulltext" | "full-text-search" => {
                        if self.config.full_text_search {
                            filter.words = search_text(&one())
                                .split(' ')
                                .filter(|w| !w.is_empty())
                                .map(str::to_owned)
                                .collect();
                            // Each word is a condition of the query: bounded.
                            if filter.words.len() > MAX_SEARCH_WORDS {
                                return Err(bad(req, "Too many words"));
                            }
                        }
                    }
                    _ => return Err(bad(req, &format!("Unknown field {var}"))),
                }
            }
        }
        let mut limit = self.config.default_result_limit;
        let mut start = PageStart::Offset(0);
        let mut anchor = None;
        if let Some(set) = q.get_child("set", NS_RSM) {
            if let Some(max) = set.get_child("max", NS_RSM) {
                let n: u32 = max
                    .text()
                    .trim()
                    .parse()
                    .map_err(|_| bad(req, "Invalid max"))?;
                limit = n;
            }
            if let Some(index) = set.get_child("index", NS_RSM) {
                let n: u64 = index
                    .text()
                    .trim()
                    .parse()
                    .map_err(|_| bad(req, "Invalid index"))?;
                start = PageStart::Offset(n);
            }
            if let Some(after) = set.get_child("after", NS_RSM) {
                let t = after.text();
                if !t.trim().is_empty() {
                    let a = id::parse(t.trim()).ok_or_else(|| bad(req, "Invalid after"))?;
                    start = PageStart::After(a);
                    anchor = Some(a);
                }
            }
            if let Some(before) = set.get_child("before", NS_RSM) {
                let t = before.text();
                if t.trim().is_empty() {
                    start = PageStart::Before(None);
                } else {
                    let b = id::parse(t.trim()).ok_or_else(|| bad(req, "Invalid before"))?;
                    start = PageStart::Before(Some(b));
                    anchor = Some(b);
                }
            }
        }
        Ok(Query {
            query_id: q.attr("queryid").map(str::to_owned),
            filter,
            start,
            limit: limit.min(self.config.max_result_limit),
            flip: q.children().any(|c| c.name() == "flip-page"),
            anchor,
        })
    }

    async fn query(&self, req: &IqRequest<'_>, owner: &BareJid, ns: &str) -> Option<Element> {
        let q = match self.parse_query(req) {
            Ok(q) => q,
            Err(e) => return Some(e),
        };
        let fail = |e: StoreError| {
            tracing::error!(owner = %owner, error = %e, "archive query failed");
            req.error(cond::INTERNAL_SERVER_ERROR)
        };
        if let Some(anchor) = q.anchor {
            let exists = MamFilter {
                ids: Some(vec![anchor]),
                ..MamFilter::default()
            };
            match self
                .store
                .mam_query(owner.as_str(), &exists, PageStart::Offset(0), 1)
                .await
            {
                Ok(p) if p.total == 0 => return Some(req.error(cond::ITEM_NOT_FOUND)),
                Ok(_) => {}
                Err(e) => return Some(fail(e)),
            }
        }
        let page: MamPage = match self
            .store
            .mam_query(owner.as_str(), &q.filter, q.start, q.limit)
            .await
        {
            Ok(p) => p,
            Err(e) => return Some(fail(e)),
        };
        let complete = match q.start {
            PageStart::Before(_) => page.first_index == 0,
            _ => page.first_index + page.messages.len() as u64 >= page.total,
        };
        // The results go to the asking session before the IQ result that ends them.
        let resources = req.server.sm().resources(owner);
        let target = resources
            .iter()
            .find(|r| req.from.as_str() == r.jid.as_str());
        let mut messages: Vec<&ArchivedMessage> = page.messages.iter().collect();
        if q.flip {
            messages.reverse();
        }
        if let Some(target) = target {
            for m in messages {
                let Ok(original) = Element::parse_str(&m.xml, &ParseLimits::default()) else {
                    tracing::error!(owner = %owner, id = m.id, "archived message does not parse; skipped");
                    continue;
                };
                let mut result = Element::new("result", ns).with_attr("id", id::external(m.id));
                if let Some(qid) = &q.query_id {
                    result.set_attr("queryid", qid);
                }
                result.append_child(
                    Element::new("forwarded", ns::FORWARD)
                        .with_child(
                            Element::new("delay", ns::DELAY)
                                .with_attr("stamp", timestamp_us(id::micros(m.id))),
                        )
                        .with_child(original),
                );
                let msg = Element::new("message", ns::CLIENT)
                    .with_attr("from", owner.as_str())
                    .with_attr("to", req.from.as_str())
                    .with_attr("id", crate::util::random_hex(8))
                    .with_child(result);
                crate::router::deliver(req.server, target, msg).await;
            }
        }
        let mut set = Element::new("set", NS_RSM);
        if let (Some(first), Some(last)) = (page.messages.first(), page.messages.last()) {
            set.append_child(
                Element::new("first", NS_RSM)
                    .with_attr("index", page.first_index.to_string())
                    .with_text(id::external(first.id)),
            );
            set.append_child(Element::new("last", NS_RSM).with_text(id::external(last.id)));
        }
        set.append_child(Element::new("count", NS_RSM).with_text(page.total.to_string()));
        let mut fin = Element::new("fin", ns).with_child(set);
        if complete {
            fin.set_attr("complete", "true");
        }
        if let Some(qid) = &q.query_id {
            fin.set_attr("queryid", qid);
        }
        Some(req.result().with_child(fin))
    }

    async fn prefs(&self, req: &IqRequest<'_>, owner: &BareJid, ns: &str) -> Element {
        let fail = |e: StoreError| {
            tracing::error!(owner = %owner, error = %e, "archive preferences failed");
            req.error(cond::INTERNAL_SERVER_ERROR)
        };
        let prefs = if req.set {
            let p = req.payload;
            let default = p.attr("default").unwrap_or("always");
            if !matches!(default, "always" | "never" | "roster") {
                return bad(req, "Invalid default");
            }
            let jids = |list: &str| -> Result<Vec<String>, ()> {
                let mut out = Vec::new();
                if let Some(l) = p.get_child(list, ns) {
                    for j in l.children().filter(|c| c.name() == "jid") {
                        let jid = Jid::new(j.text().trim()).map_err(|_| ())?;
                        out.push(jid.to_bare().to_string());
                    }
                }
                Ok(out)
            };
            let (Ok(always), Ok(never)) = (jids("always"), jids("never")) else {
                return bad(req, "Invalid jid");
            };
            let prefs = MamPrefs {
                default: default.to_owned(),
                always,
                never,
            };
            if let Err(e) = self.store.mam_prefs_set(owner.as_str(), &prefs).await {
                self.prefs_cache().remove(owner.as_str());
                return fail(e);
            }
            self.remember_prefs(owner, Some(Arc::new(prefs.clone())));
            prefs
        } else {
            match self.prefs_of(owner).await {
                Ok(p) => p.map_or_else(
                    || MamPrefs {
                        default: "always".to_owned(),
                        ..MamPrefs::default()
                    },
                    |p| (*p).clone(),
                ),
                Err(e) => return fail(e),
            }
        };
        let list = |name: &str, jids: &[String]| {
            let mut l = Element::new(name, ns);
            for j in jids {
                l.append_child(Element::new("jid", ns).with_text(j.clone()));
            }
            l
        };
        req.result().with_child(
            Element::new("prefs", ns)
                .with_attr("default", prefs.default.clone())
                .with_child(list("always", &prefs.always))
                .with_child(list("never", &prefs.never)),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_increase_and_round_trip_in_mongooseims_form() {
        let a = id::next();
        let b = id::next();
        assert!(b > a);
        assert_eq!(id::parse(&id::external(a)), Some(a));
        assert_eq!(id::parse(&id::external(a).to_lowercase()), Some(a));
        // integer_to_binary(1234567890123, 32) in Erlang.
        assert_eq!(id::external(1_234_567_890_123), "13TOVM16B");
        assert_eq!(id::parse("13TOVM16B"), Some(1_234_567_890_123));
        assert_eq!(id::parse("W"), None);
        assert_eq!(id::parse(""), None);
        assert_eq!(id::parse("ZZZZZZZZZZZZZZ"), None);
        let now = now_us();
        assert!(id::micros(id::next()) >= now);
    }

    #[test]
    fn search_text_is_lowercase_words() {
        assert_eq!(
            search_text("Hello, World!  It's ÜBER-fine"),
            "hello world it s über fine"
        );
    }

    #[test]
    fn what_is_archived() {
        let c = MamConfig::default();
        let parse = |x: &str| Element::parse_str(x, &ParseLimits::default()).unwrap();
        assert!(archivable(
            &parse("<message xmlns='jabber:client' type='chat'><body>x</body></message>"),
            &c
        ));
        assert!(archivable(
            &parse("<message xmlns='jabber:client'><body>x</body></message>"),
            &c
        ));
        assert!(!archivable(
            &parse("<message xmlns='jabber:client' type='groupchat'><body>x</body></message>"),
            &c
        ));
        assert!(!archivable(
            &parse(
                "<message xmlns='jabber:client' type='chat'><active xmlns='http://jabber.org/protocol/chatstates'/></message>"
            ),
            &c
        ));
        assert!(!archivable(
            &parse(
                "<message xmlns='jabber:client' type='chat'><body>x</body><no-store xmlns='urn:xmpp:hints'/></message>"
            ),
            &c
        ));
        let marker = parse(
            "<message xmlns='jabber:client' type='chat'><displayed xmlns='urn:xmpp:chat-markers:0' id='1'/></message>",
        );
        assert!(!archivable(&marker, &c));
        assert!(archivable(
            &marker,
            &MamConfig {
                archive_chat_markers: true,
                ..c.clone()
            }
        ));
        let retract = parse(
            "<message xmlns='jabber:client' type='chat'><apply-to xmlns='urn:xmpp:fasten:0' id='1'><retract xmlns='urn:xmpp:message-retract:0'/></apply-to></message>",
        );
        assert!(archivable(&retract, &c));
    }
}
