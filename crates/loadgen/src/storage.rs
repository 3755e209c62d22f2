//! Scenario `storage` (issue 14): the same load on meerkat's two stores in one run —
//! full WebSocket logins per second (SCRAM-SHA-256, the `login` scenario) and messages to
//! offline users per second (the `offline` scenario), first on the embedded SQLite file,
//! then on a private PostgreSQL server — and one table side by side.

use crate::common::Common;
use crate::meerkat::Meerkat;
use crate::progress::Progress;
use crate::report::{Outcome, Row};
use crate::target::Launcher;
use crate::{login, offline};
use std::fmt::Write as _;

#[derive(clap::Args, Clone, Debug)]
pub struct Args {
    #[command(flatten)]
    pub offline: offline::Args,
    /// Timed logins per store.
    #[arg(long, default_value_t = 4_096)]
    pub logins: usize,
    /// Accounts the logins use in turn.
    #[arg(long, default_value_t = 1_000)]
    pub login_users: usize,
    /// Peers to run the same two scenarios against, on their default stores
    /// (`ejabberd,prosody`: Mnesia and Prosody's files).
    #[arg(long, value_delimiter = ',')]
    pub peers: Vec<String>,
}

pub async fn run(args: &Args, common: &Common, progress: &Progress) -> anyhow::Result<String> {
    let login_args = login::Args {
        mechanism: crate::client::Mechanism::ScramSha256,
        logins: args.logins,
        users: args.login_users,
        concurrency: 32,
        no_key_cache: false,
    };
    let mut columns: Vec<(String, Box<dyn Launcher>)> = vec![
        (
            "meerkat, SQLite".to_owned(),
            Box::new(Meerkat {
                bin: common.server_bin.clone(),
                postgres: false,
                mam: common.mam,
            }),
        ),
        (
            "meerkat, PostgreSQL".to_owned(),
            Box::new(Meerkat {
                bin: common.server_bin.clone(),
                postgres: true,
                mam: common.mam,
            }),
        ),
    ];
    for peer in &args.peers {
        let store = match peer.as_str() {
            "ejabberd" => "Mnesia",
            "prosody" => "files",
            _ => "default store",
        };
        columns.push((format!("{peer}, {store}"), common.launcher_for(peer)?));
    }
    let n = columns.len();
    let mut sections = Vec::new();
    let mut table: Vec<(String, String, Vec<Option<Row>>)> = Vec::new();
    for (column, (_, launcher)) in columns.iter().enumerate() {
        let outcomes: Vec<Outcome> = vec![
            login::run(&login_args, common, launcher.as_ref(), progress).await?,
            offline::run(&args.offline, common, launcher.as_ref(), progress).await?,
        ];
        for o in outcomes {
            for row in o.rows {
                let key = row
                    .key
                    .trim_end_matches("-sqlite")
                    .trim_end_matches("-postgres")
                    .to_owned();
                let label = row
                    .label
                    .trim_end_matches(", sqlite")
                    .trim_end_matches(", postgres")
                    .to_owned();
                let at = match table.iter().position(|(k, _, _)| *k == key) {
                    Some(at) => at,
                    None => {
                        table.push((key, label, vec![None; n]));
                        table.len() - 1
                    }
                };
                table[at].2[column] = Some(row);
            }
            sections.push(format!(
                "{}\n\n- server: {}",
                o.markdown.trim_end(),
                o.server_info
            ));
        }
    }
    let mut md = String::from("## Stores side by side\n\n| figure |");
    for (name, _) in &columns {
        let _ = write!(md, " {name} |");
    }
    md.push_str("\n|---|");
    md.push_str(&"---|".repeat(n));
    md.push('\n');
    for (_, label, cells) in &table {
        let _ = write!(md, "| {label} |");
        for cell in cells {
            let _ = write!(
                md,
                " {} |",
                cell.as_ref().map_or("not run", |r| r.shown.as_str())
            );
        }
        md.push('\n');
    }
    for s in sections {
        let _ = write!(md, "\n{s}\n");
    }
    Ok(md)
}
