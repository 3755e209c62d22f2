#!/usr/bin/env bash
# ejabberd (Debian package) as a benchmark peer on loopback: BOSH and XMPP over WebSocket
# on 127.0.0.1:15280, SCRAM-SHA-256 with 4096 iterations, our own config, Mnesia spool and
# logs under bench/peers/run/ejabberd/. See bench/peers/README.md.
# Usage: bench/peers/ejabberd.sh setup|start|stop|restart|users N|status
set -euo pipefail
# shellcheck disable=SC2034 # PEER, SCRAM_MECH, LOG_FILE, ...: used by lib.sh
PEER=ejabberd
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

HTTP_PORT=15280        # ejabberd_http: /ws (RFC 7395) and /bosh (XEP-0206)
DIST_PORT=15290        # Erlang distribution (ejabberdctl), 127.0.0.1, no epmd
NODE=bench-ejabberd@localhost
WS_URL="ws://127.0.0.1:$HTTP_PORT/ws"
BOSH_URL="http://127.0.0.1:$HTTP_PORT/bosh"
SCRAM_MECH=SCRAM-SHA-256
RUN="$RUN_ROOT/ejabberd"
ETC="$RUN/etc"
DB="$RUN/db"
LOGD="$RUN/log"
LOG_FILE="$LOGD/ejabberd.log"
PIDFILE="$RUN/ejabberd.pid"

peer_version() { dpkg-query -W -f='${Version}' ejabberd 2>/dev/null || echo none; }

# ejabberdctl runs as the ejabberd user. Run by root it would switch with `su`, whose
# pam_limits drops the open-file soft limit to 1024: the node could not hold more than
# ~1,000 sessions (Debian's ejabberd.service sets LimitNOFILE=65536 for the same reason).
ctl() {
  as_user ejabberd ejabberdctl --config-dir "$ETC" --config "$ETC/ejabberd.yml" \
    --ctl-config "$ETC/ejabberdctl.cfg" --logs "$LOGD" --spool "$DB" "$@"
}

server_pid() { live_pid "$PIDFILE" beam.smp; }

write_config() {
  mkdir -p "$ETC" "$DB" "$LOGD"
  cp /etc/ejabberd/inetrc "$ETC/inetrc"
  cat > "$ETC/ejabberdctl.cfg" <<EOF
# Written by bench/peers/ejabberd.sh: read by ejabberdctl (--ctl-config).
ERLANG_NODE=$NODE
# Distribution on 127.0.0.1:$DIST_PORT only; with ERL_DIST_PORT set no epmd is started.
INET_DIST_INTERFACE=127.0.0.1
ERL_DIST_PORT=$DIST_PORT
ERL_EPMD_ADDRESS=127.0.0.1
# As in Debian's /etc/default/ejabberd; ejabberdctl adds +K true +P 250000, ERL_MAX_PORTS=32000.
ERL_OPTIONS="-env ERL_CRASH_DUMP_BYTES 0"
EJABBERD_PID_PATH=$PIDFILE
EJABBERD_BYPASS_WARNINGS=true
EOF
  cat > "$ETC/ejabberd.yml" <<EOF
# Written by bench/peers/ejabberd.sh for benchmarks on loopback. Differences from
# Debian's /etc/ejabberd/ejabberd.yml are listed in bench/peers/README.md.
hosts:
  - $DOMAIN
loglevel: warning

listen:
  # No ejabberd_c2s / ejabberd_s2s_in / STUN / MQTT listeners: XMPP over TCP is off.
  # Without an ejabberd_c2s listener, WS and BOSH sessions get no shaper and no
  # max_stanza_size (ejabberd_c2s_config:get_c2s_limits/0 reads the first c2s listener).
  -
    port: $HTTP_PORT
    ip: "127.0.0.1"
    module: ejabberd_http
    backlog: 1024            # default 5; meerkat's listeners use 1024
    request_handlers:
      /ws: ejabberd_http_ws
      /bosh: mod_bosh
      /api: mod_http_api

auth_method: internal
# passwd is a disc_only_copies (DETS) table; ejabberd keeps an ETS cache of 1000 entries
# in front of it and logs a warning on every insert beyond that ("you should increase
# maximum cache size"). Sized for the bench users (~0.4 KiB per cached account).
auth_cache_size: 20000
auth_password_format: scram
auth_scram_hash: sha256      # SCRAM-SHA-256; the iteration count is fixed at 4096 in 23.01
disable_sasl_mechanisms:
  - "digest-md5"
  - "X-OAUTH2"

# The load generator holds idle sessions without reading them, so it never answers a
# WebSocket ping: with the defaults (ping every 60 s, close when the pong is missing,
# 5 min inactivity timeout) ejabberd would drop idle sessions during a run.
websocket_ping_interval: 3600
websocket_timeout: 3600

acl:
  local:
    user_regexp: ""
  loopback:
    ip:
      - 127.0.0.0/8

access_rules:
  local:
    allow: local
  c2s:
    deny: blocked
    allow: all
  register:
    deny: all

api_permissions:
  "console commands":
    from:
      - ejabberd_ctl
    who: all
    what: "*"
  # The load generator's http scenario: one read-only command, from loopback, no auth
  # (Basic auth against SCRAM-stored accounts would cost a PBKDF2 per request).
  "bench http api":
    from:
      - mod_http_api
    who:
      ip: 127.0.0.1/8
    what:
      - connected_users_number

shaper:
  normal:
    rate: 3000
    burst_size: 20000
  fast: 200000

shaper_rules:
  max_user_sessions: 10
  max_user_offline_messages: 100
  c2s_shaper: none
  s2s_shaper: fast

modules:
  mod_bosh: {}
  mod_disco: {}
  mod_http_api: {}
  mod_offline:
    access_max_user_messages: max_user_offline_messages
  mod_ping: {}
  mod_roster: {}
EOF
  chown -R ejabberd:ejabberd "$RUN"
  chmod 750 "$RUN"
}

