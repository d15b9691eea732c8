#!/usr/bin/env bash
# bundle.sh — the program as it ships: src/main.ts bundled into dist/bundle/ (deno bundle,
# minified, split into chunks at the dynamic imports), with the version stamp next to it.
#
# Usage: scripts/bundle.sh [--out DIR]      (default dist/bundle)
#
# Why a bundle: `deno run src/main.ts` loads ~600 modules (ledge's TypeScript and every npm
# file separately); the bundle loads a few tree-shaken chunks, and only those the command needs
# (the agent's chunk with dockerode stays unloaded while `moby.socket` is null). Idle RSS of
# `ledge run` drops by ~15 MB (bench/results/memory.md). cross-compile.sh compiles this bundle;
# `deno run -A dist/bundle/main.js run` runs it the way a release binary does.
#
# The stamp DIR/version.json ({"version","revision","built","deno"}) is what `ledge version`
# prints (src/version.ts reads ./version.json next to its own chunk; a source run has none and
# reports revision "dev").
#
# Environment: DENO (default node_modules/.bin/deno), LEDGE_REVISION (default: git short rev,
# with -dirty for uncommitted tracked changes).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$ROOT/dist/bundle"
while [ $# -gt 0 ]; do
  case "$1" in
    --out) OUT="${2:?--out needs a value}"; shift 2 ;;
    -h | --help) awk 'NR > 1 && /^#/ { print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "bundle.sh: unknown argument: $1" >&2; exit 2 ;;
  esac
done
DENO="${DENO:-$ROOT/node_modules/.bin/deno}"
[ -x "$DENO" ] || { echo "bundle.sh: no deno at $DENO: run scripts/setup-deno.sh first" >&2; exit 1; }
cd "$ROOT"

VERSION="$("$DENO" eval -q 'console.log(JSON.parse(Deno.readTextFileSync("deno.json")).version ?? "")')"
[ -n "$VERSION" ] || { echo "bundle.sh: deno.json has no \"version\"" >&2; exit 1; }
REV="${LEDGE_REVISION:-}"
if [ -z "$REV" ]; then
  if REV="$(git rev-parse --short HEAD 2>/dev/null)"; then
    git diff --quiet HEAD -- 2>/dev/null || REV="$REV-dirty" # tracked changes, like describe --dirty
  else
    REV="unknown"
  fi
fi
DENO_VERSION="$("$DENO" --version | head -1 | awk '{print $2}')"

# Build next to the output and swap, so a failed build never leaves a half-written bundle.
tmp="$OUT.partial"
rm -rf "$tmp"
mkdir -p "$(dirname "$OUT")"
# ssh2 (which docker-modem loads for ssh:// engines, with an optional native addon) is replaced
# by a stand-in through deno.json "links" (packaging/npm-stubs/ssh2): ledge only speaks to the
# engine over a unix socket. Native addons are never bundled (`--external '*.node'`).
if ! NO_COLOR=1 "$DENO" bundle --quiet --platform deno --minify --code-splitting \
  --external '*.node' --outdir "$tmp" src/main.ts >"$tmp.log" 2>&1; then
  cat "$tmp.log" >&2
  rm -rf "$tmp" "$tmp.log"
  echo "bundle.sh: deno bundle failed" >&2
  exit 1
fi
rm -f "$tmp.log"
[ -s "$tmp/main.js" ] || { echo "bundle.sh: no main.js in the bundle" >&2; exit 1; }
printf '{"version":"%s","revision":"%s","built":"%s","deno":"%s"}\n' \
  "$VERSION" "$REV" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$DENO_VERSION" >"$tmp/version.json"
rm -rf "$OUT"
mv "$tmp" "$OUT"
echo "$OUT: $(find "$OUT" -name '*.js' | wc -l) chunks, $(du -sk "$OUT" | cut -f1) KiB, $VERSION ($REV)" >&2
