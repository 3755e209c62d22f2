//! GraphQL `gdpr` category over real HTTP: `retrievePersonalData` writes a ZIP of CSV
//! files (MongooseIM's names and columns), read back here with a minimal ZIP reader;
//! the error codes of `gdpr_api`; domain-admin scoping.

use crate::common::TestServer;
use crate::graphql::{Gql, codes, config, file_dirs, with_general};
use meerkat_core::store::{Ask, OfflineMessage, RosterItem, Subscription};
use serde_json::{Value, json};

const RETRIEVE: &str = "query($u: UserName!, $d: DomainName!, $p: String!) { gdpr { retrievePersonalData(username: $u, domain: $d, resultFilepath: $p) } }";

/// CRC-32 (IEEE), bit by bit: independent of the server's implementation.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn u16_at(b: &[u8], i: usize) -> usize {
    usize::from(u16::from_le_bytes([b[i], b[i + 1]]))
}

fn u32_at(b: &[u8], i: usize) -> u32 {
    u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]])
}

/// Reads a ZIP archive of stored entries through its central directory, checking the
/// signatures, the local headers against the directory, and every CRC.
fn read_zip(zip: &[u8]) -> Vec<(String, String)> {
    assert!(zip.len() >= 22, "too short for a ZIP");
    let eocd = zip.len() - 22;
    assert_eq!(u32_at(zip, eocd), 0x0605_4b50, "end of central directory");
    let count = u16_at(zip, eocd + 10);
    let dir_size = u32_at(zip, eocd + 12) as usize;
    let mut p = u32_at(zip, eocd + 16) as usize;
    assert_eq!(
        p + dir_size,
        eocd,
        "central directory ends at the end record"
    );
    let mut out = Vec::new();
    for _ in 0..count {
        assert_eq!(u32_at(zip, p), 0x0201_4b50, "central directory header");
        assert_eq!(u16_at(zip, p + 10), 0, "stored entries");
        let crc = u32_at(zip, p + 16);
        let compressed = u32_at(zip, p + 20) as usize;
        let size = u32_at(zip, p + 24) as usize;
        assert_eq!(compressed, size);
        let name_len = u16_at(zip, p + 28);
        let extra_len = u16_at(zip, p + 30);
        let comment_len = u16_at(zip, p + 32);
        let offset = u32_at(zip, p + 42) as usize;
        let name = String::from_utf8(zip[p + 46..p + 46 + name_len].to_vec()).unwrap();
        // The local header repeats the name, CRC and sizes.
        assert_eq!(u32_at(zip, offset), 0x0403_4b50, "local header of {name}");
        assert_eq!(u32_at(zip, offset + 14), crc);
        assert_eq!(u32_at(zip, offset + 22) as usize, size);
        let local_name_len = u16_at(zip, offset + 26);
        assert_eq!(
            &zip[offset + 30..offset + 30 + local_name_len],
            name.as_bytes()
        );
        let start = offset + 30 + local_name_len + u16_at(zip, offset + 28);
        let data = &zip[start..start + size];
        assert_eq!(crc32(data), crc, "CRC of {name}");
        out.push((name, String::from_utf8(data.to_vec()).unwrap()));
        p += 46 + name_len + extra_len + comment_len;
    }
    out.sort();
    out
}

/// A GraphQL server whose `export_dir` (and `import_dir`) is `dir`.
async fn start_in(dir: &std::path::Path) -> Gql {
    Gql {
        server: TestServer::start(&with_general(&config(""), &file_dirs(dir))).await,
    }
}

async fn retrieve(g: &Gql, user: &str, domain: &str, path: &str) -> Value {
    g.admin(RETRIEVE, json!({"u": user, "d": domain, "p": path}))
        .await
}

