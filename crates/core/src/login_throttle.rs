//! Login failure throttling (a meerkat extension; MongooseIM has none): after too many
//! failed SASL authentications within a window, from one IP address or for one account,
//! further attempts from that address or for that account are refused with
//! `temporary-auth-failure` for a while, even with the right password.
//!
//! Accounts are tracked by the name the client gave, whether or not the account exists,
//! so a lockout does not tell which accounts exist. Both maps are bounded
//! (`max_tracked` entries each): expired entries are swept when a map is full, and while
//! it is still full new keys are not tracked (a warning is logged).
//!
//! ```toml
//! [auth.login_throttle]
//!   max_failures_per_account = 5   # or "infinity" to disable
//!   max_failures_per_ip = 20       # or "infinity" to disable
//!   window = 60                    # seconds in which failures are counted
//!   lockout = 60                   # seconds attempts are refused after the limit
//!   max_tracked = 100_000          # entries per map (addresses, accounts)
//! ```

use crate::config::{Diagnostics, Limit, Positive, Section};
use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// `[auth.login_throttle]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ThrottleSettings {
    /// Failures for one account within `window` that lock it (`None` = never).
    pub max_failures_per_account: Option<u32>,
    /// Failures from one IP address within `window` that lock it (`None` = never).
    pub max_failures_per_ip: Option<u32>,
    /// Window in which failures are counted.
    pub window: Duration,
    /// How long a locked address or account is refused.
    pub lockout: Duration,
    /// Entries per map at most.
    pub max_tracked: usize,
}

impl Default for ThrottleSettings {
    fn default() -> Self {
        ThrottleSettings {
            max_failures_per_account: Some(5),
            max_failures_per_ip: Some(20),
            window: Duration::from_secs(60),
            lockout: Duration::from_secs(60),
            max_tracked: 100_000,
        }
    }
}

/// Reads `[auth.login_throttle]`.
pub fn read_settings(mut s: Section<'_>, diag: &mut Diagnostics) -> ThrottleSettings {
    let d = ThrottleSettings::default();
    let count = |l: Option<Limit>, default: Option<u32>| match l {
        None => default,
        Some(Limit::Infinity) => None,
        Some(Limit::Finite(n)) => Some(u32::try_from(n).unwrap_or(u32::MAX).max(1)),
    };
    let per_account = s.opt::<Limit>("max_failures_per_account", diag);
    let per_ip = s.opt::<Limit>("max_failures_per_ip", diag);
    let secs = |p: Option<Positive>, default: Duration| {
        p.map_or(default, |p| {
            Duration::from_secs(p.0.min(u64::from(u32::MAX)))
        })
    };
    let window = secs(s.opt("window", diag), d.window);
    let lockout = secs(s.opt("lockout", diag), d.lockout);
    let max_tracked = s
        .opt::<Positive>("max_tracked", diag)
        .map_or(d.max_tracked, |p| {
            usize::try_from(p.0).unwrap_or(usize::MAX)
        });
    s.finish(diag);
    ThrottleSettings {
        max_failures_per_account: count(per_account, d.max_failures_per_account),
        max_failures_per_ip: count(per_ip, d.max_failures_per_ip),
        window,
        lockout,
        max_tracked,
    }
}

#[derive(Clone, Copy, Debug)]
struct Entry {
    failures: u32,
    window_start: Instant,
    locked_until: Option<Instant>,
}

impl Entry {
    fn stale(&self, now: Instant, window: Duration) -> bool {
        self.locked_until.is_none_or(|t| t <= now)
            && now.saturating_duration_since(self.window_start) >= window
    }
}

struct Tracker<K> {
    map: HashMap<K, Entry>,
    last_sweep: Option<Instant>,
}

impl<K: Hash + Eq + Clone> Tracker<K> {
    fn new() -> Self {
        Tracker {
            map: HashMap::new(),
            last_sweep: None,
        }
    }

    fn locked(&self, key: &K, now: Instant) -> bool {
        self.map
            .get(key)
            .and_then(|e| e.locked_until)
            .is_some_and(|t| t > now)
    }

    /// Counts a failure; true when it locks the key.
    fn fail(&mut self, key: &K, max: u32, s: &ThrottleSettings, now: Instant) -> bool {
        if !self.map.contains_key(key) && self.map.len() >= s.max_tracked {
            // Sweep at most once a second, so a full map does not cost a scan per failure.
            if self
                .last_sweep
                .is_none_or(|t| now.saturating_duration_since(t) >= Duration::from_secs(1))
            {
                self.last_sweep = Some(now);
                self.map.retain(|_, e| !e.stale(now, s.window));
            }
            if self.map.len() >= s.max_tracked {
                tracing::warn!(
                    max_tracked = s.max_tracked,
                    "login throttle map full; failure not tracked"
                );
                return false;
            }
        }
        let e = self.map.entry(key.clone()).or_insert(Entry {
            failures: 0,
            window_start: now,
            locked_until: None,
        });
        if e.locked_until.is_some_and(|t| t > now) {
            return false;
        }
        if now.saturating_duration_since(e.window_start) >= s.window || e.locked_until.is_some() {
            e.failures = 0;
            e.window_start = now;
            e.locked_until = None;
        }
        e.failures = e.failures.saturating_add(1);
        if e.failures >= max {
            e.locked_until = now.checked_add(s.lockout);
            e.failures = 0;
            return true;
        }
        false
    }

    fn forget(&mut self, key: &K) {
        self.map.remove(key);
    }
}

