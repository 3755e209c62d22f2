//! Accounts: list, count, register, remove, ban, change password, check password and
//! existence, import from CSV. Messages follow MongooseIM's `mongoose_account_api`;
//! unlike MongooseIM, messages never repeat the password that was checked.

use super::{CommandError, CommandResult, ErrorKind, existing_user, local_domain, local_user};
use crate::util::hex;
use crate::{AccountError, Server};
use meerkat_xmpp::BareJid;

fn register_error(jid: &str, e: AccountError) -> CommandError {
    match e {
        AccountError::AlreadyExists(_) => {
            CommandError::denied("user_exists", format!("User {jid} already registered"))
        }
        AccountError::InvalidJid(_) => {
            CommandError::bad_request("invalid_jid", format!("Invalid JID {jid}"))
        }
        AccountError::UnknownDomain(d) => {
            CommandError::not_found("domain_not_found", "Domain does not exist").with("domain", d)
        }
        AccountError::EmptyPassword => {
            CommandError::bad_request("empty_password", "Empty password")
        }
        AccountError::LimitReached(d) => CommandError::denied(
            "limit_per_domain_exceeded",
            format!("User limit has been exceeded for domain {d}"),
        ),
        AccountError::NotFound(_) => CommandError::denied(
            "not_allowed",
            "User does not exist or you are not authorized properly",
        ),
        AccountError::Store(e) => CommandError::internal("account storage", e),
    }
    .with("jid", jid)
}

/// Users of a domain, sorted, optionally paged.
pub async fn list_users(
    server: &Server,
    domain: &str,
    limit: Option<usize>,
    index: Option<usize>,
) -> CommandResult<Vec<String>> {
    let domain = local_domain(server, domain)?;
    let users = server
        .list_users(&domain)
        .await
        .map_err(|e| CommandError::internal("list users", e))?;
    let index = index.unwrap_or(0);
    Ok(users
        .into_iter()
        .skip(index)
        .take(limit.unwrap_or(usize::MAX))
        .collect())
}

/// What an account change did: the account and MongooseIM's message for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountChange {
    /// The account registered, removed, banned or given a new password.
    pub jid: BareJid,
    /// MongooseIM's message, e.g. "User alice@localhost successfully registered".
    pub message: String,
}

/// The answer of a check (password, password hash, account existence) with MongooseIM's
/// message for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    /// Whether the password is correct / the account exists.
    pub ok: bool,
    /// MongooseIM's message, e.g. "Password for user alice@localhost is correct".
    pub message: String,
}

/// Number of users of a domain.
pub async fn count_users(server: &Server, domain: &str) -> CommandResult<u64> {
    let domain = local_domain(server, domain)?;
    Ok(server.store().count_users(&domain).await?)
}

/// Registers `username@domain` (a generated name when `None`).
pub async fn register_user(
    server: &Server,
    domain: &str,
    username: Option<&str>,
    password: &str,
) -> CommandResult<AccountChange> {
    let domain = local_domain(server, domain)?;
    let username = match username {
        Some(u) => u.to_owned(),
        None => format!("{}-{}", crate::util::now_us(), crate::util::random_hex(8)),
    };
    let literal = format!("{username}@{domain}");
    let jid = crate::accounts::account_jid(server, &username, &domain)
        .map_err(|e| register_error(&literal, e))?;
    server
        .register_user(&jid, password)
        .await
        .map_err(|e| register_error(jid.as_str(), e))?;
    Ok(AccountChange {
        message: format!("User {jid} successfully registered"),
        jid,
    })
}

/// Removes an account and everything stored for it.
pub async fn remove_user(server: &Server, jid: &str) -> CommandResult<AccountChange> {
    let user = local_user(server, jid)?;
    server.remove_user(&user).await.map_err(|e| match e {
        AccountError::NotFound(_) => CommandError::denied(
            "not_allowed",
            "User does not exist or you are not authorized properly",
        )
        .with("jid", user.as_str()),
        other => register_error(user.as_str(), other),
    })?;
    Ok(AccountChange {
        message: format!("User {user} successfully unregistered"),
        jid: user,
    })
}

