#!/usr/bin/env bash
# setup-deno.sh — install the pinned Deno toolchain from the npm registry.
#
#   scripts/setup-deno.sh
#       Makes sure node_modules/.bin/deno exists and is the version pinned in package.json
#       (runs `npm ci`, or `npm install` when there is no package-lock.json), then installs the
#       project's npm dependencies (`deno install`, from deno.json and deno.lock).
#
#   scripts/setup-deno.sh --platform linux-arm64-glibc --dest DIR
#       Fetches the Deno binary of another platform (npm package @deno/<platform> at the pinned
#       version) into DIR without installing it (npm pack + tar). Prints the binary's path.
#       Used by scripts/qemu-arm64-test.sh. Idempotent: a binary already in DIR is reused.
#
# Only the npm registry is contacted (through npm itself).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PLATFORM=""
DEST=""
while [ $# -gt 0 ]; do
  case "$1" in
    --platform) PLATFORM="${2:?--platform needs a value}"; shift 2 ;;
    --dest) DEST="${2:?--dest needs a value}"; shift 2 ;;
    -h | --help) awk 'NR > 1 && /^#/ { print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "setup-deno.sh: unknown argument: $1" >&2; exit 2 ;;
  esac
done

command -v npm >/dev/null || { echo "setup-deno.sh: npm not found (install Node.js >= 20)" >&2; exit 1; }
PINNED="$(node -p 'require(process.argv[1]).devDependencies.deno' "$ROOT/package.json")"
[ -n "$PINNED" ] || { echo "setup-deno.sh: package.json pins no deno version" >&2; exit 1; }

if [ -z "$PLATFORM" ]; then
  cd "$ROOT"
  have="$("$ROOT/node_modules/.bin/deno" --version 2>/dev/null | head -1 | awk '{print $2}')" || true
  if [ "$have" = "$PINNED" ]; then
    echo "deno $PINNED already installed: $ROOT/node_modules/.bin/deno"
  else
    if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi
    "$ROOT/node_modules/.bin/deno" --version | head -1
  fi
  # The project's npm dependencies (deno.json + deno.lock) as their own step: left to the first
  # `deno task`, that install replaces node_modules/.bin/deno while it runs and Deno 2.9.6 panics.
  "$ROOT/node_modules/.bin/deno" install --quiet
  exit 0
fi

[ -n "$DEST" ] || { echo "setup-deno.sh: --platform needs --dest DIR" >&2; exit 2; }
mkdir -p "$DEST"
BIN="$DEST/deno-$PINNED-$PLATFORM/deno"
if [ -x "$BIN" ]; then
  echo "$BIN"
  exit 0
fi
TMP="$(mktemp -d "$DEST/.fetch.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT
(cd "$TMP" && npm pack --silent "@deno/$PLATFORM@$PINNED" >/dev/null)
tgz="$(ls "$TMP"/*.tgz)"
tar -xzf "$tgz" -C "$TMP"
[ -f "$TMP/package/deno" ] || { echo "setup-deno.sh: @deno/$PLATFORM@$PINNED has no deno binary" >&2; exit 1; }
chmod +x "$TMP/package/deno"
mkdir -p "$(dirname "$BIN")"
mv "$TMP/package/deno" "$BIN"
echo "$BIN"
