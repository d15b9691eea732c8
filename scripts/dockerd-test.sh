#!/usr/bin/env bash
# Private Docker engine for ledge's tests and benchmarks.
#
# Usage: scripts/dockerd-test.sh [start|stop|status]   (default: start)
#
# start  - installs docker.io via apt if `dockerd` is missing, starts a private dockerd on
#          $LEDGE_TEST_DOCKER_SOCK (default /run/ledge-test-docker.sock) with no bridge and no
#          iptables (containers use host networking only), waits for /_ping, prints the socket.
#          Idempotent: an engine already answering on the socket is reused.
# stop   - stops the engine started by this script (by its pidfile).
# status - prints "running <sock>" (exit 0) or "stopped" (exit 1).
#
# Env: LEDGE_TEST_DOCKER_SOCK, LEDGE_TEST_DOCKER_ROOT (default /var/lib/ledge-test-docker),
#      LEDGE_TEST_DOCKER_LOG (default /tmp/ledge-test-dockerd.log).
set -euo pipefail

SOCK="${LEDGE_TEST_DOCKER_SOCK:-/run/ledge-test-docker.sock}"
ROOT="${LEDGE_TEST_DOCKER_ROOT:-/var/lib/ledge-test-docker}"
LOG="${LEDGE_TEST_DOCKER_LOG:-/tmp/ledge-test-dockerd.log}"
PIDFILE="${SOCK%.sock}.pid"
EXEC_ROOT="${SOCK%.sock}-exec"

ping_engine() {
  curl -sf --max-time 2 --unix-socket "$SOCK" http://localhost/_ping >/dev/null 2>&1
}

ensure_installed() {
  if ! command -v dockerd >/dev/null 2>&1; then
    echo "dockerd-test: installing docker.io" >&2
    export DEBIAN_FRONTEND=noninteractive
    # Keep the package's own service from starting a default dockerd (with a 172.x bridge).
    local guard=""
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
      guard=/usr/sbin/policy-rc.d
      printf '#!/bin/sh\nexit 101\n' >"$guard" && chmod +x "$guard"
    fi
    apt-get update -qq >&2
    apt-get install -y -qq docker.io >&2
    if [[ -n "$guard" ]]; then rm -f "$guard"; fi
  fi
  command -v curl >/dev/null 2>&1 || { apt-get update -qq >&2; apt-get install -y -qq curl >&2; }
}

pick_storage_driver() {
  # overlay2 needs a filesystem that supports it under $ROOT (not overlayfs itself in many
  # sandboxes); vfs always works but copies layers. Allow an explicit override.
  if [[ -n "${LEDGE_TEST_DOCKER_STORAGE:-}" ]]; then echo "$LEDGE_TEST_DOCKER_STORAGE"; return; fi
  local fstype
  fstype="$(stat -f -c %T "$ROOT" 2>/dev/null || echo unknown)"
  if [[ "$fstype" == "overlayfs" || "$fstype" == "unknown" ]]; then echo vfs; else echo overlay2; fi
}

start_engine() {
  if ping_engine; then echo "$SOCK"; return 0; fi
  ensure_installed
  mkdir -p "$ROOT" "$(dirname "$SOCK")" "$EXEC_ROOT"
  # A stale pidfile from a killed engine blocks a new start.
  if [[ -f "$PIDFILE" ]] && ! kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then rm -f "$PIDFILE"; fi
  rm -f "$SOCK"
  local driver
  driver="$(pick_storage_driver)"
  local args=(
    --data-root "$ROOT" --exec-root "$EXEC_ROOT"
    --host "unix://$SOCK" --pidfile "$PIDFILE"
    --bridge=none --iptables=false --ip6tables=false --ip-masq=false
    --storage-driver="$driver" --shutdown-timeout="${LEDGE_TEST_DOCKER_SHUTDOWN_TIMEOUT:-2}"
  )
  # Without systemd the cgroupfs driver is the one that works.
  args+=(--exec-opt native.cgroupdriver=cgroupfs)
  echo "dockerd-test: starting dockerd (storage $driver), log $LOG" >&2
  nohup dockerd "${args[@]}" >>"$LOG" 2>&1 </dev/null &
  local i
  for i in $(seq 1 120); do
    if ping_engine; then echo "$SOCK"; return 0; fi
    if ! kill -0 $! 2>/dev/null; then break; fi
    sleep 0.5
  done
  if [[ "$driver" == "overlay2" && -z "${LEDGE_TEST_DOCKER_STORAGE:-}" ]]; then
    echo "dockerd-test: overlay2 failed, retrying with vfs" >&2
    stop_engine >/dev/null 2>&1 || true
    LEDGE_TEST_DOCKER_STORAGE=vfs start_engine
    return $?
  fi
  echo "dockerd-test: dockerd did not come up; last log lines:" >&2
  tail -n 30 "$LOG" >&2 || true
  return 1
}

stop_engine() {
  if [[ -f "$PIDFILE" ]]; then
    local pid
    pid="$(cat "$PIDFILE")"
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid"
      local i
      for i in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
      kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$PIDFILE"
  fi
  rm -f "$SOCK"
  echo "stopped"
}

case "${1:-start}" in
  start) start_engine ;;
  stop) stop_engine ;;
  status)
    if ping_engine; then echo "running $SOCK"; else echo "stopped"; exit 1; fi
    ;;
  *) echo "usage: $0 [start|stop|status]" >&2; exit 2 ;;
esac
