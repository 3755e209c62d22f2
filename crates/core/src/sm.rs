//! The session manager: which full JIDs are online, and the mailbox of each session.
//!
//! Sessions are sharded by bare JID so that routing one user's stanza never contends with
//! another user's; each shard is a short-held `RwLock`.

use meerkat_xmpp::{BareJid, Element, FullJid};
use std::collections::HashMap;
use std::collections::VecDeque;
use std::hash::BuildHasher;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::SystemTime;
use tokio::sync::Notify;

/// Process-unique session number.
pub type SessionId = u64;

/// How many routed items a session may have queued; one more overflows it (see
/// [`Mailbox`]).
pub const MAILBOX_CAPACITY: usize = 512;

/// How many bytes of stanzas (estimated by [`queued_size`], about their serialized length)
/// a session may have queued; one more stanza overflows it (see [`Mailbox`]). A single
/// stanza always fits an empty mailbox, whatever its size.
pub const MAILBOX_BYTES: usize = 1024 * 1024;

/// The text of the `policy-violation` stream error that ends an overflowed session.
pub const OVERFLOW_REASON: &str = "too many queued stanzas";

/// What the router puts in a session's mailbox.
#[derive(Debug)]
pub enum Routed {
    /// A stanza addressed to this session (its `to` and `from` are set).
    Stanza(Box<Element>),
    /// A roster push, sent to the client only if it has asked for its roster.
    RosterPush(Box<RosterPush>),
    /// Another session bound the same resource: end this one with a `conflict` stream error.
    /// A control item: it never waits behind queued stanzas and is never refused.
    Replaced,
    /// An administrator ended the session (the reason is boxed to keep `Routed` small), or
    /// its mailbox overflowed ([`OVERFLOW_REASON`]). A control item, like `Replaced`.
    Kick(Box<String>),
    /// An administrator set the session's presence: handle it as if the client had sent
    /// it (broadcast to subscribers and the user's other resources).
    SetPresence(Box<Element>),
}

// Every queued item is one of these: keep it small.
const _: () = assert!(std::mem::size_of::<Routed>() <= 16);

impl Routed {
    /// An administrator's kick with its reason.
    pub fn kick(reason: impl Into<String>) -> Routed {
        Routed::Kick(Box::new(reason.into()))
    }

    fn is_control(&self) -> bool {
        matches!(self, Routed::Replaced | Routed::Kick(_))
    }

    /// What the item counts against [`MAILBOX_BYTES`].
    fn size(&self) -> usize {
        match self {
            Routed::Stanza(el) | Routed::SetPresence(el) => queued_size(el),
            Routed::RosterPush(p) => queued_size(&p.item).saturating_add(64),
            Routed::Replaced | Routed::Kick(_) => 0,
        }
    }
}

/// A cheap estimate of an element's serialized length (names, namespaces, attributes and
/// text; escaping not counted), without serializing it.
pub fn queued_size(el: &Element) -> usize {
    let mut n = el
        .name()
        .len()
        .saturating_mul(2)
        .saturating_add(el.ns().len())
        .saturating_add(16);
    for a in el.all_attrs() {
        n = n
            .saturating_add(a.name().len())
            .saturating_add(a.value().len())
            .saturating_add(4);
    }
    for node in el.nodes() {
        n = n.saturating_add(match node {
            meerkat_xmpp::Node::Element(c) => queued_size(c),
            meerkat_xmpp::Node::Text(t) => t.len(),
        });
    }
    n
}

/// Why [`Resource::offer`] did not queue an item; the item comes back.
#[derive(Debug)]
pub enum Refused {
    /// The session's mailbox overflowed and the session is being closed: refuse (for a
    /// stanza, the sender gets `resource-constraint`).
    Full(Routed),
    /// The session has ended (its mailbox was drained and closed): route the stanza again,
    /// it never reached the session.
    Gone(Routed),
}

#[derive(Default)]
struct Queue {
    /// Data items with the size each counts against the budget.
    items: VecDeque<(Routed, usize)>,
    bytes: usize,
    /// A pending control item (`Replaced` wins over a kick).
    control: Option<Routed>,
    /// Over budget: refuse data until the session ends.
    overflowed: bool,
    /// Drained for good: refuse everything.
    closed: bool,
}

