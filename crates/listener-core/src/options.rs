//! Option shapes several handlers share, read the same way everywhere.

use meerkat_core::config::{Diagnostics, Section};

/// The error of an option reader: the problem is already recorded in the [`Diagnostics`]
/// (with its path), so there is nothing more to say.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reported;

/// HTTP Basic credentials configured for an API (`username` + `password`).
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// User name.
    pub username: String,
    /// Password.
    pub password: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

impl Credentials {
    /// Reads `username` and `password`, which must be both set or both absent.
    /// `Err(Reported)` means a problem was recorded.
    pub fn read(
        s: &mut Section<'_>,
        diag: &mut Diagnostics,
    ) -> Result<Option<Credentials>, Reported> {
        let username = s.opt::<String>("username", diag);
        let password = s.opt::<String>("password", diag);
        match (username, password) {
            (Some(username), Some(password)) => Ok(Some(Credentials { username, password })),
            (None, None) if !s.has("username") && !s.has("password") => Ok(None),
            (Some(_), None) if !s.has("password") => {
                diag.error(
                    s.key_path("password"),
                    "username is set without password (set both or neither)",
                );
                Err(Reported)
            }
            (None, Some(_)) if !s.has("username") => {
                diag.error(
                    s.key_path("username"),
                    "password is set without username (set both or neither)",
                );
                Err(Reported)
            }
            _ => Err(Reported), // a type error was recorded
        }
    }

    /// Compares presented credentials in constant time (`subtle`; only the lengths may
    /// show), both parts always.
    pub fn matches(&self, username: &str, password: &str) -> bool {
        use subtle::ConstantTimeEq;
        let user = self.username.as_bytes().ct_eq(username.as_bytes());
        let pass = self.password.as_bytes().ct_eq(password.as_bytes());
        (user & pass).into()
    }
}

/// Reads a non-empty list of unique values drawn from `allowed`. `Ok(None)` when absent.
pub fn read_subset(
    s: &mut Section<'_>,
    key: &str,
    allowed: &[&str],
    diag: &mut Diagnostics,
) -> Result<Option<Vec<String>>, Reported> {
    let Some(items) = s.opt::<Vec<String>>(key, diag) else {
        return if s.has(key) { Err(Reported) } else { Ok(None) };
    };
    let before = diag.error_count();
    if items.is_empty() {
        diag.error(s.key_path(key), "must not be empty");
    }
    for (i, item) in items.iter().enumerate() {
        if !allowed.contains(&item.as_str()) {
            diag.error(
                format!("{}[{i}]", s.key_path(key)),
                format!("unknown value \"{item}\"; allowed: {}", allowed.join(", ")),
            );
        } else if items[..i].contains(item) {
            diag.error(
                format!("{}[{i}]", s.key_path(key)),
                format!("duplicate value \"{item}\""),
            );
        }
    }
    if diag.error_count() == before {
        Ok(Some(items))
    } else {
        Err(Reported)
    }
}
