//! Scenario `offline` (issue 14): messages to offline users per second, i.e. the rate at
//! which the server stores what it acknowledges. Senders (user1..userS) log in over
//! WebSocket; each sends its messages one at a time to recipients who never log in, and
//! follows each with a ping to the server: the server handles a session's stanzas in
//! order, so the pong means the message is in offline storage (or was bounced, which
//! counts as an error). Afterwards a few recipients log in and must receive exactly the
//! messages sent to them. Run it with `--store sqlite` and `--store postgres` (the `storage`
//! scenario runs both, beside logins).

use crate::client::{Login, Mechanism, Session};
use crate::common::{self, Common};
use crate::hist::{self, fmt_ms};
use crate::logins::{self, Opts};
use crate::progress::Progress;
use crate::report::{Better, Outcome, Row, round3};
use crate::server;
use crate::target::{Launcher, Target, Users};
use anyhow::{anyhow, bail};
use serde_json::json;
use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

#[derive(clap::Args, Clone, Debug)]
pub struct Args {
    /// Senders (user1..userS), logged in over WebSocket, sending in parallel.
    #[arg(long, default_value_t = 50)]
    pub senders: usize,
    /// Messages each sender sends, one at a time.
    #[arg(long, default_value_t = 200)]
    pub messages: usize,
    /// Offline recipients (the accounts after the senders); they never log in during
    /// the timed part.
    #[arg(long, default_value_t = 1_000)]
    pub recipients: usize,
}

/// The recipient (a user number) of sender `s`'s `k`-th message (both 0-based).
fn recipient(args: &Args, s: usize, k: usize) -> usize {
    args.senders + 1 + (s * args.messages + k) % args.recipients
}

/// How many messages recipient `r` (a user number) gets.
fn expected_for(args: &Args, r: usize) -> usize {
    (0..args.senders)
        .flat_map(|s| (0..args.messages).map(move |k| (s, k)))
        .filter(|&(s, k)| recipient(args, s, k) == r)
        .count()
}

pub async fn run(
    args: &Args,
    common: &Common,
    launcher: &dyn Launcher,
    progress: &Progress,
) -> anyhow::Result<Outcome> {
    if args.senders == 0 || args.messages == 0 || args.recipients == 0 {
        bail!("--senders, --messages and --recipients must be positive");
    }
    let users = args.senders + args.recipients;
    common::with_server(launcher, users, common, progress, async |srv| {
        let t = srv.target().clone();
        let opts = Opts {
            common,
            mechanism: Mechanism::ScramSha256,
            roster: false,
            concurrency: 32,
        };
        let batch = logins::ws(&t, (1..=args.senders).collect(), &opts, progress).await?;
        if let Some(e) = batch.errors.first() {
            bail!("{} sender logins failed; first: {e}", batch.errors.len());
        }
        let done = Arc::new(AtomicUsize::new(0));
        progress.phase(
            "messages to offline users",
            args.senders * args.messages,
            done.clone(),
            Some(t.pid),
        );
        let cpu0 = server::cpu_time(t.pid);
        let started = Instant::now();
        let mut tasks = Vec::new();
        for (i, session) in batch.ok {
            let args = args.clone();
            let done = done.clone();
            let domain = t.domain.clone();
            tasks.push(tokio::spawn(async move {
                send_all(session, i - 1, &args, &domain, &done).await
            }));
        }
        let mut rtts = hist::new();
        let mut errors = Vec::new();
        for task in tasks {
            match task.await? {
                Ok(samples) => {
                    for us in samples {
                        hist::record(&mut rtts, us);
                    }
                }
                Err(e) => errors.push(format!("{e:#}")),
            }
        }
        let wall = started.elapsed().as_secs_f64();
        let server_cpu = server::cpu_time(t.pid).saturating_sub(cpu0).as_secs_f64();
        if let Some(e) = errors.first() {
            bail!("{} senders failed; first: {e}", errors.len());
        }
        let checked = check_delivery(&t, args, common).await?;
        srv.check()?;
        Ok(report(args, common, &t, &rtts, wall, server_cpu, checked))
    })
    .await
}

/// Sender `s` (0-based) sends its messages, each followed by a ping; returns the time
/// from the message to the pong, per message, in µs.
async fn send_all(
    mut session: Session,
    s: usize,
    args: &Args,
    domain: &str,
    done: &AtomicUsize,
) -> anyhow::Result<Vec<u64>> {
    let mut samples = Vec::with_capacity(args.messages);
    for k in 0..args.messages {
        let (to, _) = Users::credentials(recipient(args, s, k));
        let start = Instant::now();
        // One stanza per WebSocket message (RFC 7395).
        session
            .send(&format!(
                "<message xmlns='jabber:client' to='{to}@{domain}' type='chat' id='m{k}'>\
                 <body>offline message {k} from sender {s}: some text of a usual length</body></message>"
            ))
            .await?;
        session
            .send(&format!(
                "<iq xmlns='jabber:client' type='get' id='p{k}' to='{domain}'><ping xmlns='urn:xmpp:ping'/></iq>"
            ))
            .await?;
        let id = format!("p{k}");
        let answer = session
            .recv_until(|e| e.attr("id") == Some(id.as_str()) || e.attr("type") == Some("error"))
            .await?;
        if answer.attr("type") == Some("error") {
            bail!("sender {s}: {answer}");
        }
        samples.push(start.elapsed().as_micros() as u64);
        done.fetch_add(1, Ordering::Relaxed);
    }
    session.close().await;
    Ok(samples)
}

