#!/usr/bin/env bash
# One command from a fresh Debian 12 machine (as root, no stdin) to a built connector image:
#   1. install docker.io and debootstrap if missing        (install-engine.sh; skipped when an
#      engine already answers, at DOCKER_HOST or on the private socket: debootstrap then comes
#      only if the base needs it)
#   2. start the private engine, or reuse one that answers   (start-engine.sh)
#   3. the local base image: in the engine, cached, or built (build-base.sh)
#   4. docker build of the connector image on that base
# Idempotent: run it again and it reuses everything (a warm run takes seconds).
#
# stdout: `export DOCKER_HOST=...` (for `eval "$(tools/docker/build-image.sh)"`); progress and the
# timing of each step go to stderr. The image is tagged $SOURCE_MARKETO_IMAGE (source-marketo:dev).
# An engine already answering at $DOCKER_HOST is used instead of starting the private one.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

total=$(now)
timings=()

step=$(now)
if [ -n "${DOCKER_HOST:-}" ] && engine_answers "$DOCKER_HOST"; then
    log "using the engine that answers at DOCKER_HOST=$DOCKER_HOST"
    external_engine=1
elif engine_answers "$ENGINE_HOST"; then
    log "using the private engine already answering on $ENGINE_SOCKET"
    DOCKER_HOST="$ENGINE_HOST"
    external_engine=1
else
    "$TOOLS_DIR/install-engine.sh"
    external_engine=0
fi
timings+=("install packages: $(elapsed "$step") s")

step=$(now)
if [ "$external_engine" -eq 0 ]; then
    engine_env="$("$TOOLS_DIR/start-engine.sh")"  # an assignment keeps the exit status; eval alone would not
    eval "$engine_env"
fi
export DOCKER_HOST
timings+=("engine: $(elapsed "$step") s")

step=$(now)
base_tag="$("$TOOLS_DIR/build-base.sh")"
timings+=("base image: $(elapsed "$step") s")

step=$(now)
log "docker build -t $CONNECTOR_IMAGE on $base_tag"
quietly "docker build" docker build --network=host --build-arg "BASE_IMAGE=$base_tag" -t "$CONNECTOR_IMAGE" "$REPO_DIR" ||
    die "docker build failed (its output above)"
# Earlier builds of this connector left untagged: only this connector's, by its label.
docker image prune --force --filter "label=io.airbyte.name=airbyte/source-marketo" >/dev/null
timings+=("connector image: $(elapsed "$step") s")

size_mb=$(( $(docker image inspect --format '{{.Size}}' "$CONNECTOR_IMAGE") / 1000000 ))
log "built $CONNECTOR_IMAGE (${size_mb} MB) in $(elapsed "$total") s:"
for line in "${timings[@]}"; do
    log "  $line"
done
echo "export DOCKER_HOST=$DOCKER_HOST"