cmd_setup() {
  need_root
  apt_install ejabberd
  disable_distro_service ejabberd /run/ejabberd/ejabberd.pid
  # erlang-base enables a socket-activated epmd on *:4369 under systemd; our node does not
  # use epmd (ERL_DIST_PORT), so keep that port closed as well.
  if [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then
    systemctl disable --now epmd.socket epmd.service >/dev/null 2>&1 || true
  fi
  write_config
  log "config in $ETC, spool $DB, logs $LOGD"
  log "listens on 127.0.0.1:$HTTP_PORT (/ws, /bosh) and 127.0.0.1:$DIST_PORT (Erlang distribution)"
}

cmd_start() {
  need_root
  [ -f "$ETC/ejabberd.yml" ] || die "not set up: run $0 setup"
  if pid=$(server_pid); then
    log "already running, pid $pid"
    return 0
  fi
  check_port_free "$HTTP_PORT"
  check_port_free "$DIST_PORT"
  raise_nofile
  local pin
  pin=$(pin_prefix)
  # shellcheck disable=SC2086
  $pin setpriv --reuid=ejabberd --regid=ejabberd --init-groups \
    env HOME="$(getent passwd ejabberd | cut -d: -f6)" USER=ejabberd LOGNAME=ejabberd \
    ejabberdctl --config-dir "$ETC" --config "$ETC/ejabberd.yml" \
    --ctl-config "$ETC/ejabberdctl.cfg" --logs "$LOGD" --spool "$DB" start
  ctl started || die "ejabberd did not start; see $LOGD/"
  wait_port "$HTTP_PORT" 30 || die "nothing listens on 127.0.0.1:$HTTP_PORT; see $LOGD/"
  pid=$(server_pid) || die "no beam.smp pid in $PIDFILE"
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
  ctl stopped >/dev/null 2>&1 || true
  local i
  for ((i = 0; i < 100; i++)); do
    [ -d "/proc/$pid" ] || break
    sleep 0.1
  done
  if [ -d "/proc/$pid" ]; then
    log "ejabberdctl stop did not stop pid $pid, sending SIGTERM"
    kill "$pid"
    sleep 2
  fi
  [ ! -d "/proc/$pid" ] || die "pid $pid still running"
  rm -f "$PIDFILE"
  log "stopped"
}

# Bulk registration: one short-lived hidden Erlang node calls ejabberd_auth:try_register/3
# (what `ejabberdctl register` calls) over the distribution from several processes, so the
# server derives the SCRAM keys itself, without an ejabberdctl VM per user.
cmd_users() {
  need_root
  local n=${1:-}
  if ! [[ "$n" =~ ^[0-9]+$ ]] || [ "$n" -lt 1 ]; then usage; fi
  local started_here=""
  if ! server_pid >/dev/null; then
    cmd_start
    started_here=1
  fi
  local workers=${USERS_WORKERS:-$(( $(nproc) * 4 ))}
  local t0=$SECONDS
  log "registering user1..user$n ($workers parallel callers)"
  if ! as_user ejabberd env \
    ERL_FLAGS="-sname bulk-$$@localhost -hidden -erl_epmd_port $DIST_PORT -start_epmd false -dist_listen false" \
    escript "$PEERS_DIR/ejabberd-users.escript" "$NODE" "$DOMAIN" "$n" "$workers"; then
    [ -z "$started_here" ] || cmd_stop
    die "registration failed; see $LOGD/"
  fi
  local registered
  registered=$(ctl registered_users "$DOMAIN" | grep -c '^user[0-9]*$' || true)
  log "done in $((SECONDS - t0)) s; $registered userN accounts on $DOMAIN"
  record_users "$n" ejabberd
  [ -z "$started_here" ] || cmd_stop
}

cmd_status() {
  local pid=""
  pid=$(server_pid) || pid=""
  print_status "$pid"
  # beam.smp is the server; erl_child_setup (its port helper, ~1.5 MiB) is constant.
  [ -z "$pid" ] || echo "child_pids=$(cat /proc/"$pid"/task/*/children 2>/dev/null | xargs)"
  echo "dist_port=$DIST_PORT"
  echo "node=$NODE"
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
