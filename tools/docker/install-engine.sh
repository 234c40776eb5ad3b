#!/usr/bin/env bash
# Step 1: install Debian's Docker engine (docker.io: dockerd, containerd, runc, client) and
# debootstrap when they are missing. Idempotent; needs root; never reads stdin.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

missing=()
command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
# A docker client alone (without dockerd) is not enough; docker.io brings both.
command -v docker >/dev/null 2>&1 || missing+=(docker.io)
command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)

if [ "${#missing[@]}" -eq 0 ]; then
    log "dockerd, docker and debootstrap are installed"
    exit 0
fi

require_root
mapfile -t packages < <(printf '%s\n' "${missing[@]}" | sort -u)
start=$(now)
log "installing ${packages[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null </dev/null
apt-get install -y -q --no-install-recommends "${packages[@]}" >/dev/null </dev/null
log "installed ${packages[*]} in $(elapsed "$start") s"