/// Logs in the first three recipients and counts what they receive: exactly what was
/// sent to them. Returns how many recipients and messages were checked.
async fn check_delivery(
    t: &Target,
    args: &Args,
    common: &Common,
) -> anyhow::Result<(usize, usize)> {
    let ep = t.ws()?;
    let mut messages = 0;
    let checked: Vec<usize> = (args.senders + 1..=args.senders + args.recipients)
        .take(3)
        .collect();
    for &r in &checked {
        let (user, password) = Users::credentials(r);
        let login = Login {
            server: ep.addr,
            path: &ep.path,
            source: common.source(r),
            domain: &t.domain,
            user: &user,
            password: &password,
            mechanism: Mechanism::ScramSha256,
            roster: false,
        };
        // The offline messages come with the initial presence: some may arrive before
        // its echo, which `login` waits for.
        let mut session = Session::login(&login).await?;
        let expected = expected_for(args, r);
        let early = session
            .early
            .iter()
            .filter(|e| e.name() == "message")
            .count();
        if let Some(e) = session
            .early
            .iter()
            .find(|e| e.attr("type") == Some("error"))
        {
            bail!("{user}: {e}");
        }
        for n in early..expected {
            let m = tokio::time::timeout(
                Duration::from_secs(10),
                session.recv_until(|e| e.name() == "message"),
            )
            .await
            .map_err(|_| anyhow!("{user} got {n} of its {expected} offline messages"))??;
            if m.attr("type") == Some("error") {
                bail!("{user}: {m}");
            }
        }
        messages += expected;
        session.close().await;
    }
    Ok((checked.len(), messages))
}

fn report(
    args: &Args,
    common: &Common,
    t: &Target,
    rtts: &hist::Hist,
    wall: f64,
    server_cpu: f64,
    (checked_users, checked_messages): (usize, usize),
) -> Outcome {
    let total = args.senders * args.messages;
    let rate = total as f64 / wall.max(1e-9);
    let cpu_us = server_cpu * 1e6 / total.max(1) as f64;
    let store = if t.name != "meerkat" {
        "default store"
    } else if t.version.contains("PostgreSQL") {
        "postgres"
    } else {
        "sqlite"
    };
    let mut md = String::new();
    let _ = writeln!(
        md,
        "## Messages to offline users ({store})\n\n{total} messages from {} WebSocket senders (one at a time each, every message followed by a ping) to {} offline users; pinning: {}.\n",
        args.senders,
        args.recipients,
        common.pinning()
    );
    let _ = writeln!(md, "| figure | value |\n|---|---|");
    let _ = writeln!(md, "| stored messages/s | {rate:.0} |");
    let _ = writeln!(
        md,
        "| message → pong p50 / p99 / max, ms | {} / {} / {} |",
        fmt_ms(hist::ms(rtts, 0.5)),
        fmt_ms(hist::ms(rtts, 0.99)),
        fmt_ms(hist::max_ms(rtts))
    );
    let _ = writeln!(md, "| server CPU per message | {cpu_us:.1} µs |");
    let _ = writeln!(
        md,
        "| delivered afterwards, checked | {checked_messages} messages to {checked_users} users, all of them |"
    );
    let json = json!({
        "scenario": "offline",
        "server": t.name,
        "store": store,
        "senders": args.senders,
        "messages_per_sender": args.messages,
        "recipients": args.recipients,
        "wall_s": round3(wall),
        "msg_per_s": round3(rate),
        "server_cpu_us_per_msg": round3(cpu_us),
        "p50_ms": hist::ms(rtts, 0.5),
        "p99_ms": hist::ms(rtts, 0.99),
        "checked_messages": checked_messages,
    });
    // meerkat's rows say which of its stores they are about (the `storage` scenario
    // folds them into one row with a column per store).
    let (key, label) = if t.name == "meerkat" {
        (format!("-{store}"), format!(", {store}"))
    } else {
        (String::new(), String::new())
    };
    let rows = vec![
        Row::new(
            &format!("offline-rate{key}"),
            format!("messages to offline users stored/s{label}"),
            rate,
            format!("{rate:.0}"),
            Better::Higher,
        ),
        Row::new(
            &format!("offline-p99{key}"),
            format!("message → stored (pong) p99, ms{label}"),
            hist::ms(rtts, 0.99),
            fmt_ms(hist::ms(rtts, 0.99)),
            Better::Lower,
        ),
    ];
    Outcome {
        scenario: "offline".into(),
        server: t.name.clone(),
        server_info: t.describe(),
        markdown: md,
        json,
        rows,
    }
}
