#!/usr/bin/env bash
# Step 3: make the local stand-in for Airbyte's Python connector base image available in the
# engine at DOCKER_HOST, and print its tag on stdout.
#
# No image registry is reachable here, so the base is built from Debian packages: a bookworm
# minbase rootfs (debootstrap, from the machine's own apt mirror) with python3, pip and venv,
# the machine's extra CA certificates, and user/group airbyte (1000) owning /airbyte, as
# Airbyte's base image has. It is for local and CI builds only: it carries this machine's CA
# certificates, so never push it or an image built on it.
#
# Order of preference: the image is already in the engine > `docker load` of the cached tarball
# > debootstrap + `docker import` (then `docker save` into the cache). The tag carries a hash of
# this script and of the CA certificates, so a changed recipe or CA builds a new base.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

SUITE=bookworm
PACKAGES=python3,python3-pip,python3-venv,ca-certificates
CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt

[ -n "${DOCKER_HOST:-}" ] || die "DOCKER_HOST is not set: eval \"\$(tools/docker/start-engine.sh)\" first"
engine_answers "$DOCKER_HOST" || die "no Docker engine answers at $DOCKER_HOST"

recipe_hash="$(
    {
        cat "$0"
        for crt in /usr/local/share/ca-certificates/*.crt; do
            if [ -f "$crt" ]; then cat "$crt"; fi
        done
    } | sha256sum | cut -c1-12
)"
BASE_TAG="${SOURCE_MARKETO_BASE_TAG:-source-marketo-base:$SUITE-$recipe_hash}"
CACHE_FILE="$CACHE_DIR/$(printf '%s' "$BASE_TAG" | tr ':/' '__').tar"

# Base images of older recipes are dead weight in the engine.
remove_stale_tags() {
    local tag
    for tag in $(docker image ls --format '{{.Repository}}:{{.Tag}}' "${BASE_TAG%%:*}"); do
        if [ "$tag" != "$BASE_TAG" ] && docker image rm "$tag" >/dev/null 2>&1; then
            log "removed stale $tag"
        fi
    done
}

if docker image inspect "$BASE_TAG" >/dev/null 2>&1; then
    log "base image $BASE_TAG is in the engine"
    remove_stale_tags
    echo "$BASE_TAG"
    exit 0
fi

if [ -s "$CACHE_FILE" ]; then
    start=$(now)
    if docker load --quiet --input "$CACHE_FILE" >/dev/null && docker image inspect "$BASE_TAG" >/dev/null 2>&1; then
        log "loaded base image $BASE_TAG from $CACHE_FILE in $(elapsed "$start") s"
        remove_stale_tags
        echo "$BASE_TAG"
        exit 0
    fi
    log "cached $CACHE_FILE did not load: rebuilding it"
    rm -f "$CACHE_FILE"
fi

# The mirror is the machine's own: the first URI of its apt sources that serves $SUITE itself
# (deb822 .sources stanzas first, then the one-line sources.list format).
apt_mirror() {
    local f
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        awk -v suite="$SUITE" '
            function flush() {
                if (uris != "" && types ~ /(^| )deb( |$)/ && (" " suites " ") ~ (" " suite " ")) { split(uris, u, " "); print u[1]; found = 1; exit }
                uris = ""; suites = ""; types = ""
            }
            /^[[:space:]]*$/ { flush(); next }
            /^[[:space:]]*#/ { next }
            /^URIs:/   { sub(/^URIs:[[:space:]]*/, "");   uris = $0 }
            /^Suites:/ { sub(/^Suites:[[:space:]]*/, ""); suites = $0 }
            /^Types:/  { sub(/^Types:[[:space:]]*/, "");  types = $0 }
            END { if (!found) flush() }
        ' "$f"
    done
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -f "$f" ] || continue
        awk -v suite="$SUITE" '
            $1 == "deb" {
                i = 2
                if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
                if ($(i + 1) == suite) { print $i; exit }
            }' "$f"
    done
}
MIRROR="${SOURCE_MARKETO_DEBIAN_MIRROR:-$(apt_mirror | head -n 1)}"
[ -n "$MIRROR" ] || die "no apt source for $SUITE found in /etc/apt (set SOURCE_MARKETO_DEBIAN_MIRROR)"
require_root
"$TOOLS_DIR/install-engine.sh" debootstrap

