#!/usr/bin/env bash
# cross-compile.sh — build ledge release binaries with `deno compile`.
#
# Usage: ./cross-compile.sh [--target TRIPLE]... [--no-smoke]
#
# Targets (default: both): x86_64-unknown-linux-gnu, aarch64-unknown-linux-gnu.
# Output in dist/ (or $LEDGE_DIST): ledge-<version>-<target>, install.sh, ledge.service,
# config.example.yaml and SHA256SUMS over them; deno's list of embedded files in
# build/compile-<target>.log.
#
# What is compiled is the bundle (scripts/bundle.sh: src/main.ts tree-shaken and minified into
# a few chunks, ~800 KB; no node_modules, no toolchain, no tests), with its stamp version.json
#   {"version":"<deno.json version>","revision":"<git short rev>[-dirty]","built":..,"deno":..}
# embedded next to it, which `ledge version` prints (see src/version.ts).
#
# The Deno runtime a binary is built on (denort) normally comes from dl.deno.land. Where that
# is unreachable, give it per target (a denort binary, or the denort-<target>.zip release file):
#   DENORT_BIN_X86_64=/path/denort    DENORT_BIN_AARCH64=/path/denort-aarch64-unknown-linux-gnu.zip
#   DENORT_BIN=/path/denort           used for whichever target matches its CPU architecture
# A denort zip already in Deno's cache ($DENO_DIR/dl/release/v<deno>/denort-<target>.zip) also
# works. The full `deno` CLI is NOT a denort: a binary built on it ignores the program and runs
# as the deno CLI, so it is refused. If any requested target has no runtime, nothing is built.
#
# Other environment: DENO (deno to compile with; default node_modules/.bin/deno),
#   LEDGE_V8_FLAGS (default: packaging/v8-flags, sized for a 512 MB device), LEDGE_DIST.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$ROOT"

ALL_TARGETS=(x86_64-unknown-linux-gnu aarch64-unknown-linux-gnu)
TARGETS=()
SMOKE=1
V8_FLAGS="${LEDGE_V8_FLAGS:-$(tr -d ' \n' <"$ROOT/packaging/v8-flags")}"
DIST="${LEDGE_DIST:-$ROOT/dist}"
BUILD="$DIST/build"
BUNDLE="$BUILD/bundle"
# The deno CLI's own help text; a denort (runtime only) does not contain it.
CLI_MARKER="Compile the script into a self contained executable"
# A ledge binary is denort plus the ~800 KB bundle: payload above this is a bug (e.g. the 95 MB
# deno npm package got embedded).
MAX_PAYLOAD_MB="${LEDGE_MAX_PAYLOAD_MB:-16}"

die() { echo "cross-compile.sh: $*" >&2; exit 1; }
log() { echo "==> $*" >&2; }

while [ $# -gt 0 ]; do
  case "$1" in
    --target) TARGETS+=("${2:?--target needs a value}"); shift 2 ;;
    --no-smoke) SMOKE=0; shift ;;
    -h | --help) awk 'NR > 1 && /^#/ { print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) die "unknown argument: $1 (see --help)" ;;
  esac
done
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=("${ALL_TARGETS[@]}")
for t in "${TARGETS[@]}"; do
  case " ${ALL_TARGETS[*]} " in *" $t "*) ;; *) die "unsupported target: $t (supported: ${ALL_TARGETS[*]})" ;; esac
done

DENO="${DENO:-$ROOT/node_modules/.bin/deno}"
[ -x "$DENO" ] || die "no deno at $DENO: run scripts/setup-deno.sh (or npm ci) first"
DENO_VERSION="$("$DENO" --version | head -1 | awk '{print $2}')"

# --- what goes into the stamp --------------------------------------------------------------
VERSION="$("$DENO" eval -q 'console.log(JSON.parse(Deno.readTextFileSync("deno.json")).version ?? "")')"
[ -n "$VERSION" ] || die "deno.json has no \"version\""
if REV="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null)"; then
  # Tracked changes only, like `git describe --dirty`.
  git -C "$ROOT" diff --quiet HEAD -- 2>/dev/null || REV="$REV-dirty"
else
  REV="unknown"
fi

# --- which runtime each target is built on -------------------------------------------------
elf_arch() { # prints x86_64 / aarch64 / other for an ELF file
  local m
  m="$(od -An -tx1 -j18 -N2 "$1" 2>/dev/null | tr -d ' \n')"
  case "$m" in 3e00) echo x86_64 ;; b700) echo aarch64 ;; *) echo "other($m)" ;; esac
}
is_elf() { [ "$(head -c4 "$1" 2>/dev/null | od -An -tx1 | tr -d ' \n')" = "7f454c46" ]; }

