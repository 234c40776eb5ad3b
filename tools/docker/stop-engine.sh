#!/usr/bin/env bash
# Stop the engine started by start-engine.sh (by the pid in its pidfile, never by name) and
# unmount what it leaves under its work dir. Idempotent.
#   --purge   also delete the work dir (images, containers, build cache). The base image
#             tarball in the cache dir is kept.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

purge=0
for arg in "$@"; do
    case "$arg" in
        --purge) purge=1 ;;
        *) die "unknown argument: $arg" ;;
    esac
done

if [ -s "$ENGINE_PIDFILE" ]; then
    pid="$(cat "$ENGINE_PIDFILE")"
    if running "$pid" && grep -q dockerd "/proc/$pid/comm" 2>/dev/null; then
        log "stopping dockerd (pid $pid)"
        kill -TERM "$pid"
        for _ in $(seq 1 150); do
            running "$pid" || break
            sleep 0.2
        done
        if running "$pid"; then
            log "dockerd did not stop within 30 s: killing it"
            kill -KILL "$pid" 2>/dev/null || true
            sleep 0.5
        fi
    else
        log "no dockerd runs as pid $pid any more"
    fi
    rm -f "$ENGINE_PIDFILE"
else
    log "no pidfile at $ENGINE_PIDFILE: nothing to stop"
fi

# Leftover mounts (the exec-root's netns/plugins mounts, overlay layers of a killed daemon),
# deepest first.
if [ -d "$ENGINE_DIR" ]; then
    awk -v dir="$ENGINE_DIR/" 'index($2, dir) == 1 { print $2 }' /proc/self/mounts | sort -r |
        while read -r mountpoint; do
            log "unmounting $mountpoint"
            umount "$mountpoint" 2>/dev/null || umount -l "$mountpoint" || true
        done
fi
rm -f "$ENGINE_SOCKET"

if [ "$purge" -eq 1 ] && [ -d "$ENGINE_DIR" ]; then
    log "deleting $ENGINE_DIR"
    rm -rf "$ENGINE_DIR"
fi
