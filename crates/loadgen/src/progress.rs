//! The progress line: once a second on stderr, what is being done and how far along.

use crate::server;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

struct Phase {
    name: String,
    total: usize,
    done: Arc<AtomicUsize>,
    /// Server to show RSS and open files of.
    pid: Option<u32>,
    last_done: usize,
}

/// Prints one line per second for the current phase; [`Progress::note`] prints events.
pub struct Progress {
    started: Instant,
    phase: Arc<Mutex<Option<Phase>>>,
    ticker: tokio::task::JoinHandle<()>,
}

impl Progress {
    pub fn start() -> Progress {
        let started = Instant::now();
        let phase: Arc<Mutex<Option<Phase>>> = Arc::default();
        let shared = phase.clone();
        let ticker = tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            tick.tick().await;
            loop {
                tick.tick().await;
                let mut guard = shared.lock().unwrap_or_else(|e| e.into_inner());
                let Some(p) = guard.as_mut() else { continue };
                let done = p.done.load(Ordering::Relaxed);
                let rate = done.saturating_sub(p.last_done);
                p.last_done = done;
                let server = p.pid.map_or(String::new(), |pid| {
                    let rss = server::rss(pid).map(|r| crate::report::mib(r.total));
                    format!(
                        ", server RSS {}, {} sockets",
                        rss.unwrap_or_else(|_| "?".into()),
                        server::open_sockets(pid)
                    )
                });
                let total = if p.total > 0 {
                    format!("/{}", p.total)
                } else {
                    String::new()
                };
                eprintln!(
                    "[{:6.1}s] {} {done}{total} ({rate}/s){server}",
                    started.elapsed().as_secs_f64(),
                    p.name,
                );
            }
        });
        Progress {
            started,
            phase,
            ticker,
        }
    }

    /// Starts reporting a new phase; `done` is advanced by the workers.
    pub fn phase(
        &self,
        name: impl Into<String>,
        total: usize,
        done: Arc<AtomicUsize>,
        pid: Option<u32>,
    ) {
        *self.phase.lock().unwrap_or_else(|e| e.into_inner()) = Some(Phase {
            name: name.into(),
            total,
            done,
            pid,
            last_done: 0,
        });
    }

    /// Prints an event (and pauses the progress line until the next phase).
    pub fn note(&self, text: String) {
        *self.phase.lock().unwrap_or_else(|e| e.into_inner()) = None;
        eprintln!("[{:6.1}s] {text}", self.started.elapsed().as_secs_f64());
    }

    pub fn stop(self) {
        self.ticker.abort();
    }
}
