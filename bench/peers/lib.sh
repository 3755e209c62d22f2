# shellcheck shell=bash disable=SC2034
# Shared helpers for bench/peers/*.sh (sourced, not run).
# The peers run on loopback only, under bench/peers/run/<peer>/ (gitignored), never as the
# distribution's own service.

PEERS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
RUN_ROOT="${PEERS_RUN_ROOT:-$PEERS_DIR/run}"
# The same domain, user names, passwords and SCRAM iteration count as meerkat's bench
# (crates/loadgen/src/server.rs: DOMAIN, user(i) = user<i>/pass<i>, SCRAM_ITERATIONS).
DOMAIN=localhost
SCRAM_ITERATIONS=4096

log() { printf '%s: %s\n' "$PEER" "$*" >&2; }
die() { log "error: $*"; exit 1; }

need_root() {
  [ "$(id -u)" -eq 0 ] || die "run as root (installs packages, switches to the peer's system user)"
}

# True when every named Debian package is installed.
installed() {
  local p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' || return 1
  done
}

# apt-get install PKGS with the distribution's services kept from starting: on a fresh
# Debian the postinst would start ejabberd/prosody on their default public ports. A
# policy-rc.d that denies every start is put in place for the duration, unless the machine
# already has one (containers usually do).
apt_install() {
  installed "$@" && return 0
  need_root
  local policy=/usr/sbin/policy-rc.d ours=""
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\n# bench/peers: keep packages from starting services during install\nexit 101\n' > "$policy"
    chmod 755 "$policy"
    ours=1
  fi
  local rc=0
  log "apt-get install $*"
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >&2; then
    DEBIAN_FRONTEND=noninteractive apt-get update -q >&2 &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >&2 || rc=$?
  fi
  [ -z "$ours" ] || rm -f "$policy"
  [ "$rc" -eq 0 ] || die "apt-get install $* failed"
}

# Stops and disables the distribution's own instance of a service (systemd or sysvinit).
# PIDFILE is where that instance keeps its pid. (Not `/etc/init.d/ejabberd status`: that
# runs ejabberdctl for the default node, which starts an epmd listening on 0.0.0.0.)
disable_distro_service() {
  local svc=$1 pidfile=$2 pid
  if [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then
    systemctl disable --now "$svc.service" >/dev/null 2>&1 || true
  elif [ -x "/etc/init.d/$svc" ]; then
    update-rc.d "$svc" disable >/dev/null 2>&1 || true
  fi
  if [ -s "$pidfile" ] && pid=$(tr -dc '0-9' < "$pidfile") && [ -n "$pid" ] && [ -d "/proc/$pid" ]; then
    log "stopping the distribution's $svc (pid $pid)"
    if [ -x "/etc/init.d/$svc" ]; then "/etc/init.d/$svc" stop >&2 || true; fi
    [ ! -d "/proc/$pid" ] || kill "$pid" 2>/dev/null || true
  fi
}

# Runs a command as a system user without going through PAM (`su`/`runuser` apply
# pam_limits, which drops the open-file soft limit to 1024 here), with its HOME.
as_user() {
  local user=$1 home
  shift
  home=$(getent passwd "$user" | cut -d: -f6)
  setpriv --reuid="$user" --regid="$user" --init-groups \
    env HOME="$home" USER="$user" LOGNAME="$user" "$@"
}

# True if something listens on 127.0.0.1:PORT.
port_open() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Waits until 127.0.0.1:PORT accepts connections (up to SECONDS, default 60).
wait_port() {
  local port=$1 secs=${2:-60} i
  for ((i = 0; i < secs * 10; i++)); do
    port_open "$port" && return 0
    sleep 0.1
  done
  return 1
}

# Fails if PORT is taken by a process that is not PID (or by anything, without PID).
check_port_free() {
  local port=$1
  if port_open "$port"; then
    die "127.0.0.1:$port is already in use: $(ss -Hltnp "sport = :$port" 2>/dev/null | head -1)"
  fi
}

# Prints the pid in FILE if that process is alive and its command is COMM.
live_pid() {
  local file=$1 comm=$2 pid
  [ -s "$file" ] || return 1
  pid=$(tr -dc '0-9' < "$file")
  [ -n "$pid" ] && [ -r "/proc/$pid/comm" ] || return 1
  [ "$(cat "/proc/$pid/comm")" = "$comm" ] || return 1
  echo "$pid"
}

# Prefix for commands that start the server: taskset when PEER_CPUS is set (e.g. 0).
pin_prefix() {
  if [ -n "${PEER_CPUS:-}" ]; then
    command -v taskset >/dev/null || die "PEER_CPUS set but taskset is missing (util-linux)"
    echo "taskset -c $PEER_CPUS"
  fi
}

# Remembers that user1..userN exist (the largest N created so far; nothing is deleted).
record_users() {
  local n=$1 owner=$2 old
  old=$(cat "$RUN/users.count" 2>/dev/null || echo 0)
  [ "$old" -gt "$n" ] 2>/dev/null && n=$old
  echo "$n" > "$RUN/users.count"
  chown "$owner:$owner" "$RUN/users.count"
}

# Open-file soft limit up to the hard limit, inherited by the server (each session is a
# socket). Here both are 20,000, the same limit meerkat runs with.
raise_nofile() {
  ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
}

# key=value lines describing a running (or stopped) peer: what status prints.
print_status() {
  local pid=$1
  echo "peer=$PEER"
  echo "version=$(peer_version)"
  if [ -n "$pid" ]; then
    echo "state=running"
    echo "pid=$pid"
    echo "comm=$(cat "/proc/$pid/comm")"
    echo "rss_kib=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status")"
    echo "threads=$(awk '/^Threads:/ {print $2}' "/proc/$pid/status")"
    echo "cpus_allowed=$(awk '/^Cpus_allowed_list:/ {print $2}' "/proc/$pid/status")"
    echo "nofile=$(awk '/^Max open files/ {print $4 "/" $5}' "/proc/$pid/limits")"
  else
    echo "state=stopped"
  fi
  echo "domain=$DOMAIN"
  echo "ws_url=$WS_URL"
  echo "bosh_url=$BOSH_URL"
  echo "http_port=$HTTP_PORT"
  echo "scram=$SCRAM_MECH"
  echo "scram_iterations=$SCRAM_ITERATIONS"
  echo "users=$(cat "$RUN/users.count" 2>/dev/null || echo 0)"
  echo "run_dir=$RUN"
  echo "log=$LOG_FILE"
}

usage() {
  cat >&2 <<EOF
usage: $0 setup|start|stop|restart|users N|status
  setup    install the Debian package if missing, disable the distro's service,
           write the config under $RUN
  start    start our instance (PEER_CPUS=0 pins it with taskset)
  stop     stop it
  users N  create user1..userN with password pass<i> (SCRAM-SHA-256, $SCRAM_ITERATIONS iterations)
  status   key=value lines: pid (measure its RSS), URLs, ports; exit 3 when stopped
EOF
  exit 2
}
