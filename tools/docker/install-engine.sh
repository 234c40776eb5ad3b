#!/usr/bin/env bash
# Step 1: install Debian's Docker engine (docker.io: dockerd, containerd, runc, client) and
# debootstrap when they are missing. Idempotent; needs root only to install; never reads stdin.
#   install-engine.sh [docker] [debootstrap]     (default: both)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# What to install: `docker` (Debian's docker.io: dockerd, containerd, runc and a client) and/or
# `debootstrap`; both when no argument is given.
wanted=("$@")
[ "${#wanted[@]}" -gt 0 ] || wanted=(docker debootstrap)

missing=()
for what in "${wanted[@]}"; do
    case "$what" in
        docker)
            # A docker client alone (without dockerd) is not enough; docker.io brings both.
            if ! command -v dockerd >/dev/null 2>&1 || ! command -v docker >/dev/null 2>&1; then
                missing+=(docker.io)
            fi
            ;;
        debootstrap)
            command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
            ;;
        *) die "unknown component: $what (docker, debootstrap)" ;;
    esac
done

if [ "${#missing[@]}" -eq 0 ]; then
    log "installed already: ${wanted[*]}"
    exit 0
fi

require_root
mapfile -t packages < <(printf '%s\n' "${missing[@]}" | sort -u)
start=$(now)
log "installing ${packages[*]}"
export DEBIAN_FRONTEND=noninteractive
quietly "apt-get update" apt-get update -q </dev/null || die "apt-get update failed (its output above)"
quietly "apt-get install" apt-get install -y -q --no-install-recommends "${packages[@]}" </dev/null ||
    die "installing ${packages[*]} failed (its output above)"
log "installed ${packages[*]} in $(elapsed "$start") s"
