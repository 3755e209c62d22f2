//! What a scenario hands back (a Markdown section, a JSON value and headline rows for
//! the summary table), formatting helpers, and the description of the machine.

use crate::server::Rss;
use serde_json::json;
use std::fmt::Write as _;
use std::process::Command;

/// KiB with one decimal.
pub fn kib(x: f64) -> String {
    format!("{x:.1}")
}

/// A KiB count as MiB with one decimal and its unit.
pub fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

pub fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

pub fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// Memory per idle session: the VmRSS, RssAnon and kernel slab deltas over a baseline,
/// divided by the sessions.
pub struct PerSession {
    pub rss: f64,
    pub anon: f64,
    pub slab: f64,
}

impl PerSession {
    /// `with` and `slab_with` read with `n` sessions, against the baselines.
    pub fn new(baseline: &Rss, with: &Rss, baseline_slab: u64, slab_with: u64, n: usize) -> Self {
        PerSession {
            rss: per_session(with.total, baseline.total, n),
            anon: per_session(with.anon, baseline.anon, n),
            slab: per_session(slab_with, baseline_slab, n),
        }
    }

    /// The memory lines of a scenario's `| metric | value |` table.
    pub fn table_rows(&self, md: &mut String, baseline: &Rss, with: &Rss) {
        let _ = writeln!(
            md,
            "| server VmRSS at start (baseline) | {} |",
            mib(baseline.total)
        );
        let _ = writeln!(md, "| server VmRSS with sessions | {} |", mib(with.total));
        let _ = writeln!(
            md,
            "| **VmRSS delta / session** | **{} KiB** |",
            kib(self.rss)
        );
        let _ = writeln!(md, "| RssAnon delta / session | {} KiB |", kib(self.anon));
        let _ = writeln!(
            md,
            "| kernel slab delta / session (system-wide, both socket ends; NOT in RSS) | {} KiB |",
            kib(self.slab)
        );
    }
}

/// KiB per session between two readings.
pub fn per_session(after: u64, before: u64, n: usize) -> f64 {
    (after as f64 - before as f64) / n.max(1) as f64
}

/// Which direction is good for a headline figure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Better {
    Lower,
    Higher,
}

/// One line of the summary table.
#[derive(Clone, Debug)]
pub struct Row {
    /// Stable key shared by every server's run of the same scenario.
    pub key: String,
    /// What is measured, with its unit and size ("idle WS session, KiB (N = 10,000)").
    pub label: String,
    /// The figure (None: not measured, e.g. the scenario failed).
    pub value: Option<f64>,
    /// How to show it.
    pub shown: String,
    pub better: Better,
    /// The absolute target, if an issue sets one: description and whether `value` meets
    /// it. (Targets relative to the peers are judged by `all`, which has their rows.)
    pub target: Option<(String, bool)>,
}

impl Row {
    pub fn new(
        key: &str,
        label: impl Into<String>,
        value: f64,
        shown: String,
        better: Better,
    ) -> Row {
        Row {
            key: key.to_owned(),
            label: label.into(),
            value: Some(value),
            shown,
            better,
            target: None,
        }
    }

    /// Sets the target: `met` says whether the value meets it.
    pub fn target(mut self, text: impl Into<String>, met: bool) -> Row {
        self.target = Some((text.into(), met));
        self
    }
}

/// A scenario's result against one server.
pub struct Outcome {
    pub scenario: String,
    pub server: String,
    /// The server's version and configuration.
    pub server_info: String,
    /// A Markdown section (starting with a `##` heading).
    pub markdown: String,
    pub json: serde_json::Value,
    pub rows: Vec<Row>,
}

/// Where and on what a benchmark ran.
pub struct Machine {
    pub cpus: usize,
    pub cpu_model: String,
    pub memory: String,
    pub kernel: String,
    pub rustc: String,
    pub commit: String,
    pub date: String,
    pub load: String,
    /// How this load generator (and the hello baseline, which it runs) was built.
    pub loadgen_build: &'static str,
}

impl Machine {
    pub fn probe() -> Machine {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpus = cpuinfo
            .lines()
            .filter(|l| l.starts_with("processor"))
            .count();
        let cpu_model = cpuinfo
            .lines()
            .find_map(|l| l.strip_prefix("model name"))
            .map(|v| v.trim_start_matches([' ', '\t', ':']).to_owned())
            .unwrap_or_else(|| "unknown".into());
        let memory = std::fs::read_to_string("/proc/meminfo")
            .ok()
            .and_then(|m| {
                m.lines()
                    .find_map(|l| l.strip_prefix("MemTotal:"))
                    .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            })
            .map_or_else(
                || "unknown".into(),
                |k| format!("{:.0} GiB", k as f64 / 1048576.0),
            );
        let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .map(|s| s.trim().to_owned())
            .unwrap_or_else(|_| "unknown".into());
        Machine {
            cpus,
            cpu_model,
            memory,
            kernel,
            rustc: output("rustc", &["--version"]),
            commit: commit(),
            date: output("date", &["-u", "+%F %H:%M UTC"]),
            load: crate::server::load_average(),
            loadgen_build: if cfg!(debug_assertions) {
                "DEBUG build: figures are not comparable, build with --release"
            } else {
                "release build"
            },
        }
    }

    pub fn markdown(&self) -> String {
        format!(
            "- machine: {} CPUs ({}), {}, Linux {}, {}\n- commit: {}\n- date: {}\n- load average at start (1/5/15 min): {}",
            self.cpus,
            self.cpu_model,
            self.memory,
            self.kernel,
            self.rustc,
            self.commit,
            self.date,
            self.load
        )
    }

    pub fn json(&self) -> serde_json::Value {
        json!({
            "cpus": self.cpus,
            "cpu_model": self.cpu_model,
            "memory": self.memory,
            "kernel": self.kernel,
            "rustc": self.rustc,
            "commit": self.commit,
            "date": self.date,
            "load_average_at_start": self.load,
            "loadgen_build": self.loadgen_build,
        })
    }
}

/// `git rev-parse --short HEAD`, flagged when tracked files differ from it (and whether
/// only the load generator's own files do, which leaves the server as committed).
fn commit() -> String {
    let head = output("git", &["rev-parse", "--short", "HEAD"]);
    let changed: Vec<String> = Command::new("git")
        .args(["status", "--porcelain", "--untracked-files=all"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .filter_map(|l| l.get(3..).map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let server_side = changed.iter().any(|p| {
        (p.starts_with("crates/") || p.starts_with("bin/")) && !p.starts_with("crates/loadgen/")
    });
    let tracked_changes = Command::new("git")
        .args(["status", "--porcelain", "--untracked-files=no"])
        .output()
        .is_ok_and(|o| o.status.success() && !o.stdout.is_empty());
    if server_side {
        format!("{head} (working tree has uncommitted changes to the server's crates)")
    } else if tracked_changes || !changed.is_empty() {
        format!(
            "{head} (server crates as committed; uncommitted changes only outside them, e.g. the load generator)"
        )
    } else {
        head
    }
}

/// The trimmed standard output of a command, or "unknown".
pub fn output(cmd: &str, args: &[&str]) -> String {
    Command::new(cmd)
        .args(args)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "unknown".into())
}
