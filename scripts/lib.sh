#!/usr/bin/env bash
# Small helpers shared by run.sh, test.sh and scripts/pg.sh. Meant to be sourced.

log() { printf '%s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

is_root() { [[ $(id -u) -eq 0 ]]; }

# Run a command as root: directly when we are root, through sudo otherwise.
as_root() {
    if is_root; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        die "need root to run '$*' (and sudo is not installed)"
    fi
}

# apt-get without questions: keep local config files (e.g. our createcluster.conf)
# and skip recommends, so an install never stops at a prompt in CI (no stdin there).
apt_get() {
    as_root env DEBIAN_FRONTEND=noninteractive UCF_FORCE_CONFFOLD=1 \
        apt-get -y -q \
        -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
        --no-install-recommends "$@"
}

# apt-get update only once per script run (it is the slow part).
APT_UPDATED=${APT_UPDATED:-0}
apt_install() {
    if [[ $APT_UPDATED != 1 ]]; then
        apt_get update
        APT_UPDATED=1
    fi
    apt_get install "$@"
}

# Install a Debian package when the command it provides is missing.
ensure_command() {
    local cmd=$1 pkg=${2:-$1}
    command -v "$cmd" >/dev/null 2>&1 && return 0
    log "==> '$cmd' not found; installing Debian package $pkg"
    apt_install "$pkg"
}