#[actix_rt::test]
async fn personal_data_zip_of_csv_files() {
    let dir = tempfile::tempdir().unwrap();
    let g = start_in(dir.path()).await;
    let alice = g.user("alice", "alice-pw").await;
    let store = g.server.meerkat.server.store();
    let item = |contact: &str, name: Option<&str>, groups: &[&str], sub, ask| RosterItem {
        contact: contact.to_owned(),
        name: name.map(str::to_owned),
        groups: groups.iter().map(|s| (*s).to_owned()).collect(),
        subscription: sub,
        ask,
    };
    store
        .roster_put_item(
            &alice,
            &item(
                "bob@localhost",
                Some("Bob"),
                &["Friends", "Work"],
                Subscription::Both,
                Ask::None,
            ),
        )
        .await
        .unwrap();
    store
        .roster_put_item(
            &alice,
            &item("carol@other.test", None, &[], Subscription::To, Ask::Out),
        )
        .await
        .unwrap();
    store
        .vcard_set(&alice, "<vCard xmlns='vcard-temp'><FN>Alice</FN></vCard>")
        .await
        .unwrap();
    store
        .private_set(&alice, "urn:a", "<a xmlns=\"urn:a\">1,2</a>")
        .await
        .unwrap();
    store
        .private_set(&alice, "urn:b", "<b xmlns='urn:b'/>")
        .await
        .unwrap();
    let packet = "<message xmlns='jabber:client' from='bob@localhost/res' to='alice@localhost/phone' type='chat'><body>hi</body></message>";
    store
        .offline_push(
            &alice,
            &OfflineMessage {
                id: 0,
                from: "bob@localhost/res".into(),
                to: "alice@localhost/phone".into(),
                packet: packet.into(),
                timestamp_us: 1_700_000_000_123_456,
                expire_us: None,
            },
        )
        .await
        .unwrap();

    // The path is relative to [general] export_dir.
    let b = retrieve(&g, "alice", "localhost", "alice.zip").await;
    assert_eq!(
        b["data"]["gdpr"]["retrievePersonalData"], "Data retrieved",
        "{b}"
    );
    let files = read_zip(&std::fs::read(dir.path().join("alice.zip")).unwrap());
    let expected = [
        (
            "offline.csv",
            format!(
                "timestamp,from,to,packet\n2023-11-14T22:13:20Z,bob@localhost/res,alice@localhost,{packet}\n"
            ),
        ),
        (
            "private.csv",
            "ns,xml\nurn:a,\"<a xmlns=\"\"urn:a\"\">1,2</a>\"\nurn:b,<b xmlns='urn:b'/>\n".to_owned(),
        ),
        (
            "roster.csv",
            "jid,name,subscription,ask,groups,askmessage,xs\nbob@localhost,Bob,both,none,\"Friends, Work\",,\ncarol@other.test,,to,out,,,\n"
                .to_owned(),
        ),
        (
            "vcard.csv",
            "jid,vcard\nalice@localhost,<vCard xmlns='vcard-temp'><FN>Alice</FN></vCard>\n"
                .to_owned(),
        ),
    ];
    let expected: Vec<(String, String)> = expected
        .into_iter()
        .map(|(n, c)| (n.to_owned(), c))
        .collect();
    assert_eq!(files, expected);

    // A user without data gets an archive without files.
    g.user("dave", "dave-pw").await;
    let b = retrieve(&g, "dave", "localhost", "dave.zip").await;
    assert_eq!(b["data"]["gdpr"]["retrievePersonalData"], "Data retrieved");
    assert!(read_zip(&std::fs::read(dir.path().join("dave.zip")).unwrap()).is_empty());
    g.server.stop().await;
}

#[actix_rt::test]
async fn personal_data_errors_and_scoping() {
    let dir = tempfile::tempdir().unwrap();
    let g = start_in(dir.path()).await;
    g.user("alice", "alice-pw").await;
    let path = "out.zip";
    let written = dir.path().join(path);
    for (user, domain) in [("nobody", "localhost"), ("alice", "nowhere.test")] {
        let b = retrieve(&g, user, domain, path).await;
        assert_eq!(codes(&b), ["user_does_not_exist_error"], "{b}");
        assert_eq!(b["errors"][0]["message"], "User does not exist");
        assert_eq!(b["data"]["gdpr"]["retrievePersonalData"], Value::Null);
    }
    assert!(!written.exists());
    let b = retrieve(&g, "alice", "localhost", path).await;
    assert_eq!(b["data"]["gdpr"]["retrievePersonalData"], "Data retrieved");
    // An existing file is never replaced.
    let b = retrieve(&g, "alice", "localhost", path).await;
    assert_eq!(codes(&b), ["file_already_exist_error"], "{b}");
    assert_eq!(
        b["errors"][0]["message"],
        format!("File '{path}' already exist")
    );
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    let d = "sub";
    let b = retrieve(&g, "alice", "localhost", d).await;
    assert_eq!(codes(&b), ["location_is_a_directory_error"], "{b}");
    assert_eq!(
        b["errors"][0]["message"],
        format!("Given location '{d}' is a directory")
    );
    let missing = "no/such/dir/out.zip";
    let b = retrieve(&g, "alice", "localhost", missing).await;
    assert_eq!(codes(&b), ["wrong_filename_error"], "{b}");
    assert!(
        b["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .starts_with(&format!(
                "It is impossible to create file named '{missing}'"
            )),
        "{b}"
    );
    assert_eq!(b["errors"][0]["extensions"]["user"], "alice");
    assert_eq!(b["errors"][0]["extensions"]["domain"], "localhost");

    // Domain admins: their own domain only.
    g.admin(
        "mutation { domain { setDomainPassword(domain: \"localhost\", password: \"dpw\") } }",
        json!({}),
    )
    .await;
    let own = "own.zip";
    let (s, b) = g
        .post(
            crate::graphql::DOMAIN_ADMIN,
            Some(("admin@localhost", "dpw")),
            RETRIEVE,
            json!({"u": "alice", "d": "localhost", "p": own}),
        )
        .await;
    assert_eq!(
        (s, &b["data"]["gdpr"]["retrievePersonalData"]),
        (200, &json!("Data retrieved")),
        "{b}"
    );
    let theirs = "theirs.zip";
    let (_, b) = g
        .post(
            crate::graphql::DOMAIN_ADMIN,
            Some(("admin@localhost", "dpw")),
            RETRIEVE,
            json!({"u": "bob", "d": "other.test", "p": theirs}),
        )
        .await;
    assert_eq!(codes(&b), ["no_permissions"], "{b}");
    assert!(dir.path().join(own).exists());
    assert!(!dir.path().join(theirs).exists());
    g.server.stop().await;
}
