#!/usr/bin/env bash
# cgroup-run.sh — run a command inside a memory-limited cgroup (no swap), as a Raspberry Pi
# class device would, then report the peak memory charged and OOM kills.
#
# Usage: scripts/cgroup-run.sh [--limit 128M] -- COMMAND [ARGS]...
#   e.g. scripts/cgroup-run.sh --limit 128M -- deno run -A \
#          --v8-flags=--max-old-space-size=64,--max-semi-space-size=1 src/main.ts run --config ledge.yaml
#
# Needs root and a writable cgroup: the v2 memory controller, or else the v1 memory
# hierarchy. The cgroup is created under this shell's own cgroup (so outer limits still
# apply) and removed when the command exits. Exit status is the command's.
set -euo pipefail

limit=128M
while [[ $# -gt 0 ]]; do
  case "$1" in
    --limit) limit="$2"; shift 2 ;;
    --) shift; break ;;
    *) echo "usage: $0 [--limit 128M] -- COMMAND [ARGS]..." >&2; exit 2 ;;
  esac
done
[[ $# -gt 0 ]] || { echo "usage: $0 [--limit 128M] -- COMMAND [ARGS]..." >&2; exit 2; }

name="ledge-cgroup-run-$$"
# mountinfo: optional fields vary in number; the filesystem type follows the "-" field.
mount_of() { # TYPE [SUPER-OPTION]
  awk -v t="$1" -v o="${2:-}" '{
    for (i = 7; i <= NF; i++) if ($i == "-") break
    if ($(i + 1) == t && (o == "" || $(i + 3) ~ ("(^|,)" o "(,|$)"))) { print $5; exit }
  }' /proc/self/mountinfo
}
v2_mount=$(mount_of cgroup2)
v1_mount=$(mount_of cgroup memory)
dir=""
version=""
if [[ -n "$v2_mount" ]]; then
  own=$(awk -F: '$1 == "0" { print $3 }' /proc/self/cgroup)
  parent="$v2_mount$own"
  if grep -qw memory "$parent/cgroup.controllers" 2>/dev/null; then
    grep -qw memory "$parent/cgroup.subtree_control" ||
      echo +memory > "$parent/cgroup.subtree_control" 2>/dev/null || true
    if grep -qw memory "$parent/cgroup.subtree_control" && mkdir "$parent/$name" 2>/dev/null; then
      dir="$parent/$name"
      version=2
      echo "$limit" > "$dir/memory.max"
      [[ -e "$dir/memory.swap.max" ]] && echo 0 > "$dir/memory.swap.max"
    fi
  fi
fi
if [[ -z "$dir" && -n "$v1_mount" ]]; then
  own=$(awk -F: '$2 ~ /(^|,)memory(,|$)/ { print $3 }' /proc/self/cgroup)
  if mkdir "$v1_mount$own/$name" 2>/dev/null; then
    dir="$v1_mount$own/$name"
    version=1
    echo "$limit" > "$dir/memory.limit_in_bytes"
    [[ -e "$dir/memory.memsw.limit_in_bytes" ]] && echo "$limit" > "$dir/memory.memsw.limit_in_bytes"
  fi
fi
[[ -n "$dir" ]] || { echo "$0: no writable memory cgroup (v2 or v1) here" >&2; exit 3; }

cleanup() {
  local peak oom
  if [[ $version == 2 ]]; then
    peak=$(cat "$dir/memory.peak" 2>/dev/null || echo "?")
    oom=$(awk '$1 == "oom_kill" { print $2 }' "$dir/memory.events")
  else
    peak=$(cat "$dir/memory.max_usage_in_bytes")
    oom=$(awk '$1 == "oom_kill" { print $2 }' "$dir/memory.oom_control")
  fi
  echo "cgroup-run: cgroup v$version limit $limit, peak charged ${peak} bytes, oom_kill ${oom:-?}" >&2
  for _ in $(seq 100); do rmdir "$dir" 2>/dev/null && return; sleep 0.05; done
  echo "cgroup-run: could not remove $dir" >&2
}
trap cleanup EXIT
status=0
/bin/sh -c 'echo $$ > "$0" && exec "$@"' "$dir/cgroup.procs" "$@" || status=$?
exit "$status"
