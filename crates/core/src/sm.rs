//! The session manager: which full JIDs are online, and the mailbox of each session.
//!
//! Sessions are sharded by bare JID so that routing one user's stanza never contends with
//! another user's; each shard is a short-held `RwLock`.

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};
use std::time::SystemTime;
use tokio::sync::mpsc;
use xmpp::{BareJid, Element, FullJid};

/// Process-unique session number.
pub type SessionId = u64;

/// How many routed items a session may have queued before senders get `resource-constraint`.
pub const MAILBOX_CAPACITY: usize = 512;

/// What the router puts in a session's mailbox.
#[derive(Debug)]
pub enum Routed {
    /// A stanza addressed to this session (its `to` and `from` are set).
    Stanza(Box<Element>),
    /// A roster push, sent to the client only if it has asked for its roster.
    RosterPush(Box<RosterPush>),
    /// Another session bound the same resource: end this one with a `conflict` stream error.
    Replaced,
    /// An administrator ended the session (the reason is boxed to keep `Routed` small).
    Kick(Box<String>),
    /// An administrator set the session's presence: handle it as if the client had sent
    /// it (broadcast to subscribers and the user's other resources).
    SetPresence(Box<Element>),
}

// Every idle session has a mailbox whose first block holds 32 of these: keep it small.
const _: () = assert!(std::mem::size_of::<Routed>() <= 16);

impl Routed {
    /// An administrator's kick with its reason.
    pub fn kick(reason: impl Into<String>) -> Routed {
        Routed::Kick(Box::new(reason.into()))
    }
}

/// A roster push: the `<item/>`, and the new roster version when versioning is on.
#[derive(Debug)]
pub struct RosterPush {
    /// The item.
    pub item: Element,
    /// The roster version after the change.
    pub version: Option<String>,
}

/// Facts about a session for the admin APIs.
#[derive(Clone, Debug)]
pub struct SessionInfo {
    /// Transport, as MongooseIM names it (`c2s` sessions over `websocket` or `bosh`).
    pub connection: &'static str,
    /// Peer address.
    pub ip: Option<IpAddr>,
    /// Peer port.
    pub port: u16,
    /// When the session was bound.
    pub started: SystemTime,
}

/// One online resource, as seen by routing.
#[derive(Clone, Debug)]
pub struct Resource {
    /// Session number.
    pub sid: SessionId,
    /// Full JID.
    pub jid: FullJid,
    /// Presence priority (meaningful when `available`).
    pub priority: i8,
    /// Whether the session has sent available presence.
    pub available: bool,
    /// Its last broadcast presence (for probes).
    pub presence: Option<Arc<Element>>,
    /// XEP-0280 carbons enabled.
    pub carbons: bool,
    /// Admin facts.
    pub info: SessionInfo,
    tx: mpsc::Sender<Routed>,
}

impl Resource {
    /// Queues an item for the session. `false` when its mailbox is full or it is gone.
    pub fn send(&self, item: Routed) -> bool {
        self.tx.try_send(item).is_ok()
    }
}

type Shard = RwLock<HashMap<BareJid, Vec<Resource>>>;

/// All sessions of this node.
pub struct SessionManager {
    shards: Box<[Shard]>,
    hasher: std::collections::hash_map::RandomState,
    next_sid: AtomicU64,
    count: AtomicUsize,
}

impl Default for SessionManager {
    fn default() -> Self {
        SessionManager {
            shards: (0..64).map(|_| RwLock::new(HashMap::new())).collect(),
            hasher: std::collections::hash_map::RandomState::new(),
            next_sid: AtomicU64::new(1),
            count: AtomicUsize::new(0),
        }
    }
}

/// What [`SessionManager::register`] returns.
pub struct Registration {
    /// The new session's number.
    pub sid: SessionId,
    /// Its mailbox.
    pub mailbox: mpsc::Receiver<Routed>,
}

impl SessionManager {
    fn shard(&self, bare: &BareJid) -> &Shard {
        &self.shards[(self.hasher.hash_one(bare) as usize) % self.shards.len()]
    }