/// Kicks the user's sessions and sets a random password.
pub async fn ban_user(server: &Server, jid: &str, reason: &str) -> CommandResult<AccountChange> {
    let user = existing_user(server, jid).await?;
    super_kick(server, &user, reason);
    let password = format!(
        "BANNED_ACCOUNT--{}--{}--{reason}",
        crate::util::timestamp_secs(crate::util::now_secs()),
        crate::util::random_hex(16)
    );
    server
        .set_password(&user, &password)
        .await
        .map_err(|e| register_error(user.as_str(), e))?;
    Ok(AccountChange {
        message: format!("User {user} successfully banned with reason: {reason}"),
        jid: user,
    })
}

fn super_kick(server: &Server, user: &BareJid, reason: &str) {
    for r in server.sm().resources(user) {
        r.send(crate::sm::Routed::kick(reason.to_owned()));
    }
}

/// Sets a new password.
pub async fn change_password(
    server: &Server,
    jid: &str,
    password: &str,
) -> CommandResult<AccountChange> {
    let user = local_user(server, jid)?;
    server
        .set_password(&user, password)
        .await
        .map_err(|e| register_error(user.as_str(), e))?;
    Ok(AccountChange {
        jid: user,
        message: "Password changed".into(),
    })
}

/// Whether the password is correct.
pub async fn check_password(server: &Server, jid: &str, password: &str) -> CommandResult<Verdict> {
    let user = existing_user(server, jid).await?;
    let ok = server
        .check_password(&user, password)
        .await
        .map_err(|e| register_error(user.as_str(), e))?;
    let verdict = if ok { "correct" } else { "incorrect" };
    Ok(Verdict {
        ok,
        message: format!("Password for user {user} is {verdict}"),
    })
}

/// Checks a hex MD5 or SHA-1 hash of a plaintext-stored password (MongooseIM's
/// `checkPasswordHash`; accounts with SCRAM-only storage cannot be checked this way).
pub async fn check_password_hash(
    server: &Server,
    jid: &str,
    hash: &str,
    method: &str,
) -> CommandResult<Verdict> {
    let user = local_user(server, jid)?;
    let stored = server
        .stored_password(&user)
        .await
        .map_err(|e| register_error(user.as_str(), e))?;
    let Some(plain) = stored.and_then(|p| p.plain) else {
        return Err(CommandError::denied(
            "wrong_user",
            "User does not exist or using SCRAM password",
        )
        .with("jid", user.as_str()));
    };
    let computed = match method {
        "md5" => hex(&md5_digest(plain.as_bytes())),
        "sha" => hex(&sha1_digest(plain.as_bytes())),
        other => {
            return Err(CommandError::bad_request(
                "wrong_method",
                format!("Given hash method `{other}` is not supported. Try `md5` or `sha`"),
            ));
        }
    };
    let ok = computed.eq_ignore_ascii_case(hash.trim());
    Ok(Verdict {
        ok,
        message: if ok {
            "Password hash is correct".into()
        } else {
            "Password hash is incorrect".into()
        },
    })
}

fn sha1_digest(data: &[u8]) -> Vec<u8> {
    use sha1::Digest;
    sha1::Sha1::digest(data).to_vec()
}

fn md5_digest(data: &[u8]) -> Vec<u8> {
    use md5::Digest;
    md5::Md5::digest(data).to_vec()
}

/// Whether the account exists.
pub async fn check_user(server: &Server, jid: &str) -> CommandResult<Verdict> {
    let user = local_user(server, jid)?;
    let exists = server
        .user_exists(&user)
        .await
        .map_err(|e| register_error(user.as_str(), e))?;
    Ok(Verdict {
        ok: exists,
        message: if exists {
            format!("User {user} exists")
        } else {
            format!("User {user} does not exist")
        },
    })
}

/// Outcome of [`import_users`], grouped as MongooseIM's `ImportPayload`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportSummary {
    /// Accounts created.
    pub created: Vec<String>,
    /// Accounts that already existed.
    pub existing: Vec<String>,
    /// Accounts refused (e.g. a domain the caller may not touch).
    pub not_allowed: Vec<String>,
    /// Records whose JID is invalid.
    pub invalid_jid: Vec<String>,
    /// Records with an empty password.
    pub empty_password: Vec<String>,
    /// Lines that are not `user,domain,password` records.
    pub invalid_record: Vec<String>,
}

/// Largest import file: 16 MiB.
pub const MAX_IMPORT_BYTES: u64 = 16 * 1024 * 1024;

