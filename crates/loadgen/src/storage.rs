//! Scenario `storage` (issue 14): the same load on meerkat's two stores in one run —
//! full WebSocket logins per second (SCRAM-SHA-256, the `login` scenario) and messages to
//! offline users per second (the `offline` scenario), first on the embedded SQLite file,
//! then on a private PostgreSQL server — and one table side by side.

use crate::common::Common;
use crate::meerkat::Meerkat;
use crate::progress::Progress;
use crate::report::{Outcome, Row};
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
}

pub async fn run(args: &Args, common: &Common, progress: &Progress) -> anyhow::Result<String> {
    let login_args = login::Args {
        mechanism: crate::client::Mechanism::ScramSha256,
        logins: args.logins,
        users: args.login_users,
        concurrency: 32,
        no_key_cache: false,
    };
    let mut sections = Vec::new();
    let mut table: Vec<(String, [Option<Row>; 2])> = Vec::new();
    for (column, postgres) in [(0, false), (1, true)] {
        let launcher = Meerkat {
            bin: common.server_bin.clone(),
            postgres,
        };
        let outcomes: Vec<Outcome> = vec![
            login::run(&login_args, common, &launcher, progress).await?,
            offline::run(&args.offline, common, &launcher, progress).await?,
        ];
        for o in outcomes {
            for row in o.rows {
                let key = row
                    .key
                    .trim_end_matches("-sqlite")
                    .trim_end_matches("-postgres")
                    .to_owned();
                match table.iter_mut().find(|(k, _)| *k == key) {
                    Some((_, cols)) => cols[column] = Some(row),
                    None => {
                        let mut cols = [None, None];
                        cols[column] = Some(row);
                        table.push((key, cols));
                    }
                }
            }
            sections.push(format!(
                "{}\n\n- server: {}",
                o.markdown.trim_end(),
                o.server_info
            ));
        }
    }
    let mut md = String::from(
        "## SQLite and PostgreSQL side by side\n\n| figure | SQLite | PostgreSQL |\n|---|---|---|\n",
    );
    for (_, [sqlite, pg]) in &table {
        let label = sqlite
            .as_ref()
            .or(pg.as_ref())
            .map_or("", |r| r.label.as_str());
        let label = label
            .trim_end_matches(", sqlite")
            .trim_end_matches(", postgres");
        let shown = |r: &Option<Row>| r.as_ref().map_or("not run".to_owned(), |r| r.shown.clone());
        let _ = writeln!(md, "| {label} | {} | {} |", shown(sqlite), shown(pg));
    }
    for s in sections {
        let _ = write!(md, "\n{s}\n");
    }
    Ok(md)
}
