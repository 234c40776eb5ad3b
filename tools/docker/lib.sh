# shellcheck shell=bash disable=SC2034
# Shared settings and helpers for the tools/docker scripts. Sourced, never run.
#
# Every path can be overridden from the environment:
#   SOURCE_MARKETO_DOCKER_DIR  the local engine's work dir: socket, data, pidfile, log
#                              (default /var/lib/source-marketo-docker)
#   SOURCE_MARKETO_CACHE_DIR   where the base image tarball is kept between runs
#                              (default /var/cache/source-marketo)
#   SOURCE_MARKETO_IMAGE       the connector image's tag (default source-marketo:dev)

# Physical paths (-P): run through a symlinked tools/ folder, the build context is still the checkout.
TOOLS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
REPO_DIR="$(cd "$TOOLS_DIR/../.." && pwd -P)"

ENGINE_DIR="${SOURCE_MARKETO_DOCKER_DIR:-/var/lib/source-marketo-docker}"
ENGINE_SOCKET="$ENGINE_DIR/docker.sock"
ENGINE_HOST="unix://$ENGINE_SOCKET"
ENGINE_PIDFILE="$ENGINE_DIR/dockerd.pid"
ENGINE_LOG="$ENGINE_DIR/dockerd.log"
CACHE_DIR="${SOURCE_MARKETO_CACHE_DIR:-/var/cache/source-marketo}"
CONNECTOR_IMAGE="${SOURCE_MARKETO_IMAGE:-source-marketo:dev}"

# The classic builder: BuildKit would need the buildx plugin (Debian's docker.io has none) and
# tries to pull its frontend from a registry.
export DOCKER_BUILDKIT=0

log() { printf '[%s] %s\n' "$(basename "$0" .sh)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# quietly WHAT COMMAND...: run COMMAND with its output (stdout and stderr) in a log; on success say
# nothing, on failure print that log (its last 200 lines) to stderr, name the step, and return its status.
quietly() {
    local what="$1" output status=0
    shift
    output="$(mktemp)"
    "$@" >"$output" 2>&1 || status=$?
    if [ "$status" -ne 0 ]; then
        log "$what failed (exit $status): $*"
        tail -n 200 "$output" | sed 's/^/    /' >&2
    fi
    rm -f "$output"
    return "$status"
}

now() { date +%s.%N; }
# elapsed START -> seconds since START with one decimal
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

require_root() {
    [ "$(id -u)" -eq 0 ] || die "run as root (needs apt-get, dockerd, debootstrap)"
}

# engine_answers HOST: true when a Docker engine answers at HOST (unix://... or tcp://...).
engine_answers() {
    DOCKER_HOST="$1" timeout 10 docker version --format '{{.Server.Version}}' >/dev/null 2>&1
}

# running PID: the process exists and is not a zombie (a dead daemon can linger as one).
running() {
    kill -0 "$1" 2>/dev/null && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null
}