DENO_DIR_PATH="$("$DENO" info --json 2>/dev/null | "$DENO" eval -q \
  'const t = await new Response(Deno.stdin.readable).text(); console.log(JSON.parse(t).denoDir ?? "")' || true)"

# Resolves the runtime for target $1: prints "bin:<path>", "download" or "missing:<why>".
resolve_runtime() {
  local t="$1" arch="${1%%-*}" var src="" why=""
  case "$arch" in x86_64) var=DENORT_BIN_X86_64 ;; aarch64) var=DENORT_BIN_AARCH64 ;; esac
  if [ -n "${!var:-}" ]; then
    src="${!var}"
  elif [ -n "${DENORT_BIN:-}" ]; then
    if [ -f "$DENORT_BIN" ] && [[ "$DENORT_BIN" != *.zip ]] && [ "$(elf_arch "$DENORT_BIN")" != "$arch" ]; then
      why="DENORT_BIN ($DENORT_BIN) is for $(elf_arch "$DENORT_BIN"), not $arch; set $var"
    else
      src="$DENORT_BIN"
    fi
  fi
  if [ -z "$src" ] && [ -z "$why" ]; then
    local cached="$DENO_DIR_PATH/dl/release/v$DENO_VERSION/denort-$t.zip"
    if [ -n "$DENO_DIR_PATH" ] && [ -s "$cached" ]; then
      echo "download" # deno uses its cache; nothing to fetch
      return
    fi
    local url="https://dl.deno.land/release/v$DENO_VERSION/denort-$t.zip"
    if curl -sfIL --max-time 15 "$url" >/dev/null 2>&1; then
      echo "download"
      return
    fi
    echo "missing:the denort runtime for $t cannot be downloaded ($url is unreachable) and neither $var nor DENORT_BIN is set"
    return
  fi
  [ -n "$why" ] && { echo "missing:$why"; return; }
  [ -f "$src" ] || { echo "missing:$src (from $var/DENORT_BIN) does not exist"; return; }
  if [[ "$src" == *.zip ]]; then
    command -v unzip >/dev/null || { echo "missing:unzip is needed to read $src"; return; }
    mkdir -p "$BUILD/denort-$t"
    unzip -o -q "$src" -d "$BUILD/denort-$t" || { echo "missing:$src is not a readable zip"; return; }
    src="$(find "$BUILD/denort-$t" -type f -name 'denort*' | head -1)"
    [ -n "$src" ] || { echo "missing:the zip has no denort binary inside"; return; }
    chmod +x "$src"
  fi
  is_elf "$src" || { echo "missing:$src is not an ELF executable"; return; }
  [ "$(elf_arch "$src")" = "$arch" ] || { echo "missing:$src is for $(elf_arch "$src"), not $arch"; return; }
  if grep -qaF "$CLI_MARKER" "$src"; then
    echo "missing:$src is the full deno CLI, not denort; a binary built on it ignores ledge and runs as deno"
    return
  fi
  echo "bin:$src"
}

