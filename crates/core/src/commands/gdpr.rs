//! GDPR personal-data retrieval (MongooseIM's `gdpr` category, `gdpr_api`): everything
//! stored for a user, written as a ZIP of CSV files, one per data group, with
//! MongooseIM's file names and columns, each from its module's
//! [`Hook::PersonalData`] hook. As in MongooseIM, a group's file is written only when
//! its module is enabled and it has entries:
//!
//! | file          | module      | columns                                                  |
//! |---------------|-------------|----------------------------------------------------------|
//! | `roster.csv`  | mod_roster  | jid, name, subscription, ask, groups, askmessage, xs     |
//! | `vcard.csv`   | mod_vcard   | jid, vcard                                               |
//! | `private.csv` | mod_private | ns, xml                                                  |
//! | `offline.csv` | mod_offline | timestamp, from, to, packet                              |
//!
//! MongooseIM also adds the server log lines that mention the user (`logs-<node>.txt`);
//! meerkat logs to its standard output, which it cannot search, so there is no such file.

mod zip;

use super::{CommandError, CommandResult};
use crate::Server;
use crate::module::{Hook, PersonalData};
use meerkat_xmpp::BareJid;
use std::path::{Path, PathBuf};

/// One data group: file stem, column names, rows.
type Group = PersonalData;

/// RFC 4180 CSV with `\n` line ends, quoting as `erl_csv` does (fields holding a comma,
/// a quote, CR or LF are quoted, quotes doubled).
fn csv(columns: &[&str], rows: &[Vec<String>]) -> Vec<u8> {
    fn field(out: &mut String, f: &str) {
        if f.contains([',', '"', '\r', '\n']) {
            out.push('"');
            out.push_str(&f.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(f);
        }
    }
    let mut out = String::new();
    let header: Vec<String> = columns.iter().map(|c| (*c).to_owned()).collect();
    for row in std::iter::once(&header).chain(rows) {
        for (i, f) in row.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            field(&mut out, f);
        }
        out.push('\n');
    }
    out.into_bytes()
}

/// Every loaded module's data about `user`, in hook order.
async fn collect(server: &Server, user: &BareJid) -> CommandResult<Vec<Group>> {
    let mut groups = Vec::new();
    for m in server.modules().hooked(Hook::PersonalData) {
        groups.extend(m.personal_data(server, user).await?);
    }
    Ok(groups)
}

/// A refused export file, in MongooseIM's terms (`path` as the caller gave it).
fn file_error(path: &str, dir: &Path, e: &super::confined::Refusal) -> CommandError {
    use super::confined::Refusal as R;
    match e {
        R::Exists if is_dir(&dir.join(path)) => CommandError::bad_request(
            "location_is_a_directory_error",
            format!("Given location '{path}' is a directory"),
        ),
        R::Exists => CommandError::conflict(
            "file_already_exist_error",
            format!("File '{path}' already exist"),
        ),
        R::NotRelative | R::Outside | R::NotFound | R::NotRegular | R::TooLarge(_) => {
            CommandError::bad_request(
                "wrong_filename_error",
                format!(
                    "It is impossible to create file named '{path}': {e}; name a new file inside [general] export_dir"
                ),
            )
        }
        R::Io(_) | R::Directory(_) => CommandError::internal("writing personal data", e),
    }
}

fn is_dir(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.is_dir())
}

/// Writes the ZIP as a new file under `dir` (an admin-given name must not clobber
/// anything, nor leave it), and removes a partly written file on failure.
fn write_file(dir: &Path, name: &str, files: &[(String, Vec<u8>)]) -> CommandResult<PathBuf> {
    let (file, path) = super::confined::create(dir, name).map_err(|e| file_error(name, dir, &e))?;
    let result = zip::write_zip(
        std::io::BufWriter::new(&file),
        files,
        crate::util::now_secs(),
    )
    .and_then(|()| file.sync_all());
    if let Err(e) = result {
        let _ = std::fs::remove_file(&path);
        return Err(CommandError::internal("writing personal data", e));
    }
    Ok(path)
}

/// Retrieves all personal data of `username@domain` into a ZIP of CSV files at `path`,
/// relative to `[general] export_dir` (a meerkat extension: MongooseIM writes to any
/// server path the caller names; here only new files in that directory, and exports are
/// refused when it is not set).
pub async fn retrieve_personal_data(
    server: &Server,
    username: &str,
    domain: &str,
    path: &str,
) -> CommandResult<String> {
    let no_user = || {
        CommandError::not_found("user_does_not_exist_error", "User does not exist")
            .with("user", username)
            .with("domain", domain)
    };
    let user = BareJid::new(&format!("{username}@{domain}")).map_err(|_| no_user())?;
    if user.node().is_none() || !server.is_served_domain(user.domain().as_str()) {
        return Err(no_user());
    }
    let exists = server
        .user_exists(&user)
        .await
        .map_err(|e| CommandError::internal("user lookup", e))?;
    if !exists {
        return Err(no_user());
    }
    let files: Vec<(String, Vec<u8>)> = collect(server, &user)
        .await?
        .into_iter()
        .filter(|g| !g.rows.is_empty())
        .map(|g| (format!("{}.csv", g.name), csv(g.columns, &g.rows)))
        .collect();
    let Some(dir) = server.config().general.export_dir.clone() else {
        return Err(super::confined::not_configured(
            "retrievePersonalData",
            "export_dir",
        ));
    };
    let target = path.to_owned();
    let written = tokio::task::spawn_blocking(move || write_file(&dir, &target, &files))
        .await
        .map_err(|e| CommandError::internal("writing personal data", e))?
        .map_err(|e| e.with("user", username).with("domain", domain))?;
    tracing::info!(user = %user, path = %written.display(), "personal data retrieved");
    Ok("Data retrieved".into())
}

#[cfg(test)]
mod tests {
    use super::csv;

    #[test]
    fn csv_quoting() {
        let rows = vec![
            vec!["a".to_owned(), "b,c".to_owned()],
            vec!["say \"hi\"".to_owned(), "x\ny".to_owned()],
        ];
        assert_eq!(
            String::from_utf8(csv(&["one", "two"], &rows)).unwrap(),
            "one,two\na,\"b,c\"\n\"say \"\"hi\"\"\",\"x\ny\"\n"
        );
    }
}
