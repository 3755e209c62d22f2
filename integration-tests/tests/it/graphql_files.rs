//! Server files named over GraphQL (issue 11, items 2 and 3): `importUsers` reads and
//! `retrievePersonalData` writes only inside `[general] import_dir` / `export_dir`
//! (meerkat extensions). Absolute names, `..`, symlinks leading out and non-regular files
//! (a FIFO must not hang the request) are refused; without the option the operation is
//! refused with a message naming it.

use crate::common::TestServer;
use crate::graphql::{DOMAIN_ADMIN, Gql, codes, config, with_general};
use serde_json::{Value, json};
use std::path::Path;
use std::time::Duration;

const IMPORT: &str = "mutation($f: NonEmptyString!) { account { importUsers(filename: $f) { created notAllowed invalidRecord } } }";
const RETRIEVE: &str = "query($u: UserName!, $d: DomainName!, $p: String!) { gdpr { retrievePersonalData(username: $u, domain: $d, resultFilepath: $p) } }";

/// A server whose import and export directories are `<root>/import` and `<root>/export`.
async fn start(root: &Path) -> Gql {
    let (import, export) = (root.join("import"), root.join("export"));
    std::fs::create_dir_all(&import).unwrap();
    std::fs::create_dir_all(&export).unwrap();
    let general = format!(
        "import_dir = {:?}\nexport_dir = {:?}",
        import.display().to_string(),
        export.display().to_string()
    );
    Gql {
        server: TestServer::start(&with_general(&config(""), &general)).await,
    }
}

fn mkfifo(path: &Path) {
    let ok = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo runs")
        .success();
    assert!(ok, "mkfifo {}", path.display());
}

/// An admin request that must answer within 5 s (a FIFO must not block it).
async fn admin(g: &Gql, doc: &str, vars: Value) -> Value {
    tokio::time::timeout(Duration::from_secs(5), g.admin(doc, vars))
        .await
        .expect("the request answers without hanging")
}

#[actix_rt::test]
async fn import_users_reads_only_regular_files_inside_import_dir() {
    let root = tempfile::tempdir().unwrap();
    let g = start(root.path()).await;
    let import = root.path().join("import");
    // A file outside the directory, like the server's own config.
    let secret = root.path().join("secret.csv");
    std::fs::write(&secret, "mallory,localhost,pw\npassword = \"hunter2\"\n").unwrap();
    std::os::unix::fs::symlink(&secret, import.join("link.csv")).unwrap();
    std::os::unix::fs::symlink(root.path(), import.join("up")).unwrap();
    mkfifo(&import.join("pipe.csv"));
    std::fs::create_dir(import.join("dir.csv")).unwrap();
    let big = std::fs::File::create(import.join("big.csv")).unwrap();
    big.set_len(16 * 1024 * 1024 + 1).unwrap();

    let refused = [
        (secret.display().to_string(), "file_not_allowed"),
        ("../secret.csv".to_owned(), "file_not_allowed"),
        ("./../secret.csv".to_owned(), "file_not_allowed"),
        ("link.csv".to_owned(), "file_not_allowed"),
        ("up/secret.csv".to_owned(), "file_not_allowed"),
        ("pipe.csv".to_owned(), "file_not_allowed"),
        ("dir.csv".to_owned(), "file_not_allowed"),
        ("big.csv".to_owned(), "file_too_large"),
        ("missing.csv".to_owned(), "file_not_found"),
    ];
    for (name, code) in &refused {
        let b = admin(&g, IMPORT, json!({"f": name})).await;
        assert_eq!(codes(&b), [*code], "{name}: {b}");
        assert_eq!(b["data"]["account"]["importUsers"], Value::Null, "{name}");
        assert!(!b.to_string().contains("hunter2"), "{name} leaked: {b}");
    }
    // Domain admins are confined the same way.
    g.admin(
        "mutation { domain { setDomainPassword(domain: \"localhost\", password: \"dpw\") } }",
        json!({}),
    )
    .await;
    let (s, b) = g
        .post(
            DOMAIN_ADMIN,
            Some(("admin@localhost", "dpw")),
            IMPORT,
            json!({"f": secret.display().to_string()}),
        )
        .await;
    assert_eq!(
        (s, codes(&b)),
        (200, vec!["file_not_allowed".to_owned()]),
        "{b}"
    );
    let b = g
        .admin(
            "{ account { checkUser(user: \"mallory@localhost\") { exist } } }",
            json!({}),
        )
        .await;
    assert_eq!(b["data"]["account"]["checkUser"]["exist"], false, "{b}");

    // A regular file inside (also in a subdirectory) is imported.
    std::fs::write(import.join("ok.csv"), "frank,localhost,pw1\n").unwrap();
    std::fs::create_dir(import.join("sub")).unwrap();
    std::fs::write(import.join("sub/more.csv"), "grace,localhost,pw2\n").unwrap();
    let b = admin(&g, IMPORT, json!({"f": "ok.csv"})).await;
    assert_eq!(
        b["data"]["account"]["importUsers"]["created"],
        json!(["frank@localhost"]),
        "{b}"
    );
    let b = admin(&g, IMPORT, json!({"f": "sub/more.csv"})).await;
    assert_eq!(
        b["data"]["account"]["importUsers"]["created"],
        json!(["grace@localhost"]),
        "{b}"
    );
    g.server.stop().await;
}

