//! Problems found while reading a config file, each with its TOML path.

use std::fmt;

/// One finding: where (`listen.http[1].handlers.mod_bosh[0].path`) and what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// TOML path of the offending key or table.
    pub path: String,
    /// What is wrong, in words a config author understands.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

/// Every error and warning of one config read. Readers keep going after an error so
/// that all problems are reported at once.
#[derive(Clone, Debug, Default)]
pub struct Diagnostics {
    /// Problems that stop the server from starting.
    pub errors: Vec<Problem>,
    /// Things accepted but not acted on (MongooseIM options meerkat does not implement).
    pub warnings: Vec<Problem>,
}

impl Diagnostics {
    /// Records an error.
    pub fn error(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.errors.push(Problem {
            path: path.into(),
            message: message.into(),
        });
    }
    /// Records a warning.
    pub fn warn(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.warnings.push(Problem {
            path: path.into(),
            message: message.into(),
        });
    }
    /// True when nothing stops the server from starting.
    pub fn is_ok(&self) -> bool {
        self.errors.is_empty()
    }
    /// Number of errors recorded so far (to tell whether a sub-reader added any).
    pub fn error_count(&self) -> usize {
        self.errors.len()
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for e in &self.errors {
            writeln!(f, "error: {e}")?;
        }
        for w in &self.warnings {
            writeln!(f, "warning: {w}")?;
        }
        Ok(())
    }
}

/// Joins a parent path and a key (`listen` + `http` → `listen.http`).
pub fn join(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_owned()
    } else {
        format!("{parent}.{key}")
    }
}

/// Appends an array index (`listen.http` + 1 → `listen.http[1]`).
pub fn index(parent: &str, i: usize) -> String {
    format!("{parent}[{i}]")
}
