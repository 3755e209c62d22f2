//! `meerkat account ...`: manage accounts without any API, on the same config
//! (`general.hosts`, `[auth.password]`) and data directory (accounts, dynamic domains) as
//! the server. The rules (which JIDs are valid, how passwords are stored) are the core's;
//! this is only the command line around them.
//!
//! The server may be running meanwhile: SQLite serializes the writes. A running server
//! does not notice a removal made here, so the removed user's open sessions stay open
//! until they end.

use anyhow::{Context, anyhow};
use clap::Subcommand;
use meerkat::ConfigSource;
use meerkat_core::config::ServerConfig;
use meerkat_core::{AccountError, Server, accounts};
use meerkat_storage::{Backend, Migrations};
use std::io::{BufRead, IsTerminal};
use std::path::Path;
use std::process::{ExitCode, Stdio};

#[derive(Subcommand)]
pub enum AccountCommand {
    /// Create an account.
    Add {
        /// The account's JID: user@domain, with a domain this server serves.
        jid: String,
        /// The password. Default: read one line from standard input (asked for twice,
        /// without echo, on a terminal). Prefer stdin: arguments are visible to other users.
        #[arg(long)]
        password: Option<String>,
    },
    /// Delete an account and everything stored for it (roster, offline messages...).
    Remove {
        /// The account's JID.
        jid: String,
    },
    /// Set a new password.
    Passwd {
        /// The account's JID.
        jid: String,
        /// The new password. Default: read from standard input, as for `add`.
        #[arg(long)]
        password: Option<String>,
    },
    /// List the accounts of a domain, one JID per line.
    List {
        /// A domain this server serves.
        domain: String,
    },
}

/// Runs one account command; errors are printed with a `meerkat account:` prefix.
pub fn main(cmd: AccountCommand, source: &ConfigSource, data_dir: &Path) -> ExitCode {
    match run(cmd, source, data_dir) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("meerkat account: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cmd: AccountCommand, source: &ConfigSource, data_dir: &Path) -> anyhow::Result<()> {
    let config = load(source)?;
    crate::init_logging("warn");
    // Ask for the password before touching the database.
    let password = match &cmd {
        AccountCommand::Add { password, .. } | AccountCommand::Passwd { password, .. } => {
            Some(read_password(password.clone())?)
        }
        AccountCommand::Remove { .. } | AccountCommand::List { .. } => None,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        let store = Backend::open(config.rdbms.as_ref(), data_dir, Migrations::Require).await?;
        let server = Server::new(config, store.store());
        // Domains added at run time (the domain API) are served too.
        server.load_dynamic_domains().await?;
        let result = execute(&server, cmd, password.unwrap_or_default()).await;
        store.close().await;
        result
    })
}

/// The server part of the config; listener problems are the server's business.
fn load(source: &ConfigSource) -> anyhow::Result<ServerConfig> {
    let text = source.read().map_err(|d| {
        let problems: Vec<String> = d.errors.iter().map(ToString::to_string).collect();
        anyhow!(problems.join("; "))
    })?;
    match meerkat::load_server_config_str(&text) {
        Ok((config, _warnings)) => Ok(config),
        Err(diag) => {
            eprint!("{diag}");
            Err(anyhow!("{source}: {} error(s)", diag.errors.len()))
        }
    }
}

async fn execute(server: &Server, cmd: AccountCommand, password: String) -> anyhow::Result<()> {
    let explain = |e: AccountError| match e {
        AccountError::UnknownDomain(d) => anyhow!(
            "unknown domain: {d} (neither in general.hosts [{}] nor an enabled dynamic domain)",
            server.config().general.hosts.join(", ")
        ),
        AccountError::InvalidJid(j) if !j.contains('@') => {
            anyhow!("invalid JID: {j} (expected user@domain)")
        }
        other => other.into(),
    };
    match cmd {
        AccountCommand::Add { jid, .. } => {
            let jid = accounts::parse_account(server, &jid).map_err(explain)?;
            server
                .register_user(&jid, &password)
                .await
                .map_err(explain)?;
            println!("added {jid}");
        }
        AccountCommand::Remove { jid } => {
            let jid = accounts::parse_account(server, &jid).map_err(explain)?;
            server.remove_user(&jid).await.map_err(explain)?;
            println!("removed {jid}");
        }
        AccountCommand::Passwd { jid, .. } => {
            let jid = accounts::parse_account(server, &jid).map_err(explain)?;
            server
                .set_password(&jid, &password)
                .await
                .map_err(explain)?;
            println!("password of {jid} changed");
        }
        AccountCommand::List { domain } => {
            // The same normalisation as the domain part of a JID (lower case, nameprep).
            let normalised = xmpp_domain(&domain)?;
            if !server.is_served_domain(&normalised) {
                return Err(explain(AccountError::UnknownDomain(normalised)));
            }
            for user in server.list_users(&normalised).await.map_err(explain)? {
                println!("{user}");
            }
        }
    }
    Ok(())
}

fn xmpp_domain(domain: &str) -> anyhow::Result<String> {
    match meerkat_core::meerkat_xmpp::BareJid::new(domain) {
        Ok(jid) if jid.node().is_none() => Ok(jid.domain().to_string()),
        _ => Err(anyhow!("invalid domain: {domain}")),
    }
}

/// The password from `--password`, else one line of standard input (without its line
/// ending). On a terminal the input is not echoed and is asked for twice.
fn read_password(arg: Option<String>) -> anyhow::Result<String> {
    if let Some(p) = arg {
        return Ok(p);
    }
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return read_line(&stdin);
    }
    let first = prompt(&stdin, "Password: ")?;
    let second = prompt(&stdin, "Again: ")?;
    if first != second {
        return Err(anyhow!("the passwords do not match"));
    }
    Ok(first)
}

fn prompt(stdin: &std::io::Stdin, text: &str) -> anyhow::Result<String> {
    eprint!("{text}");
    set_echo(false);
    let line = read_line(stdin);
    set_echo(true);
    eprintln!();
    line
}

fn read_line(stdin: &std::io::Stdin) -> anyhow::Result<String> {
    let mut line = String::new();
    stdin
        .lock()
        .read_line(&mut line)
        .context("cannot read the password from standard input")?;
    let line = line.strip_suffix('\n').unwrap_or(&line);
    Ok(line.strip_suffix('\r').unwrap_or(line).to_owned())
}

/// Turns terminal echo off or on with `stty` (no libc, no unsafe). Best effort: if `stty`
/// is missing the password is echoed.
fn set_echo(on: bool) {
    let _ = std::process::Command::new("stty")
        .arg(if on { "echo" } else { "-echo" })
        .stdin(Stdio::inherit())
        .stderr(Stdio::null())
        .status();
}