/// The state a session's mailbox shares between its senders ([`Resource`]) and its
/// receivers ([`Mailbox`]). An idle session's costs one small allocation: the queue
/// allocates only while items wait.
struct Shared {
    queue: Mutex<Queue>,
    notify: Notify,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailbox").finish_non_exhaustive()
    }
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn offer(&self, item: Routed) -> Result<(), Refused> {
        if item.is_control() {
            let mut q = self.lock();
            if q.closed {
                return Err(Refused::Gone(item));
            }
            if !matches!(q.control, Some(Routed::Replaced)) {
                q.control = Some(item);
            }
            drop(q);
            self.notify.notify_one();
            return Ok(());
        }
        let size = item.size();
        let mut q = self.lock();
        if q.closed {
            return Err(Refused::Gone(item));
        }
        if q.overflowed {
            return Err(Refused::Full(item));
        }
        let over = !q.items.is_empty()
            && (q.items.len() >= MAILBOX_CAPACITY || q.bytes.saturating_add(size) > MAILBOX_BYTES);
        if over {
            // The stanza that overflows is queued all the same: the session ends, and
            // everything queued, this one included, is routed again (offline storage or a
            // bounce). Later ones are refused until then.
            q.overflowed = true;
            if q.control.is_none() {
                q.control = Some(Routed::kick(OVERFLOW_REASON));
            }
        }
        q.bytes = q.bytes.saturating_add(size);
        q.items.push_back((item, size));
        drop(q);
        self.notify.notify_one();
        Ok(())
    }
}

/// The receiving end of a session's mailbox.
///
/// Data (stanzas, roster pushes, admin presence) is queued in order within a budget of
/// [`MAILBOX_CAPACITY`] items and [`MAILBOX_BYTES`] bytes. The item that would exceed it
/// is still queued, the mailbox refuses data from then on, and the session is told to end
/// (a [`Routed::Kick`] with [`OVERFLOW_REASON`]): a client that does not read cannot make
/// the server hold more than that.
///
/// Control items ([`Routed::Kick`], [`Routed::Replaced`]) do not queue: they take a slot
/// that [`Mailbox::recv`] looks at first, so that a full mailbox never delays or refuses a
/// kick. A transport blocked writing to a slow client waits on [`Mailbox::control`] too.
///
/// When the session ends, [`Mailbox::close`] takes what is left (to be routed again) and
/// refuses everything from then on.
pub struct Mailbox {
    shared: Arc<Shared>,
    /// The owner's handle closes the mailbox when dropped.
    owner: bool,
}

impl std::fmt::Debug for Mailbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailbox").finish_non_exhaustive()
    }
}

impl Mailbox {
    /// A second receiving handle on the same mailbox (for the transport, while the session
    /// machine keeps the owner's to drain it at the end).
    pub(crate) fn handle(&self) -> Mailbox {
        Mailbox {
            shared: self.shared.clone(),
            owner: false,
        }
    }

    /// The next item: a pending control item first, then data in order. `None` once the
    /// mailbox is closed. Cancel-safe.
    pub async fn recv(&mut self) -> Option<Routed> {
        loop {
            if let Some(item) = self.try_recv_inner() {
                return item;
            }
            self.shared.notify.notified().await;
        }
    }

    /// The next item if one is waiting (`None` when empty or closed).
    pub fn try_recv(&mut self) -> Option<Routed> {
        self.try_recv_inner().flatten()
    }

    // `Some(None)`: closed; `None`: nothing yet.
    fn try_recv_inner(&self) -> Option<Option<Routed>> {
        let mut q = self.shared.lock();
        if let Some(c) = q.control.take() {
            return Some(Some(c));
        }
        if let Some((item, size)) = q.items.pop_front() {
            q.bytes = q.bytes.saturating_sub(size);
            if q.items.is_empty() && q.items.capacity() > 32 {
                // Give a burst's memory back once it is delivered.
                q.items = VecDeque::new();
            }
            return Some(Some(item));
        }
        if q.closed { Some(None) } else { None }
    }

    /// Whether a control item waits.
    pub fn has_control(&self) -> bool {
        self.shared.lock().control.is_some()
    }

    /// Completes when a control item waits (it stays for [`Mailbox::recv`]). A transport
    /// selects on it while it waits on a slow client, so that a kick or an overflow ends a
    /// session whose client does not read.
    pub async fn control(&self) {
        loop {
            if self.has_control() {
                return;
            }
            self.shared.notify.notified().await;
        }
    }

    /// Closes the mailbox and returns what was queued, in order: from now on senders get
    /// [`Refused::Gone`]. Call it after the session is unregistered.
    pub fn close(&self) -> Vec<Routed> {
        let mut q = self.shared.lock();
        q.closed = true;
        q.control = None;
        q.bytes = 0;
        let items = std::mem::take(&mut q.items);
        drop(q);
        // Wake a receiver so that it sees the end.
        self.shared.notify.notify_one();
        items.into_iter().map(|(item, _)| item).collect()
    }
}

impl Drop for Mailbox {
    fn drop(&mut self) {
        if self.owner {
            let lost = self.close();
            if !lost.is_empty() {
                tracing::warn!(
                    items = lost.len(),
                    "session mailbox dropped with items queued"
                );
            }
        }
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
    tx: Arc<Shared>,
}

impl Resource {
    /// Queues an item for the session. `false` when its mailbox refused it (overflowed,
    /// or the session is gone). A kick or a replacement is never refused by a full mailbox.
    pub fn send(&self, item: Routed) -> bool {
        self.tx.offer(item).is_ok()
    }

