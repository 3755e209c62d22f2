//! Formatting helpers and the description of the machine a result comes from.

use serde_json::json;
use std::process::Command;

/// KiB with one decimal.
pub fn kib(x: f64) -> String {
    format!("{x:.1}")
}

/// A KiB count as MiB with one decimal and its unit.
pub fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

/// Where and on what a benchmark ran.
pub struct Machine {
    pub cpus: usize,
    pub cpu_model: String,
    pub kernel: String,
    pub commit: String,
    pub date: String,
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
        let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .map(|s| s.trim().to_owned())
            .unwrap_or_else(|_| "unknown".into());
        Machine {
            cpus,
            cpu_model,
            kernel,
            commit: commit(),
            date: output("date", &["+%F"]),
        }
    }

    pub fn markdown(&self) -> String {
        format!(
            "- machine: {} CPUs, {}, Linux {}\n- commit: {}\n- date: {}",
            self.cpus, self.cpu_model, self.kernel, self.commit, self.date
        )
    }

    pub fn json(&self) -> serde_json::Value {
        json!({
            "cpus": self.cpus,
            "cpu_model": self.cpu_model,
            "kernel": self.kernel,
            "commit": self.commit,
            "date": self.date,
        })
    }
}

/// `git rev-parse --short HEAD`, flagged when tracked files differ from it.
fn commit() -> String {
    let head = output("git", &["rev-parse", "--short", "HEAD"]);
    let dirty = Command::new("git")
        .args(["status", "--porcelain", "--untracked-files=no"])
        .output()
        .is_ok_and(|o| o.status.success() && !o.stdout.is_empty());
    if dirty {
        format!("{head} (working tree has uncommitted changes)")
    } else {
        head
    }
}

/// The trimmed standard output of a command, or "unknown".
fn output(cmd: &str, args: &[&str]) -> String {
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
