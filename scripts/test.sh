#!/usr/bin/env bash
# The whole test suite, on a fresh machine of our kind or a developer's: installs the pinned
# Deno (npm), starts what the tests need (a private Docker engine with local test images and a
# local registry on 127.0.0.1), runs every test, then the ARM64 smoke run under QEMU.
#
# Usage: scripts/test.sh [deno test args...]     e.g. scripts/test.sh test/hub/routing/
# Env:   LEDGE_SKIP_DOCKER=1  do not start the engine (its tests then skip, or fail under CI=true)
#        LEDGE_SKIP_QEMU=1    skip the ARM64 QEMU smoke run
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== the pinned Deno and the project's npm dependencies"
scripts/setup-deno.sh
DENO=node_modules/.bin/deno

if [ "${LEDGE_SKIP_DOCKER:-}" != "1" ]; then
  echo "== starting the test Docker engine and building test images"
  scripts/dockerd-test.sh start
  scripts/test-images.sh all
  scripts/sdk-module-image.sh build
fi

echo "== deno test"
set +e
if [ $# -eq 0 ]; then
  "$DENO" task test 2>&1 | tee /tmp/ledge-test-output.txt
else
  "$DENO" test -A --no-check=remote "$@" 2>&1 | tee /tmp/ledge-test-output.txt
fi
status=${PIPESTATUS[0]}
set -e

# Deno prints "ok | N passed | M failed"; repeat it in the plain form CI reads.
summary_of() { sed 's/\x1b\[[0-9;]*m//g' "$1" | grep -E '^(ok|FAILED) \| [0-9]+ passed' | tail -1 || true; }
count_of() { echo "$1" | sed -nE "s/.*\\| ([0-9]+) $2.*/\\1/p"; } # count_of SUMMARY passed|failed
summary=$(summary_of /tmp/ledge-test-output.txt)
passed=$(count_of "$summary" passed)
failed=$(count_of "$summary" failed)

if [ $# -eq 0 ]; then
  # What ships is the bundle (cross-compile.sh compiles it): every test that runs ledge as a
  # process runs again against it, SDK and Docker ones included.
  echo "== the shipped bundle: process-level tests again against dist/bundle/main.js"
  scripts/bundle.sh
  mapfile -t e2e < <(grep -rlE 'startLedge|runCli' test --include='*_test.ts' | sort)
  set +e
  LEDGE_TEST_ENTRY=dist/bundle/main.js "$DENO" test -A --no-check=remote "${e2e[@]}" 2>&1 |
    tee /tmp/ledge-test-bundle-output.txt
  [ "${PIPESTATUS[0]}" = 0 ] || status=1
  set -e
  bsummary=$(summary_of /tmp/ledge-test-bundle-output.txt)
  passed=$(( ${passed:-0} + $(count_of "$bsummary" passed) + 0 ))
  failed=$(( ${failed:-0} + $(count_of "$bsummary" failed) + 0 ))
  [ -n "$bsummary" ] || { echo "no test summary from the bundle run"; failed=$(( ${failed:-0} + 1 )); status=1; }

  echo "== install script test"
  if bash scripts/test-install.sh; then passed=$(( ${passed:-0} + 1 )); else failed=$(( ${failed:-0} + 1 )); status=1; fi
fi

if [ $# -eq 0 ] && [ "${LEDGE_SKIP_QEMU:-}" != "1" ]; then
  echo "== ARM64 smoke run under QEMU"
  if bash scripts/qemu-arm64-test.sh; then passed=$(( ${passed:-0} + 1 )); else failed=$(( ${failed:-0} + 1 )); status=1; fi
fi

echo "tests: ${passed:-0} passed, ${failed:-0} failed"
exit "$status"
