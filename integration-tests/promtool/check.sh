#!/usr/bin/env bash
# Lints a real scrape of meerkat's Prometheus endpoint with `promtool check metrics`.
#
# Usage:
#   integration-tests/promtool/check.sh                      # starts target/debug/meerkat
#   integration-tests/promtool/check.sh path/to/meerkat      # starts that binary
#   integration-tests/promtool/check.sh http://host:port/metrics   # scrapes a running server
#
# When it starts the binary itself, the server gets a temporary data dir and a config with
# [instrumentation.prometheus], BOSH, WebSocket, the Prometheus handler and a TLS listener
# (the test fixtures' certificate), and some traffic first (HTTP requests of several
# statuses, a BOSH session, one probe tick), so that every family has samples.
#
# promtool is Debian's (package `prometheus`); it is installed when missing (needs root).
#
# Verdict: promtool must parse the scrape, and report no problem except these three lint
# rules, which MongooseIM's metric names break by design (an event `E` with metric `M` is
# exposed as `E_M`, so counters are named `sm_session_logins`, `c2s_auth_failed_count`,
# and the gauge `system_memory_total` keeps Erlang's key `total`). meerkat keeps those
# names so that dashboards built for MongooseIM keep working:
#   - counter metrics should have "_total" suffix
#   - non-histogram and non-summary metrics should not have "_count" suffix
#   - non-counter metrics should not have "_total" suffix
# and, for `tls_cert_remaining_days_count` only (MongooseIM counts the days left):
#   - use base unit "seconds" instead of "days"
# Any other problem (missing HELP, base units, reserved characters, camelCase,
# duplicates, bad histograms, a parse error...) fails the check.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"

if ! command -v promtool >/dev/null 2>&1 || ! command -v curl >/dev/null 2>&1; then
  echo "installing promtool (Debian package prometheus) and curl"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends prometheus curl >/dev/null
fi
promtool --version 2>&1 | head -1

tmp="$(mktemp -d)"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

free_port() {
  local p
  for _ in $(seq 50); do
    p=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return; fi
  done
  echo "no free port found" >&2
  return 1
}

arg="${1:-$root/target/debug/meerkat}"
if [[ "$arg" == http://* || "$arg" == https://* ]]; then
  url="$arg"
else
  bin="$arg"
  [ -x "$bin" ] || { echo "no meerkat binary at $bin (build it first: cargo build -p meerkat)" >&2; exit 1; }
  port="$(free_port)"
  tls_port="$(free_port)"
  fixtures="$root/integration-tests/fixtures/tls"
  cat > "$tmp/meerkat.toml" <<TOML
[general]
  hosts = ["localhost", "example.org"]
  loglevel = "warning"
[[listen.http]]
  port = $port
  ip_address = "127.0.0.1"
  [[listen.http.handlers.mod_bosh]]
    host = "_"
    path = "/http-bind"
  [[listen.http.handlers.mod_websockets]]
    host = "_"
    path = "/ws-xmpp"
  [[listen.http.handlers.mongoose_prometheus_handler]]
    host = "_"
    path = "/metrics"
[[listen.http]]
  port = $tls_port
  ip_address = "127.0.0.1"
  tls.certfile = "$fixtures/server.pem"
  tls.keyfile = "$fixtures/server.key"
  tls.verify_mode = "none"
  [[listen.http.handlers.mod_bosh]]
    host = "_"
    path = "/http-bind"
[auth.password]
  scram_iterations = 64
[services.service_bosh]
[modules.mod_roster]
[modules.mod_presence]
[instrumentation]
  probe_interval = 1
[instrumentation.prometheus]
TOML
  "$bin" --config "$tmp/meerkat.toml" --data-dir "$tmp/data" > "$tmp/server.log" 2>&1 &
  server_pid=$!
  url="http://127.0.0.1:$port/metrics"
  for _ in $(seq 100); do
    if curl -fsS -o /dev/null "$url" 2>/dev/null; then break; fi
    kill -0 "$server_pid" 2>/dev/null || { echo "meerkat exited:"; cat "$tmp/server.log"; exit 1; }
    sleep 0.1
  done
  # Traffic: requests of several statuses to two handlers, and a BOSH session.
  base="http://127.0.0.1:$port"
  curl -sS -o /dev/null "$base/http-bind"
  curl -sS -o /dev/null -X PUT "$base/http-bind"
  curl -sS -o /dev/null -X POST -H 'content-type: text/xml' \
    --data "<body xmlns='http://jabber.org/protocol/httpbind' xmlns:xmpp='urn:xmpp:xbosh' to='localhost' rid='1000' wait='1' hold='1' xmpp:version='1.0'/>" \
    "$base/http-bind"
  curl -sS -o /dev/null "$base/metrics/unknown" || true
  sleep 1.2 # one probe tick
fi

curl -fsS "$url" > "$tmp/scrape.txt"
families=$(grep -c '^# TYPE ' "$tmp/scrape.txt" || true)
samples=$(grep -vc '^#' "$tmp/scrape.txt" || true)
echo "scraped $url: $families families, $samples samples"

status=0
promtool check metrics < "$tmp/scrape.txt" > "$tmp/promtool.out" 2>&1 || status=$?
case "$status" in
  0) echo "promtool check metrics: no problems"; exit 0 ;;
  3) ;; # lint problems: judged below
  *) echo "promtool check metrics failed (exit $status):"; cat "$tmp/promtool.out"; exit 1 ;;
esac

allowed='^[a-zA-Z_:][a-zA-Z0-9_:]* (counter metrics should have "_total" suffix|non-histogram and non-summary metrics should not have "_count" suffix|non-counter metrics should not have "_total" suffix)$|^tls_cert_remaining_days_count use base unit "seconds" instead of "days"$'
accepted=$(grep -Ec "$allowed" "$tmp/promtool.out" || true)
if grep -Ev "$allowed" "$tmp/promtool.out" | grep -q .; then
  echo "promtool check metrics: problems beyond MongooseIM's naming:"
  grep -Ev "$allowed" "$tmp/promtool.out"
  exit 1
fi
echo "promtool check metrics: parsed; $accepted lint notes, all on MongooseIM's names (_count/_total suffixes, days), no other problem"
