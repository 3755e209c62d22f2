#!/usr/bin/env bash
# Runs the interop tests: starts meerkat on a free port with a temporary data dir,
# creates the test users with the account CLI, and runs each client script.
# Usage: integration-tests/interop/run.sh [path/to/meerkat]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin="$(cd "$here/../.." && pwd)/target/debug/meerkat"
bin="$(realpath "${1:-$bin}")"
cd "$here"
npm ci --no-audit --no-fund --loglevel=error

tmp="$(mktemp -d)"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

port="$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
cat > "$tmp/meerkat.toml" <<TOML
[general]
  hosts = ["localhost"]
  loglevel = "warning"
[[listen.http]]
  port = $port
  ip_address = "127.0.0.1"
  [[listen.http.handlers.mod_websockets]]
    host = "_"
    path = "/ws-xmpp"
  [[listen.http.handlers.mod_bosh]]
    host = "_"
    path = "/http-bind"
[auth]
  sasl_mechanisms = ["scram_sha1", "plain"]
  password.scram_iterations = 4096
[services.service_bosh]
[modules.mod_roster]
[modules.mod_presence]
[modules.mod_offline]
[modules.mod_disco]
[modules.mod_ping]
[modules.mod_mam]
[modules.mod_mam.pm]
TOML
for u in alice bob carol; do
  "$bin" --config "$tmp/meerkat.toml" --data-dir "$tmp/data" account add "$u@localhost" --password "$u-pw"
done
"$bin" --config "$tmp/meerkat.toml" --data-dir "$tmp/data" > "$tmp/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 100); do
  if node -e "require('net').connect($port,'127.0.0.1').on('connect',()=>process.exit(0)).on('error',()=>process.exit(1))"; then break; fi
  sleep 0.1
done

status=0
export MEERKAT_WS_URL="ws://127.0.0.1:$port/ws-xmpp" MEERKAT_BOSH_URL="http://127.0.0.1:$port/http-bind"
node test-ws.mjs || status=$?
[ "$status" -ne 0 ] || node test-bosh.mjs || status=$?
if [ "$status" -ne 0 ]; then echo "--- server log"; cat "$tmp/server.log"; fi
exit "$status"
