//! Logging in many sessions at once, with bounded concurrency and a progress line.

use crate::bosh::Bosh;
use crate::client::{Login, Mechanism, Session};
use crate::common::Common;
use crate::progress::Progress;
use crate::target::{Endpoint, Target, Users};
use futures_util::StreamExt;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

/// Sessions logged in, by user number (1-based), and the failures.
pub struct Batch<T> {
    pub ok: Vec<(usize, T)>,
    pub errors: Vec<String>,
    pub secs: f64,
}

/// Which transport a batch uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Transport {
    /// XMPP over WebSocket (RFC 7395).
    Ws,
    /// BOSH (XEP-0124/0206).
    Bosh,
}

impl Transport {
    pub fn name(self) -> &'static str {
        match self {
            Transport::Ws => "WebSocket",
            Transport::Bosh => "BOSH",
        }
    }
}

/// Options of a batch.
pub struct Opts<'a> {
    pub common: &'a Common,
    pub mechanism: Mechanism,
    pub roster: bool,
    pub concurrency: usize,
}

/// Logs in `users` (1-based user numbers) over WebSocket.
pub async fn ws(
    t: &Target,
    users: Vec<usize>,
    o: &Opts<'_>,
    progress: &Progress,
) -> anyhow::Result<Batch<Session>> {
    let ep = t.ws()?;
    Ok(batch(t, ep, "WS login", users, o, progress, async |_, l| {
        Session::login(l).await
    })
    .await)
}

/// Logs in `users` (1-based user numbers) over BOSH. `then` gets each session as soon as
/// it has logged in, and must put it to work at once (e.g. spawn a task that keeps a
/// request held): a BOSH connection left without a request is closed by the server's
/// keep-alive timeout (5 s in actix-web) while the other logins go on.
pub async fn bosh<T>(
    t: &Target,
    users: Vec<usize>,
    o: &Opts<'_>,
    progress: &Progress,
    then: impl Fn(usize, Bosh) -> T,
) -> anyhow::Result<Batch<T>> {
    let ep = t.bosh()?;
    let then = &then;
    Ok(
        batch(t, ep, "BOSH login", users, o, progress, async |i, l| {
            Bosh::login(l).await.map(|b| then(i, b))
        })
        .await,
    )
}

/// Runs `login` for every user, `o.concurrency` at a time, with a progress line.
async fn batch<T>(
    t: &Target,
    ep: &Endpoint,
    phase: &str,
    users: Vec<usize>,
    o: &Opts<'_>,
    progress: &Progress,
    login: impl AsyncFn(usize, &Login<'_>) -> anyhow::Result<T>,
) -> Batch<T> {
    let done = Arc::new(AtomicUsize::new(0));
    progress.phase(phase, users.len(), done.clone(), Some(t.pid));
    let started = Instant::now();
    let login = &login;
    let results: Vec<(usize, anyhow::Result<T>)> = futures_util::stream::iter(users)
        .map(|i| {
            let done = done.clone();
            async move {
                let (user, password) = Users::credentials(i);
                let l = Login {
                    server: ep.addr,
                    path: &ep.path,
                    source: o.common.source(i),
                    domain: &t.domain,
                    user: &user,
                    password: &password,
                    mechanism: o.mechanism,
                    roster: o.roster,
                };
                let r = login(i, &l).await;
                done.fetch_add(1, Ordering::Relaxed);
                (i, r)
            }
        })
        .buffer_unordered(o.concurrency.max(1))
        .collect()
        .await;
    split(results, started, progress)
}

fn split<T>(
    results: Vec<(usize, anyhow::Result<T>)>,
    started: Instant,
    progress: &Progress,
) -> Batch<T> {
    let secs = started.elapsed().as_secs_f64();
    let mut ok = Vec::with_capacity(results.len());
    let mut errors = Vec::new();
    for (i, r) in results {
        match r {
            Ok(s) => ok.push((i, s)),
            Err(e) => errors.push(format!("user{i}: {e:#}")),
        }
    }
    ok.sort_by_key(|(i, _)| *i);
    for e in errors.iter().take(5) {
        progress.note(format!("login failed: {e}"));
    }
    progress.note(format!(
        "{} logged in ({} failed) in {secs:.1} s",
        ok.len(),
        errors.len()
    ));
    Batch { ok, errors, secs }
}
