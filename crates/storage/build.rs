//! `sqlx::migrate!` embeds each migration with `include_str!`, so edits to an existing file
//! trigger a rebuild, but a *new* file in `migrations/` would not. Watching the directory
//! fixes that.

fn main() {
    println!("cargo:rerun-if-changed=migrations");
    println!("cargo:rerun-if-changed=migrations-postgres");
}
