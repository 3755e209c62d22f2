#!/usr/bin/env bash
# Smoke check of a running peer with third-party clients (Strophe.js, @xmpp/client): one
# user over WebSocket and one over BOSH, both SCRAM-SHA-256, exchange messages; a third
# logs in over WebSocket with @xmpp/client (PLAIN). See smoke.mjs.
# Usage: bench/peers/smoke.sh ejabberd|prosody [A B C]   (user numbers; default 1, N, 2
#        where N is the count given to `users N`)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
PEER=${1:-}
case "$PEER" in
  ejabberd | prosody) ;;
  *) echo "usage: $0 ejabberd|prosody [A B C]" >&2; exit 2 ;;
esac
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"

status=$("$here/$PEER.sh" status) || die "not running: start it with bench/peers/$PEER.sh start"
field() { sed -n "s/^$1=//p" <<< "$status"; }
n=$(field users)
[ "${n:-0}" -ge 2 ] || die "create users first: bench/peers/$PEER.sh users N (N >= 2)"

if ! command -v node >/dev/null; then
  apt_install nodejs npm
fi
cd "$here"
# The XMLHttpRequest shim is shared with integration-tests/interop, whose packages it imports.
for dir in "$here" "$here/../../integration-tests/interop"; do
  if [ ! -d "$dir/node_modules" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules" ]; then
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error && touch node_modules)
  fi
done

PEER=$PEER WS_URL=$(field ws_url) BOSH_URL=$(field bosh_url) DOMAIN=$(field domain) \
  USER_A="user${2:-1}" USER_B="user${3:-$n}" USER_C="user${4:-2}" \
  node smoke.mjs
