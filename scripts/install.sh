#!/usr/bin/env bash
# install.sh — install ledge as a systemd service (run on the device, as root).
#
# Usage: install.sh [--binary PATH] [--root DIR] [--no-start]
#        install.sh --uninstall [--purge] [--root DIR]
#
# Installs:
#   /usr/local/bin/ledge                  the binary (--binary, default: the ledge-*-<arch>-
#                                         unknown-linux-gnu next to this script or in ../dist)
#   /etc/ledge/config.yaml                `ledge config default` with data_dir /var/lib/ledge and
#                                         listen.mgmt_socket /run/ledge/mgmt.sock (kept if present)
#   /var/lib/ledge                        state (data_dir), mode 0700
#   /etc/systemd/system/ledge.service     from ledge.service next to this script or ../packaging/
#   /etc/profile.d/ledge.sh               LEDGE_CONFIG for the CLI in login shells
# then `systemctl daemon-reload`, `enable` and (re)start, unless --no-start.
# --uninstall stops and removes the service and the binary; --purge also removes /etc/ledge
# and /var/lib/ledge (the device's identities, certificates and queued messages).
# --root DIR (or DESTDIR) installs into DIR instead of / and never calls systemctl: for
# packaging and for tests.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="${DESTDIR:-/}"
BINARY=""
START=1
UNINSTALL=0
PURGE=0
die() { echo "install.sh: $*" >&2; exit 1; }
say() { echo "install.sh: $*"; }

while [ $# -gt 0 ]; do
  case "$1" in
    --binary) BINARY="${2:?--binary needs a path}"; shift 2 ;;
    --root) ROOT="${2:?--root needs a directory}"; shift 2 ;;
    --no-start) START=0; shift ;;
    --uninstall) UNINSTALL=1; shift ;;
    --purge) PURGE=1; shift ;;
    -h | --help) awk 'NR > 1 && /^#/ { print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) die "unknown argument: $1 (see --help)" ;;
  esac
done
ROOT="${ROOT%/}"
BIN_DST="$ROOT/usr/local/bin/ledge"
ETC="$ROOT/etc/ledge"
CONFIG="$ETC/config.yaml"
STATE="$ROOT/var/lib/ledge"
UNIT_DST="$ROOT/etc/systemd/system/ledge.service"
PROFILE="$ROOT/etc/profile.d/ledge.sh"

# systemctl only for a real install on a running systemd.
use_systemd() { [ -z "$ROOT" ] && command -v systemctl >/dev/null && [ -d /run/systemd/system ]; }
if [ -z "$ROOT" ] && [ "$(id -u)" != 0 ]; then die "run as root (sudo $0 ...)"; fi

if [ "$UNINSTALL" = 1 ]; then
  if use_systemd; then
    systemctl disable --now ledge.service 2>/dev/null || true
  fi
  rm -f "$UNIT_DST" "$BIN_DST" "$PROFILE"
  use_systemd && systemctl daemon-reload
  if [ "$PURGE" = 1 ]; then
    rm -rf "$ETC" "$STATE"
    say "removed ledge, its configuration and its state"
  else
    say "removed ledge; kept $ETC and $STATE (--purge removes them)"
  fi
  exit 0
fi

# --- what to install -----------------------------------------------------------------------
case "$(uname -m)" in
  aarch64 | arm64) ARCH=aarch64 ;;
  x86_64 | amd64) ARCH=x86_64 ;;
  *) ARCH="$(uname -m)" ;;
esac
if [ -z "$BINARY" ]; then
  BINARY="$(ls -t "$HERE"/ledge-*-"$ARCH"-unknown-linux-gnu "$HERE"/../dist/ledge-*-"$ARCH"-unknown-linux-gnu \
    2>/dev/null | head -1 || true)"
  [ -n "$BINARY" ] || die "no ledge-*-$ARCH-unknown-linux-gnu next to $0 or in ../dist; pass --binary PATH"
fi
[ -f "$BINARY" ] || die "$BINARY does not exist"
UNIT_SRC=""
for f in "$HERE/ledge.service" "$HERE/../packaging/ledge.service"; do
  [ -f "$f" ] && { UNIT_SRC="$f"; break; }
done
[ -n "$UNIT_SRC" ] || die "ledge.service not found next to $0 or in ../packaging/"

chmod 0755 "$BINARY" 2>/dev/null || true
VERSION_LINE="$("$BINARY" version 2>&1)" || die "$BINARY does not run here: $VERSION_LINE"
say "installing $VERSION_LINE"

# --- binary (replaced atomically: a running service keeps its old inode) -------------------
install -d -m 0755 "$(dirname "$BIN_DST")"
install -m 0755 "$BINARY" "$BIN_DST.new"
mv -f "$BIN_DST.new" "$BIN_DST"

# --- state and configuration ---------------------------------------------------------------
install -d -m 0700 "$STATE"
install -d -m 0755 "$ETC"
if [ -f "$CONFIG" ]; then
  say "keeping existing $CONFIG"
else
  tmp="$CONFIG.new"
  "$BIN_DST" config default >"$tmp"
  sed -i -E \
    -e 's|^data_dir:[[:space:]]*[^#[:space:]]+|data_dir: /var/lib/ledge|' \
    -e 's|^([[:space:]]+)mgmt_socket:[[:space:]]*[^#[:space:]]+[[:space:]]*(#.*)?$|\1mgmt_socket: /run/ledge/mgmt.sock  # systemd RuntimeDirectory|' \
    "$tmp"
  grep -qE '^data_dir: /var/lib/ledge' "$tmp" && grep -qE '^[[:space:]]+mgmt_socket: /run/ledge/mgmt.sock' "$tmp" ||
    { rm -f "$tmp"; die "'ledge config default' has no data_dir/listen.mgmt_socket lines to set; config not written"; }
  "$BIN_DST" config check --config "$tmp" >/dev/null ||
    { rm -f "$tmp"; die "the generated config does not pass 'ledge config check'"; }
  chmod 0640 "$tmp"
  mv -f "$tmp" "$CONFIG"
  say "wrote $CONFIG"
fi

# --- service -------------------------------------------------------------------------------
install -d -m 0755 "$(dirname "$UNIT_DST")" "$(dirname "$PROFILE")"
install -m 0644 "$UNIT_SRC" "$UNIT_DST"
printf '# ledge CLI: which config (and so which management socket) to use\nexport LEDGE_CONFIG=/etc/ledge/config.yaml\n' >"$PROFILE"
chmod 0644 "$PROFILE"

if use_systemd; then
  systemctl daemon-reload
  if [ "$START" = 1 ]; then
    systemctl enable ledge.service
    systemctl restart ledge.service
    sleep 2
    systemctl --no-pager --lines=5 status ledge.service || die "ledge.service did not start: journalctl -u ledge"
  else
    systemctl enable ledge.service
    say "enabled; start it with: systemctl start ledge"
  fi
else
  say "systemctl not used (--root given or no running systemd); unit installed at $UNIT_DST"
fi
say "done. CLI: sudo LEDGE_CONFIG=/etc/ledge/config.yaml ledge list   (logs: journalctl -u ledge -f)"
