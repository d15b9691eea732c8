#!/usr/bin/env bash
# Builds ledge-test/sdk-module:1, an IoT Edge module on the official Azure IoT SDK, into the
# test Docker engine — without any registry pull. The image is a rootfs holding the host's
# Node (/usr/bin/node) with the shared libraries and dynamic loader `ldd` names (copied to the
# same paths), a real node_modules with azure-iot-device + azure-iot-device-mqtt from
# `npm install`, and test/agent/fixtures/sdk-module/module.js as /app/module.js; it is loaded
# with `docker import` (CMD ["/usr/bin/node","/app/module.js"]).
#
# Usage: scripts/sdk-module-image.sh [build|rm]   (default: build)
#   build - idempotent: the image carries a label with the hash of its inputs (this script,
#           the fixture files, node and its libraries); an image with the same hash is kept,
#           and node_modules is reinstalled only when package.json changed.
#   rm    - removes the image.
# Prints SDK_MODULE_IMAGE=<image> on success.
# Env: LEDGE_TEST_DOCKER_SOCK (default /run/ledge-test-docker.sock),
#      LEDGE_SDK_MODULE_BUILD (build/cache dir, default /var/tmp/ledge-sdk-module),
#      NODE_BIN (default /usr/bin/node).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
SOCK="${LEDGE_TEST_DOCKER_SOCK:-/run/ledge-test-docker.sock}"
BUILD="${LEDGE_SDK_MODULE_BUILD:-/var/tmp/ledge-sdk-module}"
NODE_BIN="${NODE_BIN:-/usr/bin/node}"
FIXTURE="$ROOT/test/agent/fixtures/sdk-module"
IMAGE="ledge-test/sdk-module:1"
HASH_LABEL="io.ledge.test.inputs"
export DOCKER_HOST="unix://$SOCK"

die() { echo "sdk-module-image: $*" >&2; exit 1; }

# Absolute paths of the libraries and loader the binary needs (ldd's "=> /path" and the
# loader's bare "/path").
libs_of() {
  ldd "$1" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' | sort -u
}

inputs_hash() {
  {
    # Contents only (not the paths they were reached by), so any caller gets the same hash.
    local f
    for f in "${BASH_SOURCE[0]}" "$FIXTURE/module.js" "$FIXTURE/package.json" "$NODE_BIN"; do
      sha256sum <"$f"
    done
    for f in $(libs_of "$NODE_BIN"); do echo "$f $(sha256sum <"$f")"; done
  } | sha256sum | cut -c1-32
}

# node_modules in $BUILD/app, installed again only when package.json changed.
install_modules() {
  local app="$BUILD/app" pkg_hash
  pkg_hash="$(sha256sum <"$FIXTURE/package.json" | cut -c1-32)"
  mkdir -p "$app"
  if [[ -f "$app/.package-hash" && "$(cat "$app/.package-hash")" == "$pkg_hash" \
    && -d "$app/node_modules/azure-iot-device-mqtt" ]]; then
    return 0
  fi
  echo "sdk-module-image: npm install in $app" >&2
  rm -rf "$app/node_modules" "$app/package-lock.json" "$app/.package-hash"
  cp "$FIXTURE/package.json" "$app/package.json"
  (cd "$app" && npm install --omit=dev --no-audit --no-fund --no-package-lock \
    --loglevel=error >&2)
  echo "$pkg_hash" >"$app/.package-hash"
}

make_rootfs() {
  local rootfs="$BUILD/rootfs" lib
  rm -rf "$rootfs"
  mkdir -p "$rootfs"/{usr/bin,app,etc,tmp,proc,sys,dev,root,var/run/iotedge}
  cp "$NODE_BIN" "$rootfs/usr/bin/node"
  for lib in $(libs_of "$NODE_BIN"); do
    mkdir -p "$rootfs$(dirname "$lib")"
    cp -L "$lib" "$rootfs$lib"
  done
  cp -r "$BUILD/app/node_modules" "$rootfs/app/node_modules"
  cp "$FIXTURE/package.json" "$FIXTURE/module.js" "$rootfs/app/"
  chmod 1777 "$rootfs/tmp"
  echo "root:x:0:0:root:/root:/bin/sh" >"$rootfs/etc/passwd"
  echo "root:x:0:" >"$rootfs/etc/group"
  # Names come from /etc/hosts only (the engine provides it): no DNS traffic, ever.
  printf 'passwd: files\ngroup: files\nhosts: files\n' >"$rootfs/etc/nsswitch.conf"
  printf '127.0.0.1 localhost\n::1 localhost\n' >"$rootfs/etc/hosts"
}

build() {
  command -v docker >/dev/null || die "docker CLI not found (run scripts/dockerd-test.sh start)"
  docker version >/dev/null 2>&1 || die "no Docker engine at $SOCK (run scripts/dockerd-test.sh start)"
  [[ -x "$NODE_BIN" ]] || die "$NODE_BIN not found"
  command -v npm >/dev/null || die "npm not found"
  local hash have
  hash="$(inputs_hash)"
  have="$(docker image inspect -f "{{ index .Config.Labels \"$HASH_LABEL\" }}" "$IMAGE" \
    2>/dev/null || true)"
  if [[ "$have" == "$hash" ]]; then
    echo "SDK_MODULE_IMAGE=$IMAGE"
    return 0
  fi
  echo "sdk-module-image: building $IMAGE (inputs $hash)" >&2
  local old_id
  old_id="$(docker image inspect -f '{{ .Id }}' "$IMAGE" 2>/dev/null || true)"
  mkdir -p "$BUILD"
  install_modules
  make_rootfs
  tar -C "$BUILD/rootfs" -c . | docker import \
    --change 'CMD ["/usr/bin/node","/app/module.js"]' \
    --change 'WORKDIR /app' \
    --change "LABEL $HASH_LABEL=$hash" \
    - "$IMAGE" >/dev/null
  rm -rf "$BUILD/rootfs"
  # The image it replaces is left untagged: drop it unless a container still uses it.
  [[ -z "$old_id" ]] || docker rmi "$old_id" >/dev/null 2>&1 || true
  echo "SDK_MODULE_IMAGE=$IMAGE"
}

case "${1:-build}" in
  build) build ;;
  rm) docker rmi -f "$IMAGE" >/dev/null 2>&1 || true ;;
  *) echo "usage: $0 [build|rm]" >&2; exit 2 ;;
esac
