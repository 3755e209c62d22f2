# Thin shortcuts over cargo; .ci/run is the same without just.

# List the recipes.
default:
    @just --list

# Run the server (the default config; data in ./data).
run *ARGS:
    cargo run --release -- {{ARGS}}

# Every unit and integration test.
test:
    cargo test --workspace

# The integration suite with every server on PostgreSQL (started by the tests).
test-postgres:
    MEERKAT_TEST_STORE=postgres cargo test -p integration-tests --test it

# Formatting and clippy, warnings denied.
lint:
    cargo fmt --all --check
    cargo clippy --workspace --all-targets -- -D warnings

# Each handler feature built alone (clippy: a check that also denies warnings).
check-features:
    cargo clippy -p meerkat --all-targets --no-default-features --features handler-bosh -- -D warnings
    cargo clippy -p meerkat --all-targets --no-default-features --features handler-ws -- -D warnings
    cargo clippy -p meerkat --all-targets --no-default-features --features handler-graphql -- -D warnings
    cargo clippy -p meerkat --all-targets --no-default-features --features handler-rest-admin -- -D warnings
    cargo clippy -p meerkat --all-targets --no-default-features --features handler-rest-client -- -D warnings
    cargo clippy -p meerkat --all-targets --no-default-features --features handler-prometheus -- -D warnings

# schemathesis against both REST APIs' generated OpenAPI documents (debug binary).
schemathesis:
    cargo build -p meerkat
    bash integration-tests/schemathesis/check.sh target/debug/meerkat

# The whole CI.
ci:
    .ci/run

# Every benchmark scenario against meerkat (issue 7; about 10 minutes, needs 2 CPUs);
# writes bench/results/<date>.md and .json. ARGS go to `meerkat-loadgen all`, e.g. --quick,
# or --peers ejabberd,prosody for the side-by-side run (as root; about 30 minutes).
bench *ARGS:
    cargo build --release -p meerkat -p meerkat-loadgen
    target/release/meerkat-loadgen all {{ARGS}}

# One fuzz target (xml_parse, bosh_body, graphql_request, config) with cargo-fuzz on the
# nightly toolchain; see fuzz/README.md. ARGS go to libFuzzer, e.g. -max_total_time=600.
fuzz TARGET *ARGS:
    cd fuzz && cargo +nightly fuzz run -s none {{TARGET}} -- {{ARGS}}
