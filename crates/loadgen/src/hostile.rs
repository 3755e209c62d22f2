//! Scenario `hostile` (issue 11): the server's peak memory under the hostile inputs the
//! security review found, each against a fresh server so that one peak cannot hide
//! another.
//!
//! Every case reads VmHWM (peak resident memory) from /proc/<pid>/status before and after
//! the input and reports the growth of the peak, and checks that the server still answers
//! a new login afterwards. The cases:
//! - `ws-nodes`: before authentication, one WebSocket frame of `--ws-frame-mib` MiB that
//!   is a single element holding `<a/>` children (cheap bytes, many nodes);
//! - `graphql-variables`: an unauthenticated admin GraphQL POST whose `variables` is an
//!   array of `--graphql-mib` MiB of zeros;
//! - `slow-reader`: a logged-in WebSocket client that stops reading while another user
//!   sends it `--slow-messages` messages of `--slow-kib` KiB.

use crate::client::{Login, Mechanism, Session};
use crate::common::{self, Common};
use crate::http1::{Conn, request_bytes};
use crate::progress::Progress;
use crate::report::{Better, Outcome, Row, mib};
use crate::target::{Launcher, Target};
use anyhow::Context;
use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

#[derive(clap::Args, Clone, Debug)]
pub struct Args {
    /// Size of the pre-authentication WebSocket frame of `<a/>` elements, MiB.
    #[arg(long, default_value_t = 4)]
    pub ws_frame_mib: usize,
    /// Size of the unauthenticated GraphQL `variables` array, MiB (tenths allowed).
    #[arg(long, default_value_t = 3.8)]
    pub graphql_mib: f64,
    /// Messages sent to the client that stopped reading.
    #[arg(long, default_value_t = 512)]
    pub slow_messages: usize,
    /// Body size of each of those messages, KiB.
    #[arg(long, default_value_t = 60)]
    pub slow_kib: usize,
    /// Seconds to let the server settle after each input before reading its peak.
    #[arg(long, default_value_t = 2)]
    pub settle: u64,
}

/// One case's measurement.
struct Case {
    key: &'static str,
    label: String,
    /// VmHWM before and after the input, KiB.
    peak_before: u64,
    peak_after: u64,
    /// What the server answered (status line, stream error, close...).
    answer: String,
    /// A new login worked afterwards.
    alive: bool,
}

/// Peak resident memory (VmHWM) of a process, KiB.
fn peak_kib(pid: u32) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .with_context(|| format!("cannot read /proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| anyhow::anyhow!("no VmHWM in /proc/{pid}/status"))
}

fn login<'a>(target: &'a Target, path: &'a str, user: &'a str, password: &'a str) -> Login<'a> {
    Login {
        server: target.ws.as_ref().expect("meerkat serves WebSocket").addr,
        path,
        source: IpAddr::V4(Ipv4Addr::LOCALHOST),
        domain: &target.domain,
        user,
        password,
        mechanism: Mechanism::Plain,
        roster: false,
    }
}

/// A fresh login of user1 works: the server survived the input.
async fn still_serves(target: &Target) -> bool {
    let ws = target.ws.as_ref().expect("meerkat serves WebSocket");
    let (user, password) = crate::target::Users::credentials(1);
    let l = login(target, &ws.path, &user, &password);
    match tokio::time::timeout(Duration::from_secs(30), Session::login(&l)).await {
        Ok(Ok(s)) => {
            s.close().await;
            true
        }
        _ => false,
    }
}

async fn ws_nodes(target: &Target, args: &Args) -> anyhow::Result<String> {
    let ws = target.ws.as_ref().expect("meerkat serves WebSocket");
    let mut request = format!("ws://{}{}", ws.addr, ws.path).into_client_request()?;
    request
        .headers_mut()
        .insert("sec-websocket-protocol", "xmpp".parse()?);
    let (mut socket, _) = tokio_tungstenite::connect_async_with_config(request, None, false)
        .await
        .context("WebSocket handshake")?;
    socket
        .send(Message::text(format!(
            "<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='{}' version='1.0'/>",
            target.domain
        )))
        .await?;
    let inner = "<a/>".repeat(args.ws_frame_mib * 1024 * 1024 / 4);
    let frame = format!("<r xmlns='jabber:client'>{inner}</r>");
    // The server may close before the whole frame is written: that is an answer too.
    let sent = socket.send(Message::text(frame)).await;
    let mut answer = String::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(msg) = socket.next().await {
            match msg {
                Ok(Message::Text(t)) if t.contains("error") => {
                    answer = t.to_string();
                }
                Ok(Message::Close(c)) => {
                    let _ = write!(answer, " close {c:?}");
                    break;
                }
                Ok(_) => {}
                Err(e) => {
                    let _ = write!(answer, " {e}");
                    break;
                }
            }
        }
    })
    .await;
    if let Err(e) = sent {
        let _ = write!(answer, " (send: {e})");
    }
    Ok(answer.trim().to_owned())
}

