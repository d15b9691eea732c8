#!/usr/bin/env bash
# Installs the peer brokers bench/routed_throughput.ts compares ledge with:
#  - Eclipse Mosquitto from Debian (apt), used only as a binary: the benchmark starts its own
#    instance with its own config on a free loopback port; the system service is not needed.
#  - aedes + LevelDB persistence from npm (deno.json imports "aedes", "aedes-persistence-level",
#    "level"), fetched into node_modules by `deno install`.
# Idempotent; safe to run again. Needs root (or sudo) for apt.
#
# Usage: bash scripts/bench-peers.sh
set -euo pipefail
cd "$(dirname "$0")/.."
DENO="${DENO:-node_modules/.bin/deno}"

if [ -x /usr/sbin/mosquitto ]; then
  echo "mosquitto: $(/usr/sbin/mosquitto -h 2>/dev/null | head -1)"
else
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq mosquitto
  # The package may start a system instance on 1883 where an init system runs; the benchmark
  # does not use it.
  echo "mosquitto installed: $(/usr/sbin/mosquitto -h 2>/dev/null | head -1)"
fi

for dep in aedes aedes-persistence-level level; do
  if ! grep -q "\"$dep\": \"npm:" deno.json; then
    echo "deno.json lacks the import \"$dep\"; add it (see bench/results/routed_throughput.md)" >&2
    exit 1
  fi
done
"$DENO" install >/dev/null
echo "aedes, aedes-persistence-level, level: installed in node_modules"