    /// What waits in the session's mailbox: items and their estimated bytes.
    pub fn queued(&self) -> (usize, usize) {
        let q = self.tx.lock();
        (q.items.len(), q.bytes)
    }

    /// Queues an item for the session, or says why not and hands it back.
    pub fn offer(&self, item: Routed) -> Result<(), Refused> {
        self.tx.offer(item)
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
    /// Its mailbox (the owner's handle: dropping it closes the mailbox).
    pub mailbox: Mailbox,
}

impl SessionManager {
    fn shard(&self, bare: &BareJid) -> &Shard {
        &self.shards[(self.hasher.hash_one(bare) as usize) % self.shards.len()]
    }

    /// Registers a bound resource. A session already holding the same full JID is told it
    /// was replaced and removed. When the user then has more than `max_sessions`
    /// sessions, the oldest are replaced too (MongooseIM's `max_user_sessions`).
    pub fn register(&self, jid: &FullJid, info: SessionInfo, max_sessions: usize) -> Registration {
        let tx = Arc::new(Shared {
            queue: Mutex::new(Queue::default()),
            notify: Notify::new(),
        });
        let mailbox = Mailbox {
            shared: tx.clone(),
            owner: true,
        };
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
            let _ = old.tx.offer(Routed::Replaced);
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
            let _ = old.tx.offer(Routed::Replaced);
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

#[cfg(test)]
mod tests {
    use super::*;

    fn session(sm: &SessionManager, jid: &str) -> (Resource, Mailbox) {
        let jid = FullJid::new(jid).unwrap();
        let info = SessionInfo {
            connection: "test",
            ip: None,
            port: 0,
            started: SystemTime::now(),
        };
        let reg = sm.register(&jid, info, usize::MAX);
        (sm.resource(&jid).unwrap(), reg.mailbox)
    }

    fn stanza(body_len: usize) -> Routed {
        Routed::Stanza(Box::new(
            Element::new("message", meerkat_xmpp::ns::CLIENT).with_child(
                Element::new("body", meerkat_xmpp::ns::CLIENT).with_text("x".repeat(body_len)),
            ),
        ))
    }

    #[tokio::test]
    async fn the_overflowing_stanza_is_kept_later_ones_refused_and_a_kick_comes_first() {
        let sm = SessionManager::default();
        let (r, mut mailbox) = session(&sm, "a@b/c");
        // One stanza bigger than the budget fits an empty mailbox.
        assert!(r.offer(stanza(2 * MAILBOX_BYTES)).is_ok());
        assert!(!mailbox.has_control());
        // The next one overflows: queued all the same, and the session is told to end.
        assert!(r.offer(stanza(10)).is_ok());
        assert!(matches!(r.offer(stanza(10)), Err(Refused::Full(_))));
        assert_eq!(r.queued().0, 2);
        match mailbox.recv().await {
            Some(Routed::Kick(reason)) => assert_eq!(*reason, OVERFLOW_REASON),
            other => panic!("expected the overflow kick first, got {other:?}"),
        }
        // A kick is never refused by a full mailbox.
        assert!(r.send(Routed::kick("bye")));
        assert!(matches!(mailbox.recv().await, Some(Routed::Kick(k)) if *k == "bye"));
        assert!(matches!(mailbox.recv().await, Some(Routed::Stanza(_))));
        // Closing hands back what is left; then everything is refused as gone.
        assert_eq!(mailbox.close().len(), 1);
        assert!(matches!(r.offer(stanza(1)), Err(Refused::Gone(_))));
        assert!(!r.send(Routed::kick("late")));
        assert!(mailbox.recv().await.is_none());
    }

    #[tokio::test]
    async fn the_count_limit_holds_for_small_stanzas() {
        let sm = SessionManager::default();
        let (r, mailbox) = session(&sm, "a@b/c");
        for _ in 0..MAILBOX_CAPACITY {
            assert!(r.offer(stanza(1)).is_ok());
        }
        assert!(!mailbox.has_control());
        assert!(r.offer(stanza(1)).is_ok());
        assert!(mailbox.has_control());
        assert!(matches!(r.offer(stanza(1)), Err(Refused::Full(_))));
        // The wait a transport does while it writes to a slow client ends.
        tokio::time::timeout(std::time::Duration::from_secs(1), mailbox.control())
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn a_replaced_session_is_told_through_the_control_slot() {
        let sm = SessionManager::default();
        let (r, mut old) = session(&sm, "a@b/c");
        for _ in 0..10 {
            assert!(r.offer(stanza(1)).is_ok());
        }
        let (_new, _mailbox) = session(&sm, "a@b/c");
        assert!(matches!(old.recv().await, Some(Routed::Replaced)));
    }
}
