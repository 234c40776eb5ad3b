#!/usr/bin/env bash
# The whole test suite: set up (once) a virtual environment with the test extras, start the Docker
# engine and build the connector image when this machine can (root with apt, or DOCKER_HOST already
# up; SOURCE_MARKETO_DOCKER=0 skips it), then run every test. Extra arguments go to pytest.
# An engine this script started is stopped when the tests end (pass or fail, or Ctrl-C); one that
# was already running is left running.
set -euo pipefail
cd "$(dirname "$0")/.."
SOURCE_MARKETO_EXTRAS="${SOURCE_MARKETO_EXTRAS:-tests}"
source scripts/setup-venv.sh

stop_started_engine() {
  echo "[test.sh] stopping the Docker engine this run started (tools/docker/stop-engine.sh)" >&2
  tools/docker/stop-engine.sh || echo "[test.sh] tools/docker/stop-engine.sh failed: the engine may still run" >&2
}

if [ "${SOURCE_MARKETO_DOCKER:-1}" != "0" ] && [ -x tools/docker/build-image.sh ]; then
  if [ "$(id -u)" = "0" ] || [ -n "${DOCKER_HOST:-}" ]; then
    # Whether an engine answers already (at DOCKER_HOST, or the private one of tools/docker):
    # build-image.sh uses it if so, and then it is not this script's to stop.
    . tools/docker/lib.sh
    if { [ -n "${DOCKER_HOST:-}" ] && engine_answers "$DOCKER_HOST"; } || engine_answers "$ENGINE_HOST"; then
      echo "[test.sh] using the Docker engine that was already running; it stays up after the tests" >&2
    else
      trap stop_started_engine EXIT
      trap 'exit 130' INT
      trap 'exit 143' TERM
    fi
    # An assignment keeps the script's exit status (eval of a failed substitution would not): a
    # failed build stops here. Built once: the Docker tests use this image and must not skip.
    engine_env="$(tools/docker/build-image.sh)"
    eval "$engine_env"
    export SOURCE_MARKETO_DOCKER_NO_BUILD=1 SOURCE_MARKETO_DOCKER_REQUIRED=1
  else
    echo "Not root and no DOCKER_HOST: the Docker image tests will be skipped." >&2
  fi
fi
# Not exec: the trap above stops the engine after pytest; pytest's exit status is this script's.
"$VENV/bin/python" -m pytest -q "$@"