    /// Registers a bound resource. A session already holding the same full JID is told it
    /// was replaced and removed. When the user then has more than `max_sessions`
    /// sessions, the oldest are replaced too (MongooseIM's `max_user_sessions`).
    pub fn register(&self, jid: &FullJid, info: SessionInfo, max_sessions: usize) -> Registration {
        let (tx, mailbox) = mpsc::channel(MAILBOX_CAPACITY);
        let sid = self.next_sid.fetch_add(1, Ordering::Relaxed);
        let bare = jid.to_bare();
        let entry = Resource {
            sid,
            jid: jid.clone(),
            priority: 0,
            available: false,
            presence: None,
            carbons: false,
            info,
            tx,
        };
        let mut shard = self.shard(&bare).write().unwrap_or_else(|e| e.into_inner());
        // Most users have one resource: do not reserve room for four.
        let list = shard.entry(bare).or_insert_with(|| Vec::with_capacity(1));
        if let Some(pos) = list.iter().position(|r| r.jid == *jid) {
            let old = list.swap_remove(pos);
            let _ = old.tx.try_send(Routed::Replaced);
        } else {
            self.count.fetch_add(1, Ordering::Relaxed);
        }
        list.push(entry);
        while list.len() > max_sessions.max(1) {
            // Session numbers grow: the smallest is the oldest session.
            let Some(oldest) = (0..list.len()).min_by_key(|&i| list[i].sid) else {
                break;
            };
            let old = list.remove(oldest);
            tracing::info!(jid = %old.jid, max_sessions, "max_user_sessions reached; oldest session replaced");
            let _ = old.tx.try_send(Routed::Replaced);
            self.count.fetch_sub(1, Ordering::Relaxed);
        }
        Registration { sid, mailbox }
    }

    /// Registers a session with no client behind it that takes messages (a GraphQL SSE
    /// subscription): available with `priority`, so messages to the bare JID reach it,
    /// but without a presence to broadcast or to answer probes with.
    pub fn register_listener(
        &self,
        jid: &FullJid,
        info: SessionInfo,
        priority: i8,
    ) -> Registration {
        let reg = self.register(jid, info, usize::MAX);
        self.update(jid, reg.sid, |r| {
            r.available = true;
            r.priority = priority;
        });
        reg
    }

    /// Removes a session (no-op if it was already replaced).
    pub fn unregister(&self, jid: &FullJid, sid: SessionId) -> bool {
        let bare = jid.to_bare();
        let mut shard = self.shard(&bare).write().unwrap_or_else(|e| e.into_inner());
        let Some(list) = shard.get_mut(&bare) else {
            return false;
        };
        let Some(pos) = list.iter().position(|r| r.sid == sid) else {
            return false;
        };
        list.swap_remove(pos);
        if list.is_empty() {
            shard.remove(&bare);
        }
        self.count.fetch_sub(1, Ordering::Relaxed);
        true
    }

    fn update(&self, jid: &FullJid, sid: SessionId, f: impl FnOnce(&mut Resource)) {
        let bare = jid.to_bare();
        let mut shard = self.shard(&bare).write().unwrap_or_else(|e| e.into_inner());
        if let Some(r) = shard
            .get_mut(&bare)
            .and_then(|l| l.iter_mut().find(|r| r.sid == sid))
        {
            f(r);
        }
    }

    /// Records a session's broadcast presence.
    pub fn set_presence(
        &self,
        jid: &FullJid,
        sid: SessionId,
        presence: Option<Arc<Element>>,
        priority: i8,
    ) {
        self.update(jid, sid, |r| {
            r.available = presence.is_some();
            r.priority = priority;
            r.presence = presence;
        });
    }

    /// Enables or disables carbons for a session.
    pub fn set_carbons(&self, jid: &FullJid, sid: SessionId, enabled: bool) {
        self.update(jid, sid, |r| r.carbons = enabled);
    }

    /// Snapshot of a user's online resources.
    pub fn resources(&self, bare: &BareJid) -> Vec<Resource> {
        let shard = self.shard(bare).read().unwrap_or_else(|e| e.into_inner());
        shard.get(bare).cloned().unwrap_or_default()
    }

    /// One resource.
    pub fn resource(&self, jid: &FullJid) -> Option<Resource> {
        let bare = jid.to_bare();
        let shard = self.shard(&bare).read().unwrap_or_else(|e| e.into_inner());
        shard
            .get(&bare)
            .and_then(|l| l.iter().find(|r| r.jid == *jid).cloned())
    }

    /// Number of sessions on this node.
    pub fn count(&self) -> usize {
        self.count.load(Ordering::Relaxed)
    }

    /// Number of distinct users online.
    pub fn unique_count(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.read().unwrap_or_else(|e| e.into_inner()).len())
            .sum()
    }

    /// Every session (for the admin APIs), optionally of one domain.
    pub fn all(&self, domain: Option<&str>) -> Vec<Resource> {
        let mut out = Vec::new();
        for s in self.shards.iter() {
            let s = s.read().unwrap_or_else(|e| e.into_inner());
            for (bare, list) in s.iter() {
                if domain.is_none_or(|d| bare.domain().as_str() == d) {
                    out.extend(list.iter().cloned());
                }
            }
        }
        out.sort_by(|a, b| a.jid.as_str().cmp(b.jid.as_str()));
        out
    }
}