mkdir -p "$BUILD"
cleanup() { rm -f "$BUILD"/*.partial*; rm -rf "$BUILD"/denort-* "$BUNDLE"; }
trap cleanup EXIT

declare -A RUNTIME
missing=0
for t in "${TARGETS[@]}"; do
  r="$(resolve_runtime "$t")"
  RUNTIME[$t]="$r"
  case "$r" in
    missing:*) echo "cross-compile.sh: cannot build $t: ${r#missing:}" >&2; missing=1 ;;
    bin:*) log "$t: runtime ${r#bin:}" ;;
    download) log "$t: runtime from dl.deno.land (or deno's cache)" ;;
  esac
done
if [ "$missing" = 1 ]; then
  echo "cross-compile.sh: no artifact was built. Get denort $DENO_VERSION for the target(s) above" \
    "(https://dl.deno.land/release/v$DENO_VERSION/denort-<target>.zip, on a machine that can reach it)" \
    "and pass it with DENORT_BIN_X86_64 / DENORT_BIN_AARCH64 (a binary or the .zip)." >&2
  exit 3
fi

# --- what is embedded ----------------------------------------------------------------------
# The bundle only: it imports nothing but `node:` built-ins and its own chunks, so the compile
# runs without deno.json (no node_modules, and so no Deno toolchain from npm, gets embedded).
rm -f "$BUILD"/compile-*.log

# Type-check once, as its own step: `deno compile --v8-flags` also applies the device's small
# heap to the compiler process, where tsc would run out of memory.
log "deno check src/main.ts"
"$DENO" check --quiet --config "$ROOT/deno.json" src/main.ts || die "type check failed; no artifact"
LEDGE_REVISION="$REV" DENO="$DENO" "$ROOT/scripts/bundle.sh" --out "$BUNDLE" ||
  die "bundling failed; no artifact"

BUILT=()
for t in "${TARGETS[@]}"; do
  out="$DIST/ledge-$VERSION-$t"
  partial="$BUILD/ledge-$VERSION-$t.partial"
  rm -f "$partial"
  env_args=()
  case "${RUNTIME[$t]}" in bin:*) env_args=("DENORT_BIN=${RUNTIME[$t]#bin:}") ;; esac
  log "$t: deno compile ($VERSION, $REV)"
  start=$(date +%s)
  clog="$BUILD/compile-$t.log" # keeps deno's "Embedded Files" listing
  if ! env -u DENORT_BIN "${env_args[@]}" NO_COLOR=1 "$DENO" compile -A --no-check --no-config \
    --no-lock --target "$t" \
    --v8-flags="$V8_FLAGS" \
    --include "$BUNDLE/version.json" \
    -o "$partial" "$BUNDLE/main.js" >"$clog" 2>&1; then
    tail -20 "$clog" >&2
    die "$t: deno compile failed (log: $clog); no artifact"
  fi
  [ -s "$partial" ] || die "$t: deno compile produced no file"
  if grep -E 'node_modules|(@deno\+|deno@)[^ ]*.*[0-9.]+MB' "$clog" >&2; then
    rm -f "$partial"
    die "$t: more than the bundle was embedded (see above, $clog); removed"
  fi

  # Checks before anything lands in dist/.
  size=$(stat -c %s "$partial")
  if grep -qaF "$CLI_MARKER" "$partial"; then
    rm -f "$partial"
    die "$t: the binary contains the deno CLI (a deno npm binary was embedded, or the base is not denort); removed"
  fi
  base_size=0
  case "${RUNTIME[$t]}" in bin:*) base_size=$(stat -c %s "${RUNTIME[$t]#bin:}") ;; esac
  if [ "$base_size" -gt 0 ]; then
    payload_mb=$(((size - base_size) / 1048576))
    if [ "$payload_mb" -gt "$MAX_PAYLOAD_MB" ]; then
      rm -f "$partial"
      die "$t: embedded payload is ${payload_mb} MB (> ${MAX_PAYLOAD_MB} MB): something big got embedded; removed"
    fi
    log "$t: $((size / 1048576)) MB (runtime $((base_size / 1048576)) MB + program ${payload_mb} MB)"
  else
    log "$t: $((size / 1048576)) MB"
  fi
  if [ "$SMOKE" = 1 ]; then
    runner=()
    if [ "${t%%-*}" != "$(uname -m)" ]; then
      if command -v qemu-aarch64-static >/dev/null && [ "${t%%-*}" = aarch64 ]; then
        runner=(qemu-aarch64-static -L /usr/aarch64-linux-gnu)
        [ -d /usr/aarch64-linux-gnu ] || runner=(qemu-aarch64-static)
      else
        runner=(skip)
      fi
    fi
    if [ "${runner[*]:-}" = skip ]; then
      log "$t: smoke test skipped (no way to run $t here)"
    else
      chmod +x "$partial"
      got="$("${runner[@]}" "$partial" version 2>&1)" || { rm -f "$partial"; die "$t: '$partial version' failed: $got"; }
      case "$got" in
        *"$VERSION"*"$REV"*) log "$t: version -> $got" ;;
        *) rm -f "$partial"; die "$t: 'version' printed '$got', expected $VERSION and $REV; removed" ;;
      esac
      "${runner[@]}" "$partial" config default >/dev/null 2>&1 ||
        { rm -f "$partial"; die "$t: 'config default' failed; removed"; }
    fi
  fi
  chmod 0755 "$partial"
  mv -f "$partial" "$out"
  BUILT+=("$out")
  log "$t: $out ($(($(date +%s) - start)) s)"
done

# What a device needs besides the binary (see scripts/install.sh).
install -m 0755 scripts/install.sh "$DIST/install.sh"
install -m 0644 packaging/ledge.service "$DIST/ledge.service"
install -m 0644 packaging/config.example.yaml "$DIST/config.example.yaml"
(cd "$DIST" && sha256sum -- "ledge-$VERSION-"*-linux-gnu install.sh ledge.service config.example.yaml >SHA256SUMS)
log "checksums: $DIST/SHA256SUMS"
cat "$DIST/SHA256SUMS"