/// Imports `user,domain,password` lines from a CSV file. `path` is relative to
/// `[general] import_dir` (a meerkat extension: MongooseIM reads any server path; here a
/// remote caller names only files in that directory, and imports are refused when it is
/// not set). `allowed` decides per domain whether the caller may create accounts there
/// (a domain admin may only import into its own domain; MongooseIM forgets this check).
pub async fn import_users(
    server: &Server,
    path: &str,
    allowed: impl Fn(&str) -> bool,
) -> CommandResult<ImportSummary> {
    let Some(dir) = server.config().general.import_dir.clone() else {
        return Err(super::confined::not_configured("importUsers", "import_dir"));
    };
    let name = path.to_owned();
    let bytes =
        tokio::task::spawn_blocking(move || super::confined::read(&dir, &name, MAX_IMPORT_BYTES))
            .await
            .map_err(|e| CommandError::internal("import users", e))?
            .map_err(|e| import_refusal(path, e))?;
    let text = String::from_utf8_lossy(&bytes);
    let mut s = ImportSummary::default();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let fields: Vec<&str> = split_csv(line);
        let [user, domain, password] = fields.as_slice() else {
            s.invalid_record.push(line.to_owned());
            continue;
        };
        let literal = format!("{user}@{domain}");
        let jid = match BareJid::new(&literal) {
            Ok(j) if j.node().is_some() => j,
            _ => {
                s.invalid_jid.push(literal);
                continue;
            }
        };
        if password.is_empty() {
            s.empty_password.push(jid.to_string());
            continue;
        }
        if !allowed(jid.domain().as_str()) || !server.is_served_domain(jid.domain().as_str()) {
            s.not_allowed.push(jid.to_string());
            continue;
        }
        match server.register_user(&jid, password).await {
            Ok(()) => s.created.push(jid.to_string()),
            Err(AccountError::AlreadyExists(_)) => s.existing.push(jid.to_string()),
            Err(AccountError::InvalidJid(_)) => s.invalid_jid.push(jid.to_string()),
            Err(AccountError::EmptyPassword) => s.empty_password.push(jid.to_string()),
            Err(AccountError::Store(e)) => return Err(CommandError::internal("import users", e)),
            Err(_) => s.not_allowed.push(jid.to_string()),
        }
    }
    Ok(s)
}

fn import_refusal(path: &str, e: super::confined::Refusal) -> CommandError {
    use super::confined::Refusal as R;
    let (kind, code, message) = match &e {
        R::NotFound => (
            ErrorKind::NotFound,
            "file_not_found",
            "File not found".to_owned(),
        ),
        R::TooLarge(_) => (
            ErrorKind::BadRequest,
            "file_too_large",
            format!("File {path} is {e}"),
        ),
        R::NotRelative | R::Outside | R::NotRegular => (
            ErrorKind::Denied,
            "file_not_allowed",
            format!(
                "File {path} cannot be imported: {e}; name a regular file inside [general] import_dir"
            ),
        ),
        R::Directory(_) | R::Exists | R::Io(_) => {
            return CommandError::internal("reading the import file", e).with("filename", path);
        }
    };
    tracing::info!(path, reason = %e, "import file refused");
    CommandError::new(kind, code, message).with("filename", path)
}

/// Splits one CSV line (fields optionally double-quoted, `""` for a quote).
fn split_csv(line: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = line;
    loop {
        let field;
        if let Some(stripped) = rest.strip_prefix('"') {
            // Quoted field: up to the closing quote not followed by another quote.
            let mut end = None;
            let b = stripped.as_bytes();
            let mut i = 0;
            while i < b.len() {
                if b[i] == b'"' {
                    if b.get(i + 1) == Some(&b'"') {
                        i += 2;
                        continue;
                    }
                    end = Some(i);
                    break;
                }
                i += 1;
            }
            let Some(end) = end else { return vec![line] };
            field = &stripped[..end];
            rest = &stripped[end + 1..];
        } else {
            let end = rest.find(',').unwrap_or(rest.len());
            field = &rest[..end];
            rest = &rest[end..];
        }
        out.push(field);
        match rest.strip_prefix(',') {
            Some(r) => rest = r,
            None => break,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::split_csv;

    #[test]
    fn csv_fields() {
        assert_eq!(
            split_csv("alice,localhost,secret"),
            ["alice", "localhost", "secret"]
        );
        assert_eq!(
            split_csv("\"bob\",localhost,\"pa,ss\"\"word\""),
            ["bob", "localhost", "pa,ss\"\"word"]
        );
        assert_eq!(split_csv("a,b"), ["a", "b"]);
    }
}