async fn graphql_variables(target: &Target, args: &Args) -> anyhow::Result<String> {
    let probe = target
        .http
        .first()
        .ok_or_else(|| anyhow::anyhow!("no admin GraphQL endpoint"))?;
    let zeros = (args.graphql_mib * 1024.0 * 1024.0 / 2.0) as usize;
    let mut body = String::with_capacity(zeros * 2 + 64);
    body.push_str(r#"{"query":"{ checkAuth { authStatus } }","variables":{"x":["#);
    for i in 0..zeros {
        body.push_str(if i == 0 { "0" } else { ",0" });
    }
    body.push_str("]}}");
    let headers = vec![
        ("content-type".to_owned(), "application/json".to_owned()),
        // Wrong credentials: nothing of the request is the caller's to spend.
        (
            "authorization".to_owned(),
            "Basic bm9ib2R5Om5vdGhpbmc=".to_owned(),
        ),
    ];
    let mut conn = Conn::connect(probe.endpoint.addr, IpAddr::V4(Ipv4Addr::LOCALHOST)).await?;
    let req = request_bytes(
        "POST",
        probe.endpoint.addr,
        &probe.endpoint.path,
        &headers,
        body.as_bytes(),
    );
    // A server that refuses early may close while the body is still being written.
    let answer = match conn.send(&req).await {
        Ok(()) => match tokio::time::timeout(Duration::from_secs(30), conn.read_response()).await {
            Ok(Ok(r)) => format!("HTTP {} {}", r.status, truncate(r.text(), 120)),
            Ok(Err(e)) => format!("no response: {e}"),
            Err(_) => "no response within 30 s".to_owned(),
        },
        Err(e) => format!("closed while sending: {e}"),
    };
    Ok(answer)
}

async fn slow_reader(target: &Target, args: &Args) -> anyhow::Result<String> {
    let ws = target.ws.as_ref().expect("meerkat serves WebSocket");
    let (u1, p1) = crate::target::Users::credentials(1);
    let (u2, p2) = crate::target::Users::credentials(2);
    let reader = Session::login(&login(target, &ws.path, &u2, &p2)).await?;
    let to = reader.jid.clone();
    // The reader never reads again; its socket stays open.
    let stalled = reader.into_ws();
    let sender = Session::login(&login(target, &ws.path, &u1, &p1)).await?;
    let mut out = sender.into_ws();
    let body = "x".repeat(args.slow_kib * 1024);
    let mut sent = 0;
    for i in 0..args.slow_messages {
        let msg = format!(
            "<message xmlns='jabber:client' to='{to}' type='chat' id='m{i}'><body>{body}</body></message>"
        );
        if tokio::time::timeout(Duration::from_secs(10), out.send(Message::text(msg)))
            .await
            .is_err()
        {
            break;
        }
        sent += 1;
    }
    // Count what came back to the sender (bounces) without blocking long.
    let mut errors = 0;
    let _ = tokio::time::timeout(Duration::from_secs(args.settle), async {
        while let Some(Ok(msg)) = out.next().await {
            if let Message::Text(t) = msg
                && t.contains("type='error'")
            {
                errors += 1;
            }
        }
    })
    .await;
    drop(stalled);
    Ok(format!("{sent} sent, {errors} error replies to the sender"))
}

fn truncate(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

pub async fn run(
    args: &Args,
    common: &Common,
    launcher: &dyn Launcher,
    progress: &Progress,
) -> anyhow::Result<Outcome> {
    if launcher.name() != "meerkat" {
        anyhow::bail!("the hostile scenario targets meerkat only");
    }
    let mut cases = Vec::new();
    for key in ["ws-nodes", "graphql-variables", "slow-reader"] {
        progress.note(format!("hostile: {key}"));
        let case = common::with_server(launcher, 2, common, progress, async |srv| {
            let target = srv.target().clone();
            let peak_before = peak_kib(target.pid)?;
            let (label, answer) = match key {
                "ws-nodes" => (
                    format!(
                        "pre-auth WebSocket frame of {} MiB of `<a/>`",
                        args.ws_frame_mib
                    ),
                    ws_nodes(&target, args).await?,
                ),
                "graphql-variables" => (
                    format!(
                        "unauthenticated GraphQL POST, `variables` array of {} MiB",
                        args.graphql_mib
                    ),
                    graphql_variables(&target, args).await?,
                ),
                _ => (
                    format!(
                        "WS client stops reading, {} messages of {} KiB sent to it",
                        args.slow_messages, args.slow_kib
                    ),
                    slow_reader(&target, args).await?,
                ),
            };
            tokio::time::sleep(Duration::from_secs(args.settle)).await;
            let peak_after = peak_kib(target.pid)?;
            let alive = still_serves(&target).await;
            Ok(Case {
                key,
                label,
                peak_before,
                peak_after,
                answer,
                alive,
            })
        })
        .await?;
        cases.push(case);
    }
    let mut md = String::from(
        "## hostile: peak server memory under hostile input\n\n\
         | input | peak RSS before | peak RSS after | growth | server's answer | still serves |\n\
         |---|---|---|---|---|---|\n",
    );
    let mut rows = Vec::new();
    let mut json_cases = Vec::new();
    for c in &cases {
        let growth = c.peak_after.saturating_sub(c.peak_before);
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} |",
            c.label,
            mib(c.peak_before),
            mib(c.peak_after),
            mib(growth),
            c.answer.replace('|', "\\|"),
            if c.alive { "yes" } else { "NO" }
        );
        rows.push(Row::new(
            &format!("hostile-{}", c.key),
            format!("peak RSS growth, {}, MiB", c.label),
            growth as f64 / 1024.0,
            mib(growth),
            Better::Lower,
        ));
        json_cases.push(json!({
            "key": c.key, "label": c.label, "peak_before_kib": c.peak_before,
            "peak_after_kib": c.peak_after, "answer": c.answer, "alive": c.alive,
        }));
    }
    Ok(Outcome {
        scenario: "hostile".into(),
        server: launcher.name().into(),
        server_info: format!(
            "{} (one fresh server per input)",
            common.server_bin.display()
        ),
        markdown: md,
        json: json!({ "cases": json_cases }),
        rows,
    })
}
