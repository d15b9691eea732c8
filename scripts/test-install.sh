#!/usr/bin/env bash
# test-install.sh — exercise scripts/install.sh safely: install into a temp root (--root, no
# systemctl), check every file, mode and config key, re-install (config kept), start the
# installed binary on the installed config (paths moved under the temp root, a free loopback
# port) and talk to it over the management socket, then --uninstall and --uninstall --purge.
#
# Usage: scripts/test-install.sh [--binary PATH]
#   default binary: a wrapper running the bundle (dist/bundle/main.js, built if missing) with
#   the real deno and packaging/v8-flags (a compiled dist/ledge-<v>-x86_64-unknown-linux-gnu
#   can be given instead).
# Ends with `install-test: N passed, N failed`; exits non-zero on any failure.
set -uo pipefail

ROOT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BINARY=""
[ "${1:-}" = "--binary" ] && BINARY="${2:?--binary needs a path}"
T="$(mktemp -d /tmp/ledge-install-test.XXXXXX)"
R="$T/root"
PASS=0
FAIL=0
PID=""
cleanup() {
  [ -n "$PID" ] && kill "$PID" 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT
check() { # check DESCRIPTION CMD...
  local d="$1"
  shift
  if "$@" >"$T/check.log" 2>&1; then
    PASS=$((PASS + 1))
    echo "  ok    $d"
  else
    FAIL=$((FAIL + 1))
    echo "  FAIL  $d"
    sed 's/^/        | /' "$T/check.log" | tail -15
  fi
}
if [ -z "$BINARY" ]; then
  BINARY="$T/ledge"
  # The real deno binary, not node_modules/.bin/deno (a node wrapper that would outlive a kill).
  deno_exe="$("$ROOT_DIR/node_modules/.bin/deno" eval 'console.log(Deno.execPath())')"
  # What a release binary runs: the bundle, with the release V8 flags.
  [ -f "$ROOT_DIR/dist/bundle/main.js" ] || "$ROOT_DIR/scripts/bundle.sh"
  printf '#!/bin/sh\nexec "%s" run -A --no-config --v8-flags=%s "%s" "$@"\n' "$deno_exe" \
    "$(tr -d ' \n' <"$ROOT_DIR/packaging/v8-flags")" "$ROOT_DIR/dist/bundle/main.js" >"$BINARY"
  chmod +x "$BINARY"
fi
mode() { [ "$(stat -c %a "$1")" = "$2" ] || { echo "$1: mode $(stat -c %a "$1"), want $2"; return 1; }; }
has() { grep -qE "$2" "$1" || { echo "$1 lacks /$2/"; cat "$1"; return 1; }; }

echo "install-test: root $R, binary $BINARY"
check "install into --root" "$ROOT_DIR/scripts/install.sh" --binary "$BINARY" --root "$R"
check "binary installed 0755" mode "$R/usr/local/bin/ledge" 755
check "installed binary runs" "$R/usr/local/bin/ledge" version
check "state dir 0700" mode "$R/var/lib/ledge" 700
check "config 0640" mode "$R/etc/ledge/config.yaml" 640
check "config: data_dir /var/lib/ledge" has "$R/etc/ledge/config.yaml" '^data_dir: /var/lib/ledge'
check "config: mgmt_socket /run/ledge/mgmt.sock" has "$R/etc/ledge/config.yaml" \
  '^  mgmt_socket: /run/ledge/mgmt.sock'
check "config: mqtts on 127.0.0.1:8883" has "$R/etc/ledge/config.yaml" '^  mqtts: 127.0.0.1:8883'
check "config passes 'ledge config check'" "$R/usr/local/bin/ledge" config check --config "$R/etc/ledge/config.yaml"
check "unit installed" cmp "$ROOT_DIR/packaging/ledge.service" "$R/etc/systemd/system/ledge.service"
for key in 'Restart=always' 'RuntimeDirectory=ledge' 'MemoryMax=' 'Environment=LEDGE_CONFIG=/etc/ledge/config.yaml' \
  'ExecStart=/usr/local/bin/ledge run'; do
  check "unit has $key" has "$R/etc/systemd/system/ledge.service" "^$key"
done
if command -v systemd-analyze >/dev/null; then
  # Only the missing /usr/local/bin/ledge of this machine may be reported.
  check "systemd-analyze verify: no unit errors" sh -c "! systemd-analyze verify '$ROOT_DIR/packaging/ledge.service' 2>&1 |
    grep -v 'is not executable' | grep ."
fi
check "profile.d sets LEDGE_CONFIG" has "$R/etc/profile.d/ledge.sh" '^export LEDGE_CONFIG=/etc/ledge/config.yaml'
echo "# edited by the test" >>"$R/etc/ledge/config.yaml"
check "re-install keeps an existing config" sh -c "'$ROOT_DIR/scripts/install.sh' --binary '$BINARY' --root '$R' &&
  grep -q 'edited by the test' '$R/etc/ledge/config.yaml'"

# The installed config, with its system paths moved under the temp root, runs the daemon.
port="$("$ROOT_DIR/node_modules/.bin/deno" eval -q 'const l = Deno.listen({hostname: "127.0.0.1", port: 0});
  console.log((l.addr as Deno.NetAddr).port); l.close();')"
mkdir -p "$R/run/ledge"
sed -e "s|/var/lib/ledge|$R/var/lib/ledge|; s|/run/ledge/|$R/run/ledge/|; s|127.0.0.1:8883|127.0.0.1:$port|" \
  "$R/etc/ledge/config.yaml" >"$T/run.yaml"
daemon() {
  (cd "$R/var/lib/ledge" && exec "$R/usr/local/bin/ledge" run --config "$T/run.yaml") >"$T/daemon.log" 2>&1 &
  PID=$!

  for _ in $(seq 1 120); do
    [ -S "$R/run/ledge/mgmt.sock" ] && "$R/usr/local/bin/ledge" identity list --config "$T/run.yaml" && break
    kill -0 "$PID" 2>/dev/null || { cat "$T/daemon.log"; return 1; }
    sleep 0.5
  done
  [ -S "$R/run/ledge/mgmt.sock" ] || { echo "no socket"; cat "$T/daemon.log"; return 1; }
  ls "$R/var/lib/ledge"
}
check "daemon serves the mgmt socket at listen.mgmt_socket" daemon
check "daemon stops on SIGTERM" sh -c "kill -TERM $PID; for i in \$(seq 1 40); do kill -0 $PID 2>/dev/null || exit 0; sleep 0.5; done; exit 1"
PID=""

check "uninstall removes binary, unit, profile" sh -c "'$ROOT_DIR/scripts/install.sh' --uninstall --root '$R' &&
  [ ! -e '$R/usr/local/bin/ledge' ] && [ ! -e '$R/etc/systemd/system/ledge.service' ] &&
  [ ! -e '$R/etc/profile.d/ledge.sh' ] && [ -f '$R/etc/ledge/config.yaml' ] && [ -d '$R/var/lib/ledge' ]"
check "uninstall --purge removes config and state" sh -c "'$ROOT_DIR/scripts/install.sh' --uninstall --purge --root '$R' &&
  [ ! -e '$R/etc/ledge' ] && [ ! -e '$R/var/lib/ledge' ]"
check "refuses a binary that does not run" sh -c "printf 'garbage' >'$T/bad' && chmod +x '$T/bad' &&
  ! '$ROOT_DIR/scripts/install.sh' --binary '$T/bad' --root '$T/root2' && [ ! -e '$T/root2/usr/local/bin/ledge' ]"

echo "install-test: $PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
