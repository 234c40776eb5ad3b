#!/usr/bin/env bash
# The whole test suite: set up (once) a virtual environment with the test extras, start the Docker
# engine and build the connector image when this machine can (root with apt, or DOCKER_HOST already
# up; SOURCE_MARKETO_DOCKER=0 skips it), then run every test. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
SOURCE_MARKETO_EXTRAS="${SOURCE_MARKETO_EXTRAS:-tests}"
source scripts/setup-venv.sh
if [ "${SOURCE_MARKETO_DOCKER:-1}" != "0" ] && [ -x tools/docker/build-image.sh ]; then
  if [ "$(id -u)" = "0" ] || [ -n "${DOCKER_HOST:-}" ]; then
    # An assignment keeps the script's exit status (eval of a failed substitution would not): a
    # failed build stops here. Built once: the Docker tests use this image and must not skip.
    engine_env="$(tools/docker/build-image.sh)"
    eval "$engine_env"
    export SOURCE_MARKETO_DOCKER_NO_BUILD=1 SOURCE_MARKETO_DOCKER_REQUIRED=1
  else
    echo "Not root and no DOCKER_HOST: the Docker image tests will be skipped." >&2
  fi
fi
exec "$VENV/bin/python" -m pytest -q "$@"
