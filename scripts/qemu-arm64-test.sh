#!/usr/bin/env bash
# qemu-arm64-test.sh — run ledge as arm64 (the Raspberry Pi build) under qemu user emulation.
#
# Usage: scripts/qemu-arm64-test.sh [--bin PATH] [--no-apt] [--skip-unit] [--count N] [TEST_PATH...]
#
#  1. setup: qemu-user-static, libc6:arm64, libgcc-s1:arm64 via apt (needs root; skipped with
#     --no-apt or when already installed) and the arm64 Deno from npm
#     (@deno/linux-arm64-glibc at the version package.json pins, via scripts/setup-deno.sh).
#  2. unit tests: `deno test` of the pure-logic tests with the arm64 Deno under qemu. Default
#     paths: test/hub/routing test/hub/store test/identity test/config test/agent/*_test.ts
#     except *integration*/*e2e* (Docker); paths that do not exist yet are skipped, and said
#     so. Tests that spawn child processes are skipped unless binfmt_misc runs arm64 binaries.
#  3. daemon: in a temp dir, `ledge version`, `ledge config default`, `ledge run` (default config;
#     if 127.0.0.1:8883 is taken, the same config on a free port), `ledge identity add`,
#     `ledge ca-cert`, an Azure IoT SDK client (host Deno, scripts/sdk-telemetry.ts) sends
#     telemetry through the hub, `ledge list`, then SIGTERM and a clean exit.
#     ledge is the compiled arm64 binary given by --bin / $LEDGE_BIN (or the newest
#     dist/ledge-*-aarch64-unknown-linux-gnu), else what such a binary contains — the bundle
#     (scripts/bundle.sh, dist/bundle/main.js) with packaging/v8-flags — run by the arm64 Deno.
#
# Prints the time of every step and a final line `qemu-arm64: N passed, N failed (T s)`.
# Exits non-zero if any step failed. Only loopback addresses are used.
# Environment: LEDGE_QEMU_CACHE (default ~/.cache/ledge-qemu), LEDGE_ENTRY (run this module
# from source instead of the bundle, e.g. src/main.ts), LEDGE_QEMU_START_TIMEOUT (seconds for
# the daemon to come up, default 180).
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT" || exit 1

BIN="${LEDGE_BIN:-}"
APT=1
UNIT=1
COUNT=10
PATHS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --bin) BIN="${2:?--bin needs a path}"; shift 2 ;;
    --no-apt) APT=0; shift ;;
    --skip-unit) UNIT=0; shift ;;
    --count) COUNT="${2:?--count needs a number}"; shift 2 ;;
    -h | --help) awk 'NR > 1 && /^#/ { print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    -*) echo "qemu-arm64-test.sh: unknown option $1" >&2; exit 2 ;;
    *) PATHS+=("$1"); shift ;;
  esac