/// The throttle's state: one map per address, one per account.
pub struct LoginThrottle {
    settings: ThrottleSettings,
    by_ip: Mutex<Tracker<IpAddr>>,
    by_account: Mutex<Tracker<String>>,
}

/// Why an attempt is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Locked {
    /// Too many failures from this address.
    Ip,
    /// Too many failures for this account.
    Account,
}

impl LoginThrottle {
    /// An empty throttle.
    pub fn new(settings: ThrottleSettings) -> LoginThrottle {
        LoginThrottle {
            settings,
            by_ip: Mutex::new(Tracker::new()),
            by_account: Mutex::new(Tracker::new()),
        }
    }

    /// Whether an attempt from `ip` for `account` must be refused now.
    pub fn check(&self, ip: Option<IpAddr>, account: Option<&str>) -> Result<(), Locked> {
        let now = Instant::now();
        if let Some(ip) = ip
            && self.settings.max_failures_per_ip.is_some()
            && self
                .by_ip
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .locked(&ip, now)
        {
            return Err(Locked::Ip);
        }
        if let Some(account) = account
            && self.settings.max_failures_per_account.is_some()
            && self
                .by_account
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .locked(&account.to_owned(), now)
        {
            return Err(Locked::Account);
        }
        Ok(())
    }

    /// Records a failed attempt.
    pub fn failed(&self, ip: Option<IpAddr>, account: Option<&str>) {
        let now = Instant::now();
        let s = &self.settings;
        if let (Some(ip), Some(max)) = (ip, s.max_failures_per_ip)
            && self
                .by_ip
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .fail(&ip, max, s, now)
        {
            tracing::warn!(ip = %ip, lockout_s = s.lockout.as_secs(), "too many failed logins from this address; locked");
        }
        if let (Some(account), Some(max)) = (account, s.max_failures_per_account)
            && self
                .by_account
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .fail(&account.to_owned(), max, s, now)
        {
            tracing::warn!(
                account,
                lockout_s = s.lockout.as_secs(),
                "too many failed logins for this account; locked"
            );
        }
    }

    /// Records a successful login: the account's failures are forgotten (the address's
    /// are not, so one good account does not clear an address that guesses others).
    pub fn succeeded(&self, account: &str) {
        if self.settings.max_failures_per_account.is_some() {
            self.by_account
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .forget(&account.to_owned());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(max_tracked: usize) -> ThrottleSettings {
        ThrottleSettings {
            max_failures_per_account: Some(3),
            max_failures_per_ip: Some(5),
            window: Duration::from_secs(10),
            lockout: Duration::from_secs(30),
            max_tracked,
        }
    }

    #[test]
    fn locks_after_max_failures_and_unlocks_after_lockout() {
        let s = settings(10);
        let mut t = Tracker::<String>::new();
        let k = "a@h".to_owned();
        let t0 = Instant::now();
        assert!(!t.fail(&k, 3, &s, t0));
        assert!(!t.fail(&k, 3, &s, t0));
        assert!(t.fail(&k, 3, &s, t0));
        assert!(t.locked(&k, t0 + Duration::from_secs(29)));
        // Failures while locked do not extend the lockout.
        assert!(!t.fail(&k, 3, &s, t0 + Duration::from_secs(29)));
        assert!(!t.locked(&k, t0 + Duration::from_secs(30)));
        // A fresh count afterwards.
        assert!(!t.fail(&k, 3, &s, t0 + Duration::from_secs(31)));
        assert!(!t.locked(&k, t0 + Duration::from_secs(31)));
    }

    #[test]
    fn failures_outside_the_window_do_not_add_up() {
        let s = settings(10);
        let mut t = Tracker::<String>::new();
        let k = "a@h".to_owned();
        let t0 = Instant::now();
        assert!(!t.fail(&k, 3, &s, t0));
        assert!(!t.fail(&k, 3, &s, t0 + Duration::from_secs(5)));
        assert!(!t.fail(&k, 3, &s, t0 + Duration::from_secs(11)));
        assert!(!t.fail(&k, 3, &s, t0 + Duration::from_secs(12)));
        assert!(t.fail(&k, 3, &s, t0 + Duration::from_secs(13)));
    }

    #[test]
    fn maps_are_bounded() {
        let s = settings(4);
        let mut t = Tracker::<u32>::new();
        let t0 = Instant::now();
        for k in 0..100 {
            t.fail(&k, 3, &s, t0);
        }
        assert_eq!(t.map.len(), 4);
        // Once the old entries are stale, a sweep makes room.
        let later = t0 + Duration::from_secs(11);
        assert!(!t.fail(&1000, 1000, &s, later));
        assert_eq!(t.map.len(), 1);
    }

    #[test]
    fn throttle_by_ip_and_account() {
        let th = LoginThrottle::new(settings(10));
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        for _ in 0..3 {
            assert_eq!(th.check(Some(ip), Some("a@h")), Ok(()));
            th.failed(Some(ip), Some("a@h"));
        }
        assert_eq!(th.check(Some(ip), Some("a@h")), Err(Locked::Account));
        assert_eq!(th.check(Some(ip), Some("b@h")), Ok(()));
        th.failed(Some(ip), Some("b@h"));
        th.failed(Some(ip), Some("c@h"));
        assert_eq!(th.check(Some(ip), Some("d@h")), Err(Locked::Ip));
        assert_eq!(th.check(None, Some("d@h")), Ok(()));
        th.succeeded("b@h");
    }
}
