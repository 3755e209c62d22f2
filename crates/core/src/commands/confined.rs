//! Server files named by a remote caller (`importUsers`, `retrievePersonalData`),
//! confined to a configured directory (`[general] import_dir` / `export_dir`, meerkat
//! extensions). A name must be relative and made of plain components (no absolute path,
//! no `.` or `..`); once resolved (symlinks followed) it must still be inside the
//! directory; what is read must be a regular file, checked on the opened handle as well
//! (opened non-blocking and without following a final symlink, so a FIFO or device put in
//! its place cannot block or be read); what is written is created new, never replacing
//! anything. These functions block: call them from `spawn_blocking`.

use super::CommandError;
use std::fs::{File, OpenOptions};
use std::io::Read;
use std::path::{Component, Path, PathBuf};

/// Why a name was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Refusal {
    /// Empty, absolute, or with a `.`/`..` component.
    #[error("the name must be a relative path without '.' or '..' components")]
    NotRelative,
    /// Resolves (through a symlink) outside the directory.
    #[error("the name resolves outside the configured directory")]
    Outside,
    /// A FIFO, device, socket or directory.
    #[error("not a regular file")]
    NotRegular,
    /// Larger than the limit.
    #[error("larger than {0} bytes")]
    TooLarge(u64),
    /// Does not exist (or cannot be opened).
    #[error("no such file")]
    NotFound,
    /// Exists already (exports never replace a file).
    #[error("the file exists already")]
    Exists,
    /// The directory does not exist (any more) or cannot be resolved.
    #[error("the configured directory cannot be resolved: {0}")]
    Directory(String),
    /// Another I/O failure.
    #[error("{0}")]
    Io(String),
}

/// `name` as a relative path of plain components.
fn relative(name: &str) -> Result<PathBuf, Refusal> {
    let path = Path::new(name);
    if name.is_empty() || name.contains('\0') {
        return Err(Refusal::NotRelative);
    }
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::Normal(part) => out.push(part),
            _ => return Err(Refusal::NotRelative),
        }
    }
    if out.as_os_str().is_empty() {
        return Err(Refusal::NotRelative);
    }
    Ok(out)
}

fn base(dir: &Path) -> Result<PathBuf, Refusal> {
    dir.canonicalize()
        .map_err(|e| Refusal::Directory(format!("{}: {e}", dir.display())))
}

#[cfg(unix)]
fn careful(o: &mut OpenOptions) -> &mut OpenOptions {
    use std::os::unix::fs::OpenOptionsExt;
    o.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC)
}

#[cfg(not(unix))]
fn careful(o: &mut OpenOptions) -> &mut OpenOptions {
    o
}

/// Reads the regular file `name` under `dir`, at most `max` bytes.
pub fn read(dir: &Path, name: &str, max: u64) -> Result<Vec<u8>, Refusal> {
    let rel = relative(name)?;
    let base = base(dir)?;
    let real = base.join(&rel).canonicalize().map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => Refusal::NotFound,
        _ => Refusal::Io(e.to_string()),
    })?;
    if !real.starts_with(&base) {
        return Err(Refusal::Outside);
    }
    // The type first, so nothing but a regular file is ever opened...
    let meta = std::fs::symlink_metadata(&real).map_err(|e| Refusal::Io(e.to_string()))?;
    if !meta.is_file() {
        return Err(Refusal::NotRegular);
    }
    // ... and again on the handle, in case it was swapped in between.
    let file: File = careful(OpenOptions::new().read(true))
        .open(&real)
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => Refusal::NotFound,
            _ => Refusal::Io(e.to_string()),
        })?;
    let meta = file.metadata().map_err(|e| Refusal::Io(e.to_string()))?;
    if !meta.is_file() {
        return Err(Refusal::NotRegular);
    }
    if meta.len() > max {
        return Err(Refusal::TooLarge(max));
    }
    let mut out = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    // A file growing while read is cut at the limit and refused.
    file.take(max.saturating_add(1))
        .read_to_end(&mut out)
        .map_err(|e| Refusal::Io(e.to_string()))?;
    if u64::try_from(out.len()).unwrap_or(u64::MAX) > max {
        return Err(Refusal::TooLarge(max));
    }
    Ok(out)
}

/// Creates the new file `name` under `dir` (its parent directory must exist inside
/// `dir`) and returns it with its path.
pub fn create(dir: &Path, name: &str) -> Result<(File, PathBuf), Refusal> {
    let rel = relative(name)?;
    let base = base(dir)?;
    let file_name = rel.file_name().ok_or(Refusal::NotRelative)?.to_owned();
    let parent = base.join(rel.parent().unwrap_or(Path::new("")));
    let parent = parent.canonicalize().map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => Refusal::NotFound,
        _ => Refusal::Io(e.to_string()),
    })?;
    if !parent.starts_with(&base) {
        return Err(Refusal::Outside);
    }
    let path = parent.join(file_name);
    // create_new is O_CREAT|O_EXCL: it fails on anything already there, a symlink
    // (even a dangling one) included.
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    // Personal data: readable by the server's user only.
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let file = careful(&mut options)
        .open(&path)
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::AlreadyExists => Refusal::Exists,
            std::io::ErrorKind::NotFound => Refusal::NotFound,
            _ => Refusal::Io(e.to_string()),
        })?;
    Ok((file, path))
}

/// The refusal of an operation whose directory option is not set.
pub fn not_configured(operation: &str, option: &str) -> CommandError {
    CommandError::denied(
        "not_configured",
        format!("{operation} is disabled: set [general] {option} to the directory it may use"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_must_be_plain_relative_paths() {
        for bad in ["", "/etc/passwd", "../x", "a/../../x", "./x", "a/.."] {
            assert_eq!(relative(bad), Err(Refusal::NotRelative), "{bad:?}");
        }
        assert_eq!(relative("a/b.csv"), Ok(PathBuf::from("a/b.csv")));
    }
}