mkdir -p "$ENGINE_DIR" "$CACHE_DIR"
rootfs="$(mktemp -d "$ENGINE_DIR/rootfs.XXXXXX")"
trap 'rm -rf "$rootfs"' EXIT

# Commands inside the rootfs get no TMPDIR: the caller's is a host path that does not exist there,
# and the packages' scripts (update-ca-certificates: `mktemp -p "$TMPDIR"`) would fail on it.
in_rootfs() { env -u TMPDIR chroot "$rootfs" "$@"; }

start=$(now)
log "debootstrap $SUITE ($PACKAGES) from the machine's apt mirror into $rootfs"
# debootstrap configures the packages inside the rootfs (ca-certificates runs update-ca-certificates): no TMPDIR either.
quietly debootstrap env -u TMPDIR debootstrap --variant=minbase --include="$PACKAGES" "$SUITE" "$rootfs" "$MIRROR" ||
    die "debootstrap failed (its output above)"
log "debootstrap done in $(elapsed "$start") s"

step=$(now)
# `pip install .` system-wide, as in Airbyte's base (pip then installs to /usr/local).
rm -f "$rootfs"/usr/lib/python3*/EXTERNALLY-MANAGED
ln -sf python3 "$rootfs/usr/bin/python"
if [ -e "$rootfs/usr/share/zoneinfo/Etc/UTC" ]; then
    ln -snf /usr/share/zoneinfo/Etc/UTC "$rootfs/etc/localtime"
fi
# Downloads go through this machine's TLS-intercepting proxy: trust its CA inside the image too.
for crt in /usr/local/share/ca-certificates/*.crt; do
    if [ -f "$crt" ]; then cp "$crt" "$rootfs/usr/local/share/ca-certificates/"; fi
done
quietly "update-ca-certificates in the rootfs" in_rootfs update-ca-certificates || die "update-ca-certificates failed in the rootfs"
# User and group airbyte (1000), owning /airbyte, like Airbyte's base (no home dir, no login).
quietly "groupadd airbyte" in_rootfs groupadd --gid 1000 airbyte || die "groupadd failed in the rootfs"
quietly "useradd airbyte" in_rootfs useradd --uid 1000 --gid 1000 --no-create-home \
    --home-dir /home/airbyte --shell /usr/sbin/nologin airbyte || die "useradd failed in the rootfs"
install -d -m 755 -o 1000 -g 1000 "$rootfs/airbyte"
# Smaller image: no package downloads or lists.
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* "$rootfs"/tmp/*
log "rootfs customised in $(elapsed "$step") s"

step=$(now)
tar -C "$rootfs" --numeric-owner -cf - . | docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' \
    --change "ENV PIP_CERT=$CA_BUNDLE" \
    --change "ENV REQUESTS_CA_BUNDLE=$CA_BUNDLE" \
    --change "ENV SSL_CERT_FILE=$CA_BUNDLE" \
    --change 'ENV PIP_DISABLE_PIP_VERSION_CHECK=1' \
    --change 'ENV PIP_ROOT_USER_ACTION=ignore' \
    --change "LABEL io.airbyte.base_image=$BASE_TAG" \
    --change 'WORKDIR /airbyte' \
    --change 'CMD ["/bin/bash"]' \
    - "$BASE_TAG" >/dev/null
log "imported $BASE_TAG in $(elapsed "$step") s"

step=$(now)
docker save --output "$CACHE_FILE.partial" "$BASE_TAG"
mv "$CACHE_FILE.partial" "$CACHE_FILE"
# Tarballs of older recipes are dead weight.
for old in "$CACHE_DIR"/source-marketo-base_*.tar; do
    if [ -f "$old" ] && [ "$old" != "$CACHE_FILE" ]; then
        rm -f "$old"
        log "removed stale $old"
    fi
done
log "cached $BASE_TAG as $CACHE_FILE ($(du -m "$CACHE_FILE" | cut -f1) MB) in $(elapsed "$step") s"
remove_stale_tags
log "base image built in $(elapsed "$start") s"
echo "$BASE_TAG"
