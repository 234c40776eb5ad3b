#!/usr/bin/env bash
# Step 2: start a private Docker engine in the background, on a unix socket only and with no
# network set-up of its own (no iptables, no bridge: containers use --network=host), then wait
# until it answers. Idempotent: an engine already answering on the socket is reused.
#
# stdout: one line, `export DOCKER_HOST=unix://...`, so `eval "$(tools/docker/start-engine.sh)"`
# points the docker client at it. Everything else goes to stderr.
# Stop it with tools/docker/stop-engine.sh.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

if engine_answers "$ENGINE_HOST"; then
    log "engine already answering on $ENGINE_SOCKET"
    echo "export DOCKER_HOST=$ENGINE_HOST"
    exit 0
fi

require_root
command -v dockerd >/dev/null 2>&1 || die "dockerd is not installed: run tools/docker/install-engine.sh"

# A daemon whose pid is recorded but that does not answer is stuck or dying: stop it cleanly
# (this also unmounts what it left behind) before starting a new one.
if [ -s "$ENGINE_PIDFILE" ]; then
    log "pidfile present but the engine does not answer: cleaning up first"
    "$TOOLS_DIR/stop-engine.sh"
fi

mkdir -p "$ENGINE_DIR/data" "$ENGINE_DIR/exec"
rm -f "$ENGINE_SOCKET"
start=$(now)
# setsid + no stdin/stdout: the daemon outlives this script and its caller's terminal or job.
setsid dockerd \
    --host="$ENGINE_HOST" \
    --data-root="$ENGINE_DIR/data" \
    --exec-root="$ENGINE_DIR/exec" \
    --pidfile="$ENGINE_PIDFILE" \
    --iptables=false \
    --ip6tables=false \
    --bridge=none \
    </dev/null >>"$ENGINE_LOG" 2>&1 &
pid=$!

deadline=$(( $(date +%s) + ${SOURCE_MARKETO_ENGINE_START_TIMEOUT:-60} ))
until engine_answers "$ENGINE_HOST"; do
    if ! running "$pid"; then
        tail -n 30 "$ENGINE_LOG" >&2 || true
        die "dockerd exited during start-up (log: $ENGINE_LOG)"
    fi
    if [ "$(date +%s)" -ge "$deadline" ]; then
        tail -n 30 "$ENGINE_LOG" >&2 || true
        die "dockerd did not answer within ${SOURCE_MARKETO_ENGINE_START_TIMEOUT:-60} s (log: $ENGINE_LOG)"
    fi
    sleep 0.2
done
log "engine $(DOCKER_HOST="$ENGINE_HOST" docker version --format '{{.Server.Version}}') (pid $pid) answering on $ENGINE_SOCKET after $(elapsed "$start") s"
echo "export DOCKER_HOST=$ENGINE_HOST"