#[actix_rt::test]
async fn retrieve_personal_data_writes_only_new_files_inside_export_dir() {
    let root = tempfile::tempdir().unwrap();
    let g = start(root.path()).await;
    g.user("alice", "alice-pw").await;
    let export = root.path().join("export");
    std::os::unix::fs::symlink(root.path(), export.join("up")).unwrap();
    // A dangling symlink: following it would create a file outside.
    std::os::unix::fs::symlink(root.path().join("authorized_keys"), export.join("keys.zip"))
        .unwrap();
    mkfifo(&export.join("pipe.zip"));
    let outside = root.path().join("out.zip");

    let refused = [
        (outside.display().to_string(), "wrong_filename_error"),
        ("../out.zip".to_owned(), "wrong_filename_error"),
        ("up/out.zip".to_owned(), "wrong_filename_error"),
        ("keys.zip".to_owned(), "file_already_exist_error"),
        ("pipe.zip".to_owned(), "file_already_exist_error"),
    ];
    for (path, code) in &refused {
        let b = admin(
            &g,
            RETRIEVE,
            json!({"u": "alice", "d": "localhost", "p": path}),
        )
        .await;
        assert_eq!(codes(&b), [*code], "{path}: {b}");
        assert_eq!(b["data"]["gdpr"]["retrievePersonalData"], Value::Null);
    }
    assert!(!outside.exists());
    assert!(!root.path().join("authorized_keys").exists());

    // Inside: the archive lands in export_dir (or a subdirectory of it).
    std::fs::create_dir(export.join("sub")).unwrap();
    for path in ["alice.zip", "sub/alice.zip"] {
        let b = admin(
            &g,
            RETRIEVE,
            json!({"u": "alice", "d": "localhost", "p": path}),
        )
        .await;
        assert_eq!(
            b["data"]["gdpr"]["retrievePersonalData"], "Data retrieved",
            "{b}"
        );
        let zip = std::fs::read(export.join(path)).unwrap();
        assert_eq!(
            &zip[zip.len() - 22..zip.len() - 18],
            b"PK\x05\x06",
            "{path}"
        );
    }
    g.server.stop().await;
}

#[actix_rt::test]
async fn file_operations_are_refused_without_their_directory() {
    let g = Gql::start("").await;
    g.user("alice", "alice-pw").await;
    let b = admin(&g, IMPORT, json!({"f": "users.csv"})).await;
    assert_eq!(codes(&b), ["not_configured"], "{b}");
    assert!(
        b["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("[general] import_dir"),
        "{b}"
    );
    let b = admin(
        &g,
        RETRIEVE,
        json!({"u": "alice", "d": "localhost", "p": "a.zip"}),
    )
    .await;
    assert_eq!(codes(&b), ["not_configured"], "{b}");
    assert!(
        b["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("[general] export_dir"),
        "{b}"
    );
    g.server.stop().await;
}

#[test]
fn directory_options_are_checked_with_their_toml_path() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("file");
    std::fs::write(&file, "").unwrap();
    for (lines, path, message) in [
        (
            "import_dir = \"relative/dir\"",
            "general.import_dir",
            "is not an absolute path",
        ),
        (
            &format!("export_dir = {:?}", file.display().to_string()) as &str,
            "general.export_dir",
            "is not an existing directory",
        ),
    ] {
        let err = meerkat::load_config_str(&with_general(&config(""), lines))
            .err()
            .unwrap_or_else(|| panic!("{lines} accepted"))
            .to_string();
        assert!(
            err.contains(path) && err.contains(message),
            "{lines}: {err}"
        );
    }
}
