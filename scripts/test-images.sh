#!/usr/bin/env bash
# Local test images and a local authenticated registry for ledge's agent tests — no outside registry.
#
# Usage: scripts/test-images.sh [images|registry|all|registry-stop]   (default: all)
#
# images   - builds ledge-test/busybox:1 from Debian's busybox-static (docker import of a
#            busybox rootfs, CMD ["/bin/sh"]) into the engine at $LEDGE_TEST_DOCKER_SOCK.
# registry - starts Debian's docker-registry on 127.0.0.1:$LEDGE_TEST_REGISTRY_PORT (default 5055)
#            with htpasswd auth (user $LEDGE_TEST_REGISTRY_USER / $LEDGE_TEST_REGISTRY_PASS,
#            default ledge / ledge-secret) and pushes 127.0.0.1:<port>/ledge-test/busybox:1.
#            dockerd treats 127.0.0.0/8 registries as insecure (plain HTTP) by default.
# all      - both. Idempotent: existing image / running registry are reused.
# Prints KEY=VALUE lines (TEST_IMAGE, REGISTRY, REGISTRY_IMAGE, REGISTRY_USER, REGISTRY_PASS).
set -euo pipefail

SOCK="${LEDGE_TEST_DOCKER_SOCK:-/run/ledge-test-docker.sock}"
PORT="${LEDGE_TEST_REGISTRY_PORT:-5055}"
RUSER="${LEDGE_TEST_REGISTRY_USER:-ledge}"
RPASS="${LEDGE_TEST_REGISTRY_PASS:-ledge-secret}"
RDIR="${LEDGE_TEST_REGISTRY_DIR:-/tmp/ledge-test-registry}"
IMAGE="ledge-test/busybox:1"
REG_IMAGE="127.0.0.1:$PORT/ledge-test/busybox:1"
export DOCKER_HOST="unix://$SOCK"

apt_install() {
  export DEBIAN_FRONTEND=noninteractive
  # Keep packaged services (docker-registry on :5000) from being started by the install.
  local guard=""
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    guard=/usr/sbin/policy-rc.d
    printf '#!/bin/sh\nexit 101\n' >"$guard" && chmod +x "$guard"
  fi
  apt-get update -qq >&2 || true
  apt-get install -y -qq "$@" >&2
  if [[ -n "$guard" ]]; then rm -f "$guard"; fi
}

build_images() {
  if docker image inspect "$IMAGE" >/dev/null 2>&1; then return 0; fi
  [[ -x /bin/busybox ]] && /bin/busybox --list 2>/dev/null | grep -qx sleep \
    && dpkg -s busybox-static >/dev/null 2>&1 || apt_install busybox-static
  local work
  work="$(mktemp -d)"
  mkdir -p "$work/rootfs/bin" "$work/rootfs/tmp" "$work/rootfs/etc" "$work/rootfs/proc" \
    "$work/rootfs/sys" "$work/rootfs/dev" "$work/rootfs/var/run/iotedge"
  cp /bin/busybox "$work/rootfs/bin/busybox"
  # Symlink every applet next to busybox (done from the host: no chroot needed).
  local applet
  for applet in $(/bin/busybox --list); do
    [[ "$applet" == busybox ]] || ln -sf busybox "$work/rootfs/bin/$applet"
  done
  echo "root:x:0:0:root:/root:/bin/sh" >"$work/rootfs/etc/passwd"
  chmod 1777 "$work/rootfs/tmp"
  tar -C "$work/rootfs" -c . | docker import --change 'CMD ["/bin/sh"]' - "$IMAGE" >/dev/null
  rm -rf "$work"
}

registry_up() {
  curl -s --max-time 2 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/v2/" 2>/dev/null \
    | grep -q 401
}

start_registry() {
  if ! registry_up; then
    command -v docker-registry >/dev/null 2>&1 && command -v htpasswd >/dev/null 2>&1 \
      || apt_install docker-registry apache2-utils
    mkdir -p "$RDIR/data"
    htpasswd -Bbc "$RDIR/htpasswd" "$RUSER" "$RPASS" >/dev/null 2>&1
    cat >"$RDIR/config.yml" <<EOF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $RDIR/data
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$PORT
auth:
  htpasswd:
    realm: ledge-test
    path: $RDIR/htpasswd
EOF
    nohup /usr/bin/docker-registry serve "$RDIR/config.yml" >"$RDIR/registry.log" 2>&1 </dev/null &
    echo $! >"$RDIR/registry.pid"
    local i
    for i in $(seq 1 40); do registry_up && break; sleep 0.25; done
    registry_up || { echo "test-images: registry did not start" >&2; cat "$RDIR/registry.log" >&2; return 1; }
  fi
  build_images
  # Push once per registry lifetime; a second push is cheap anyway (layers exist).
  local cfg
  cfg="$(mktemp -d)"
  echo "$RPASS" | DOCKER_CONFIG="$cfg" docker login -u "$RUSER" --password-stdin "127.0.0.1:$PORT" >/dev/null 2>&1
  docker tag "$IMAGE" "$REG_IMAGE"
  DOCKER_CONFIG="$cfg" docker push "$REG_IMAGE" >/dev/null
  rm -rf "$cfg"
  # Untag locally so tests really pull it.
  docker rmi "$REG_IMAGE" >/dev/null 2>&1 || true
}

stop_registry() {
  if [[ -f "$RDIR/registry.pid" ]]; then
    kill "$(cat "$RDIR/registry.pid")" 2>/dev/null || true
    rm -f "$RDIR/registry.pid"
  fi
}

print_vars() {
  echo "TEST_IMAGE=$IMAGE"
  if [[ "${1:-}" == registry ]]; then
    echo "REGISTRY=127.0.0.1:$PORT"
    echo "REGISTRY_IMAGE=$REG_IMAGE"
    echo "REGISTRY_USER=$RUSER"
    echo "REGISTRY_PASS=$RPASS"
  fi
}

case "${1:-all}" in
  images) build_images; print_vars ;;
  registry | all) build_images; start_registry; print_vars registry ;;
  registry-stop) stop_registry ;;
  *) echo "usage: $0 [images|registry|all|registry-stop]" >&2; exit 2 ;;
esac
