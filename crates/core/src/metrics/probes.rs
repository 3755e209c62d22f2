//! Gauges sampled every `[instrumentation] probe_interval`: sessions, uptime, process
//! memory and file descriptors, TLS certificate validity.

use crate::Server;
use std::sync::atomic::Ordering;

impl Server {
    /// Starts the background task that samples the probe gauges every `probe_interval`
    /// (once per server; later calls do nothing). Samples once right away. Must be called
    /// inside a tokio runtime; the task ends once the server is dropped.
    pub fn start_probes(&self) {
        let metrics = self.metrics();
        if metrics.probes_started.swap(true, Ordering::AcqRel) {
            return;
        }
        self.sample_probes();
        let interval = self.config().instrumentation.probe_interval;
        let weak = self.downgrade();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(interval);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            tick.tick().await; // the first tick is immediate
            loop {
                tick.tick().await;
                let Some(server) = Server::upgrade(&weak) else {
                    break;
                };
                server.sample_probes();
            }
            tracing::debug!("probe task stopped");
        });
        tracing::debug!(interval_s = interval.as_secs(), "probe task started");
    }

    /// Sets every probe gauge from the current state.
    pub fn sample_probes(&self) {
        let p = &self.metrics().probes;
        let sessions = i64::try_from(self.sm().count()).unwrap_or(i64::MAX);
        p.node_sessions.set(sessions);
        p.total_sessions.set(sessions);
        p.unique_sessions
            .set(i64::try_from(self.sm().unique_count()).unwrap_or(i64::MAX));
        p.up_time
            .set(i64::try_from(self.uptime().as_secs()).unwrap_or(i64::MAX));
        if let Some(rss) = resident_bytes() {
            p.memory_total.set(rss);
        }
        if let Some(n) = open_fds() {
            p.open_fds.set(n);
        }
        if let Some(n) = fd_limit() {
            p.fd_limit.set(n);
        }
        self.metrics().update_tls_days(crate::util::now_secs());
    }
}

/// `VmRSS` of /proc/self/status, in bytes (Linux).
fn resident_bytes() -> Option<i64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    parse_vm_rss(&status)
}

fn parse_vm_rss(status: &str) -> Option<i64> {
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let mut parts = line["VmRSS:".len()..].split_whitespace();
    let value: i64 = parts.next()?.parse().ok()?;
    match parts.next() {
        Some("kB") => value.checked_mul(1024),
        _ => None,
    }
}

/// Entries of /proc/self/fd (Linux).
fn open_fds() -> Option<i64> {
    let dir = std::fs::read_dir("/proc/self/fd").ok()?;
    // The directory handle itself is one of the entries; leave it out.
    i64::try_from(dir.count()).ok().map(|n| (n - 1).max(0))
}

/// The soft `Max open files` limit of /proc/self/limits (Linux; -1 when unlimited).
fn fd_limit() -> Option<i64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    parse_fd_limit(&limits)
}

fn parse_fd_limit(limits: &str) -> Option<i64> {
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    let soft = line["Max open files".len()..].split_whitespace().next()?;
    if soft == "unlimited" {
        Some(-1)
    } else {
        soft.parse().ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_parsers() {
        assert_eq!(
            parse_vm_rss("Name:\tx\nVmRSS:\t   12345 kB\nVmData: 1 kB\n"),
            Some(12_641_280)
        );
        assert_eq!(parse_vm_rss("VmRSS: 12\n"), None);
        assert_eq!(parse_vm_rss(""), None);
        let limits = "Limit                     Soft Limit           Hard Limit           Units     \nMax open files            1024                 524288               files     \n";
        assert_eq!(parse_fd_limit(limits), Some(1024));
        assert_eq!(
            parse_fd_limit(
                "Max open files            unlimited            unlimited            files\n"
            ),
            Some(-1)
        );
        assert_eq!(parse_fd_limit("nothing"), None);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn proc_readers_work_here() {
        assert!(resident_bytes().unwrap() > 0);
        assert!(open_fds().unwrap() >= 3);
        assert!(fd_limit().is_some());
    }
}
