#!/usr/bin/env bash
# Prosody (Debian package) as a benchmark peer on loopback: BOSH and XMPP over WebSocket
# on 127.0.0.1:25280, SCRAM-SHA-256 with 4096 iterations, our own config, data and log
# under bench/peers/run/prosody/. See bench/peers/README.md.
# Usage: bench/peers/prosody.sh setup|start|stop|restart|users N|status
set -euo pipefail
# shellcheck disable=SC2034 # PEER, SCRAM_MECH, LOG_FILE, ...: used by lib.sh
PEER=prosody
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

HTTP_PORT=25280        # mod_http: /xmpp-websocket (RFC 7395) and /http-bind (XEP-0206)
WS_URL="ws://127.0.0.1:$HTTP_PORT/xmpp-websocket"
BOSH_URL="http://127.0.0.1:$HTTP_PORT/http-bind"
SCRAM_MECH=SCRAM-SHA-256
RUN="$RUN_ROOT/prosody"
CONFIG="$RUN/prosody.cfg.lua"
DATA="$RUN/data"
LOGD="$RUN/log"
LOG_FILE="$LOGD/prosody.log"
PIDFILE="$RUN/prosody.pid"
LUA=lua5.4             # the interpreter of Debian bookworm's /usr/bin/prosody

peer_version() { dpkg-query -W -f='${Version}' prosody 2>/dev/null || echo none; }

ctl() { prosodyctl --config "$CONFIG" "$@"; }

server_pid() { live_pid "$PIDFILE" "$LUA"; }

write_config() {
  mkdir -p "$DATA" "$LOGD" "$RUN/certs" # empty: no TLS, but certmanager indexes it
  cat > "$CONFIG" <<EOF
-- Written by bench/peers/prosody.sh for benchmarks on loopback. Differences from
-- Debian's /etc/prosody/prosody.cfg.lua are listed in bench/peers/README.md.
pidfile = "$PIDFILE"
data_path = "$DATA"
log = { { levels = { min = "warn" }, to = "file", filename = "$LOG_FILE" } }
prosodyctl_service_warnings = false

-- Loopback only. XMPP over TCP (c2s, s2s) and HTTPS are off; HTTP carries BOSH and WS.
interfaces = { "127.0.0.1" }
local_interfaces = { "127.0.0.1" }
c2s_ports = { }
legacy_ssl_ports = { }
s2s_ports = { }
component_ports = { }
http_interfaces = { "127.0.0.1" }
http_ports = { $HTTP_PORT }
https_interfaces = { }
https_ports = { }
-- Requests to 127.0.0.1:$HTTP_PORT (Host header not "localhost") go to this host.
http_default_host = "$DOMAIN"
-- Listen backlog (server_epoll default 128); meerkat's listeners use 1024.
network_settings = { tcp_backlog = 1024 }

modules_enabled = {
  "roster"; "saslauth"; "disco"; "ping"; -- presence, message, iq, offline: autoloaded
  "bosh"; "websocket";
}
modules_disabled = { "s2s"; "s2s_auth_certs" }

-- SCRAM-SHA-256 (password_hash; the default is SHA-1) with 4096 iterations (default
-- 10000), hashed storage (no plaintext passwords on disk).
authentication = "internal_hashed"
password_hash = "SHA-256"
default_iteration_count = $SCRAM_ITERATIONS
-- No TLS on loopback: allow SASL on plain HTTP/WS, and PLAIN for the load generator's
-- PLAIN control run (Prosody offers PLAIN only on encrypted streams by default).
c2s_require_encryption = false
allow_unencrypted_plain_auth = true
allow_registration = false
-- "limits" (c2s/s2s bandwidth shaping) is not loaded, so nothing throttles clients.

VirtualHost "$DOMAIN"
EOF
  chown -R prosody:prosody "$RUN"
  chmod 750 "$RUN"
}

cmd_setup() {
  need_root
  apt_install prosody
  disable_distro_service prosody /run/prosody/prosody.pid
  write_config
  log "config $CONFIG, data $DATA, log $LOG_FILE"
  log "listens on 127.0.0.1:$HTTP_PORT (/xmpp-websocket, /http-bind)"
}

cmd_start() {
  need_root
  [ -f "$CONFIG" ] || die "not set up: run $0 setup"
  local pid
  if pid=$(server_pid); then
    log "already running, pid $pid"
    return 0
  fi
  check_port_free "$HTTP_PORT"
  raise_nofile
  local pin
  pin=$(pin_prefix)
  # prosodyctl switches to the prosody user and runs `prosody -D` (daemonized).
  # shellcheck disable=SC2086
  $pin prosodyctl --config "$CONFIG" start >&2 || true
  wait_port "$HTTP_PORT" 30 || die "nothing listens on 127.0.0.1:$HTTP_PORT; see $LOG_FILE"
  pid=$(server_pid) || die "no $LUA pid in $PIDFILE"
  log "running, pid $pid, $WS_URL, $BOSH_URL"
}

cmd_stop() {
  need_root
  local pid
  if ! pid=$(server_pid); then
    log "not running"
    return 0
  fi
  ctl stop >/dev/null 2>&1 || true
  local i
  for ((i = 0; i < 100; i++)); do
    [ -d "/proc/$pid" ] || break
    sleep 0.1
  done
  if [ -d "/proc/$pid" ]; then
    log "prosodyctl stop did not stop pid $pid, sending SIGKILL"
    kill -9 "$pid"
    sleep 1
  fi
  [ ! -d "/proc/$pid" ] || die "pid $pid still running"
  rm -f "$PIDFILE"
  log "stopped"
}

# Bulk accounts: prosodyctl adduser runs one Lua VM per user. Instead, a Lua script that
# uses Prosody's own util.sasl.scram (the SCRAM-SHA-256 hasher mod_auth_internal_hashed
# uses) and util.datamanager (the internal storage) writes data/localhost/accounts/*.dat
# directly, in as many processes as there are CPUs. Existing accounts are kept.
cmd_users() {
  need_root
  local n=${1:-}
  if ! [[ "$n" =~ ^[0-9]+$ ]] || [ "$n" -lt 1 ]; then usage; fi
  [ -f "$CONFIG" ] || die "not set up: run $0 setup"
  local workers=${USERS_WORKERS:-$(nproc)}
  local t0=$SECONDS k pids=()
  log "writing user1..user$n ($workers processes)"
  for ((k = 1; k <= workers; k++)); do
    as_user prosody "$LUA" "$PEERS_DIR/prosody-users.lua" \
      "$DATA" "$DOMAIN" "$n" "$k" "$workers" "$SCRAM_ITERATIONS" &
    pids+=($!)
  done
  local rc=0 p
  for p in "${pids[@]}"; do wait "$p" || rc=1; done
  [ "$rc" -eq 0 ] || die "account writer failed"
  local count
  count=$(find "$DATA/$DOMAIN/accounts" -name 'user*.dat' | wc -l)
  log "done in $((SECONDS - t0)) s; $count user*.dat accounts in $DATA/$DOMAIN/accounts"
  record_users "$n" prosody
}

cmd_status() {
  local pid=""
  pid=$(server_pid) || pid=""
  print_status "$pid"
  [ -n "$pid" ] || exit 3
}

case "${1:-}" in
  setup) cmd_setup ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  restart) cmd_stop; cmd_start ;;
  users) shift; cmd_users "$@" ;;
  status) cmd_status ;;
  *) usage ;;
esac