done
if [ ${#PATHS[@]} = 0 ]; then
  PATHS=(test/hub/routing test/hub/store test/identity test/config)
  for f in test/agent/*_test.ts; do
    case "$f" in *integration* | *e2e*) ;; *) PATHS+=("$f") ;; esac # those need Docker
  done
fi

CACHE="${LEDGE_QEMU_CACHE:-$HOME/.cache/ledge-qemu}"
ENTRY="${LEDGE_ENTRY:-}"
START_TIMEOUT="${LEDGE_QEMU_START_TIMEOUT:-180}"
HOST_DENO="$ROOT/node_modules/.bin/deno"
QEMU=qemu-aarch64-static
WORK="$(mktemp -d /tmp/ledge-qemu.XXXXXX)"
LOGS="$WORK/logs"
mkdir -p "$LOGS" "$CACHE"
T0=$(date +%s)
PASSED=0
FAILED=0
SUMMARY=()
DAEMON_PID=""

cleanup() {
  if [ -n "$DAEMON_PID" ] && kill -0 "$DAEMON_PID" 2>/dev/null; then
    kill -KILL "$DAEMON_PID" 2>/dev/null
  fi
  if [ "$FAILED" = 0 ]; then rm -rf "$WORK"; else echo "logs kept in $LOGS" >&2; fi
}
trap cleanup EXIT

# step NAME CMD...: runs CMD with output to $LOGS/NAME.log, prints its time and result.
step() {
  local name="$1" start rc ms secs
  shift
  start=$(date +%s%N)
  "$@" >"$LOGS/$name.log" 2>&1
  rc=$?
  ms=$((($(date +%s%N) - start) / 1000000))
  secs="$((ms / 1000)).$(((ms % 1000) / 100))"
  if [ $rc = 0 ]; then
    PASSED=$((PASSED + 1))
    printf '  ok    %-22s %7ss\n' "$name" "$secs"
  else
    FAILED=$((FAILED + 1))
    printf '  FAIL  %-22s %7ss  (exit %s)\n' "$name" "$secs" "$rc"
    sed 's/^/        | /' "$LOGS/$name.log" | tail -30
  fi
  SUMMARY+=("$name=${secs}s")
  return $rc
}

finish() {
  local total=$(($(date +%s) - T0))
  echo "timings: ${SUMMARY[*]}"
  echo "qemu-arm64: $PASSED passed, $FAILED failed (${total} s)"
  [ "$FAILED" = 0 ]
  exit $?
}

# --- 1. setup ------------------------------------------------------------------------------
have_arm64_libs() {
  dpkg-query -W -f='${Status}\n' libc6:arm64 libgcc-s1:arm64 2>/dev/null | grep -c 'install ok installed' |
    grep -qx 2
}
setup_apt() {
  if command -v "$QEMU" >/dev/null && have_arm64_libs; then
    echo "already installed"
    return 0
  fi
  [ "$APT" = 1 ] || { echo "qemu-user-static / libc6:arm64 missing and --no-apt given"; return 1; }
  [ "$(id -u)" = 0 ] || { echo "need root to apt-get install qemu-user-static libc6:arm64"; return 1; }
  dpkg --add-architecture arm64 &&
    apt-get update -q &&
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q qemu-user-static libc6:arm64 libgcc-s1:arm64
}
setup_host_deno() {
  [ -x "$HOST_DENO" ] || "$ROOT/scripts/setup-deno.sh" || return 1
  # npm packages for deno.json's imports (the arm64 Deno reads this node_modules, manual mode).
  [ -d "$ROOT/node_modules/.deno" ] || "$HOST_DENO" install || return 1
  # The real binary: node_modules/.bin/deno is a node wrapper that would outlive a timeout.
  HOST_DENO="$("$HOST_DENO" eval 'console.log(Deno.execPath())')" || return 1
  "$HOST_DENO" --version
}
ARM_DENO=""
setup_arm_deno() {
  ARM_DENO="$("$ROOT/scripts/setup-deno.sh" --platform linux-arm64-glibc --dest "$CACHE" | tail -1)" || return 1
  "$QEMU" "$ARM_DENO" --version
}

echo "qemu-arm64: work dir $WORK"
step setup-apt setup_apt || finish
step setup-host-deno setup_host_deno || finish
step setup-arm64-deno setup_arm_deno || finish
export NO_COLOR=1
# The arm64 Deno gets its own cache dir (its code cache is per architecture).
ARM=(env "DENO_DIR=$CACHE/deno_dir_arm64" "$QEMU")

# --- 2. unit tests under qemu --------------------------------------------------------------
if [ "$UNIT" = 1 ]; then
  files=()
  for p in "${PATHS[@]}"; do
    if [ -d "$p" ]; then
      while IFS= read -r f; do files+=("$f"); done < <(find "$p" -name '*_test.ts' | sort)
    elif [ -f "$p" ]; then
      files+=("$p")
    else
      echo "  skip  $p (does not exist yet)"
    fi
  done
  # Without binfmt_misc an emulated process cannot exec another arm64 binary, so tests that
  # spawn Deno/Node children (crash tests, CLI tests), themselves or through a helper module,
  # cannot run here.
  spawn_re='Deno\.execPath\(\)|process\.execPath'
  while IFS= read -r h; do
    spawn_re="$spawn_re|/$(basename "$h")[\"']"
  done < <(grep -rlE 'Deno\.execPath\(\)|process\.execPath' test --include='*.ts' 2>/dev/null | grep -v '_test\.ts$')
  present=()
  for f in "${files[@]}"; do
    if [ ! -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] && grep -qE "$spawn_re" "$f"; then
      echo "  skip  $f (spawns a child process; needs binfmt_misc for qemu-aarch64)"
    else
      present+=("$f")
    fi
  done
  if [ ${#present[@]} -gt 0 ]; then
    # Type-checking is the host's job (deno check); under qemu it would only cost time.
    step unit-tests timeout 1800 "${ARM[@]}" "$ARM_DENO" test -A --no-check --node-modules-dir=manual \
      "${present[@]}"
    grep -E '^(ok|FAILED) \|' "$LOGS/unit-tests.log" | sed 's/^/        /'
  else
    echo "  skip  unit-tests (none of the paths exist)"
  fi
fi

# --- 3. the daemon -------------------------------------------------------------------------
if [ -z "$BIN" ]; then
  BIN="$(ls -t "$ROOT"/dist/ledge-*-aarch64-unknown-linux-gnu 2>/dev/null | head -1)"
fi
if [ -n "$BIN" ]; then
  [ -x "$BIN" ] || { echo "qemu-arm64-test.sh: $BIN is not an executable" >&2; FAILED=$((FAILED + 1)); finish; }
  echo "ledge under test: $BIN (compiled, arm64)"
  LEDGE=("${ARM[@]}" "$BIN")
elif [ -z "$ENTRY" ]; then
  step bundle "$ROOT/scripts/bundle.sh" || finish
  echo "ledge under test: dist/bundle/main.js (what a release binary embeds) with the arm64 Deno"
  LEDGE=("${ARM[@]}" "$ARM_DENO" run -A --no-config --v8-flags="$(tr -d ' \n' <"$ROOT/packaging/v8-flags")"
    "$ROOT/dist/bundle/main.js")
else
  [ -f "$ENTRY" ] || {
    echo "  FAIL  daemon: $ENTRY does not exist (and no compiled arm64 binary given)"
    FAILED=$((FAILED + 1))
    finish
  }
  echo "ledge under test: $ENTRY with the arm64 Deno"
  ENTRY_ABS="$(cd "$(dirname "$ENTRY")" && pwd)/$(basename "$ENTRY")"
  LEDGE=("${ARM[@]}" "$ARM_DENO" run -A --no-check --config "$ROOT/deno.json" --node-modules-dir=manual
    "$ENTRY_ABS")
fi

ledge() { "${LEDGE[@]}" "$@"; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_port() {
  "$HOST_DENO" eval -q 'const l = Deno.listen({hostname: "127.0.0.1", port: 0});
    console.log((l.addr as Deno.NetAddr).port); l.close();'
}

cd "$WORK" || exit 1
CFG_ARGS=()
PORT=8883
step version ledge version || true
config_default() {
  ledge config default >config.yaml || return 1
  cat config.yaml
  grep -q "mqtts: 127.0.0.1:8883" config.yaml || { echo "no 'mqtts: 127.0.0.1:8883' in it"; return 1; }
}
step config-default config_default || true
if port_open 8883; then
  PORT="$(free_port)"
  sed -i "s/mqtts: 127.0.0.1:8883/mqtts: 127.0.0.1:$PORT/" config.yaml
  CFG_ARGS=(--config "$WORK/config.yaml")
  echo "  note  127.0.0.1:8883 is in use here: the default config on port $PORT instead"
fi

start_daemon() {
  # Started directly (not through the ledge function) so that $! is the qemu process itself.
  "${LEDGE[@]}" run "${CFG_ARGS[@]}" >"$LOGS/daemon.log" 2>&1 &
  DAEMON_PID=$!
  local deadline=$(($(date +%s) + START_TIMEOUT))
  until port_open "$PORT"; do
    kill -0 "$DAEMON_PID" 2>/dev/null || { echo "ledge run exited:"; cat "$LOGS/daemon.log"; return 1; }
    [ "$(date +%s)" -lt "$deadline" ] || { echo "no listener on 127.0.0.1:$PORT after ${START_TIMEOUT}s"; return 1; }
    sleep 0.5
  done
  echo "listening on 127.0.0.1:$PORT"
}
CS=""
add_identity() {
  local deadline=$(($(date +%s) + 60)) out
  # The management socket may come up a moment after the MQTT listener.
  until out="$(ledge identity add qemu-device-1 "${CFG_ARGS[@]}" 2>&1)"; do
    [ "$(date +%s)" -lt "$deadline" ] || { echo "$out"; return 1; }
    sleep 1
  done
  CS="$(printf '%s\n' "$out" | grep -o 'HostName=[^[:space:]]*' | head -1)"
  echo "$out"
  [ -n "$CS" ] || { echo "no connection string in the output"; return 1; }
}
ca_cert() { ledge ca-cert "${CFG_ARGS[@]}" >"$WORK/ca.pem" && grep -q 'BEGIN CERTIFICATE' "$WORK/ca.pem"; }
telemetry() {
  (cd "$ROOT" && timeout 120 "$HOST_DENO" run -A scripts/sdk-telemetry.ts --cs "$CS" \
    --ca "$WORK/ca.pem" --gateway "localhost:$PORT" --count "$COUNT" --timeout-ms 90000)
}
list_modules() {
  ledge list "${CFG_ARGS[@]}" && return 0
  # Without a container engine ledge has no modules to list and says so; that clear refusal
  # is the expected result on a machine without Docker.
  if [ ! -S /var/run/docker.sock ] && grep -q 'no container engine' "$LOGS/list.log"; then
    echo "(no Docker here: the clear 'no container engine' error is the expected result)"
    return 0
  fi
  return 1
}
stop_daemon() {
  kill -TERM "$DAEMON_PID" || return 1
  for _ in $(seq 1 60); do
    kill -0 "$DAEMON_PID" 2>/dev/null || break
    sleep 0.5
  done
  if kill -0 "$DAEMON_PID" 2>/dev/null; then
    echo "still running 30 s after SIGTERM"
    return 1
  fi
  wait "$DAEMON_PID"
  local rc=$?
  DAEMON_PID=""
  echo "exit code $rc"
  tail -5 "$LOGS/daemon.log"
  [ $rc = 0 ]
}

if step daemon-start start_daemon; then
  step identity-add add_identity && step ca-cert ca_cert && step sdk-telemetry telemetry
  grep -h 'sdk-telemetry:' "$LOGS/sdk-telemetry.log" 2>/dev/null | sed 's/^/        /'
  step list list_modules && sed 's/^/        | /' "$LOGS/list.log"
  step daemon-stop stop_daemon
fi
finish
