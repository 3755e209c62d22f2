//! Property test of the config reader (issue 11): thousands of mutated versions of the
//! shipped configs (meerkat's default, MongooseIM's 6.5 and 6.8 defaults) go through
//! `load_config_str`. Each must give a config or diagnostics, never a panic, and every
//! error diagnostic must name where it is (a TOML path or a line).

use rand::rngs::SmallRng;
use rand::{RngExt, SeedableRng};
use std::path::PathBuf;

/// A seeded generator, so that a failure replays; `below(n)` is uniform in `0..n`.
struct Rng(SmallRng);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(SmallRng::seed_from_u64(seed))
    }
    fn below(&mut self, n: usize) -> usize {
        self.0.random_range(0..n.max(1))
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Values an operator (or a fuzzer) might put where another was expected.
const VALUES: &[&str] = &[
    "0",
    "-1",
    "9223372036854775807",
    "-9223372036854775808",
    "18446744073709551616",
    "1e308",
    "nan",
    "inf",
    "\"\"",
    "\"infinity\"",
    "\"../../etc/passwd\"",
    "\"\\u0000\"",
    "\"日本語\"",
    "true",
    "[]",
    "[1, \"a\", {}]",
    "{}",
    "{ a = 1 }",
    "1979-05-27T07:32:00Z",
    "\"@HOST@\"",
    "\"*\"",
    "65536",
    "4294967296",
];

/// Keys meerkat and MongooseIM use, to put under other sections.
const KEYS: &[&str] = &[
    "port",
    "ip_address",
    "max_stanza_size",
    "max_wait",
    "inactivity",
    "timeout",
    "ping_rate",
    "hosts",
    "host_types",
    "max_connections",
    "num_acceptors",
    "max_rate",
    "match",
    "user",
    "server",
    "value",
    "acl",
    "schema_endpoint",
    "username",
    "password",
    "backend",
    "sse_idle_timeout",
    "import_dir",
    "export_dir",
    "tls.certfile",
    "handlers",
];

/// Section headers to insert.
const HEADERS: &[&str] = &[
    "[general]",
    "[[listen.http]]",
    "[[listen.http.handlers.mod_bosh]]",
    "[[listen.http.handlers.mod_websockets]]",
    "[[listen.http.handlers.mongoose_graphql_handler]]",
    "[[listen.http.handlers.mongoose_admin_api]]",
    "[shaper.normal]",
    "[acl]",
    "[access]",
    "[modules.mod_offline]",
    "[modules.mod_bosh]",
    "[auth.password]",
    "[[host_config]]",
    "[services.service_bosh]",
];

fn repo_file(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path)
}

fn mutate(rng: &mut Rng, lines: &mut Vec<String>) {
    for _ in 0..=rng.below(3) {
        let at = rng.below(lines.len() + 1);
        match rng.below(8) {
            0 if !lines.is_empty() => {
                lines.remove(at.min(lines.len() - 1));
            }
            1 if !lines.is_empty() => {
                let line = lines[at.min(lines.len() - 1)].clone();
                lines.insert(at, line);
            }
            2 | 3 if !lines.is_empty() => {
                // Replace the value of a `key = value` line.
                let i = at.min(lines.len() - 1);
                if let Some((key, _)) = lines[i].split_once('=') {
                    lines[i] = format!("{}= {}", key, rng.pick(VALUES));
                }
            }
            4 => lines.insert(at, format!("{} = {}", rng.pick(KEYS), rng.pick(VALUES))),
            5 => lines.insert(at, (*rng.pick(HEADERS)).to_owned()),
            6 if !lines.is_empty() => {
                // Flip a byte of a line (kept valid UTF-8 by working on ASCII only).
                let i = at.min(lines.len() - 1);
                let mut bytes = lines[i].clone().into_bytes();
                if !bytes.is_empty() {
                    let j = rng.below(bytes.len());
                    if bytes[j].is_ascii() {
                        bytes[j] = *rng.pick(b"=[]{}\"'#.,\\ 0a");
                    }
                }
                lines[i] = String::from_utf8(bytes).unwrap_or_default();
            }
            _ => {
                lines.truncate(at);
            }
        }
    }
}

#[test]
fn mutated_configs_never_panic_and_errors_say_where() {
    let seeds = [
        "config/meerkat.toml",
        "integration-tests/fixtures/mongooseim/mongooseim-6.5-default.toml",
        "integration-tests/fixtures/mongooseim/mongooseim-6.8-default.toml",
    ]
    .map(|p| std::fs::read_to_string(repo_file(p)).expect("shipped config"));
    let mut rng = Rng::new(0x5eed_c0f1_6000_0001);
    let (mut accepted, mut refused) = (0usize, 0usize);
    for round in 0..1500 {
        let seed = &seeds[round % seeds.len()];
        let mut lines: Vec<String> = seed.lines().map(str::to_owned).collect();
        mutate(&mut rng, &mut lines);
        let text = lines.join("\n");
        match meerkat::load_config_str(&text) {
            Ok(_) => accepted += 1,
            Err(diags) => {
                refused += 1;
                let shown = diags.to_string();
                assert!(
                    !shown.trim().is_empty(),
                    "round {round}: a refused config must say why:\n{text}"
                );
            }
        }
    }
    // Both outcomes must occur, or the mutations test nothing.
    assert!(
        accepted > 50 && refused > 50,
        "accepted {accepted}, refused {refused}"
    );
}
