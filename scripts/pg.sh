#!/usr/bin/env bash
# A project-local PostgreSQL 15 server, shared by run.sh (dev) and test.sh (tests).
#
#   scripts/pg.sh ensure-installed            install the server from Debian if missing
#   scripts/pg.sh start <dir> <port> [--no-fsync]
#                                             initdb <dir> on first use, start it, wait
#   scripts/pg.sh stop <dir>                  stop the server of <dir> (no-op if not running)
#   scripts/pg.sh wait-ready <port> [secs]    wait until it accepts a password login
#   scripts/pg.sh ensure-db <port> <name>     create database <name> if it is missing
#   scripts/pg.sh status <dir>
#
# Can also be sourced: it then only defines the pg_* functions.
# The server listens on 127.0.0.1 only, with its unix socket in <dir> itself, and the
# superuser "postgres" logs in over TCP with PG_PASSWORD (scram-sha-256). It is a
# loopback-only development server, so the password is a known constant.
# PostgreSQL refuses to run as root: as root we run it as the "postgres" user.

PG_LIB_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/lib.sh
source "$PG_LIB_DIR/lib.sh"

PG_MAJOR=15
PG_BIN=/usr/lib/postgresql/$PG_MAJOR/bin
PG_PASSWORD=${BOOKING_PG_PASSWORD:-booking-dev}
PG_OS_USER=postgres

# Run a PostgreSQL server tool as the user who owns the data: "postgres" when we are
# root, ourselves otherwise. From / so that postgres never sits in a cwd it cannot read.
pg_as_owner() {
    if is_root; then
        (cd / && runuser -u "$PG_OS_USER" -- "$@")
    else
        "$@"
    fi
}

pg_ensure_installed() {
    if [[ -x $PG_BIN/pg_ctl && -x $PG_BIN/initdb && -x $PG_BIN/psql ]]; then
        return 0
    fi
    log "==> PostgreSQL $PG_MAJOR not found; installing it from Debian's packages"
    # postgresql-common first: it owns createcluster.conf, and that must say
    # create_main_cluster = false before postgresql-$PG_MAJOR is configured, or its
    # postinst creates (and may start) a system "main" cluster on port 5432.
    apt_install postgresql-common
    pg_disable_main_cluster
    apt_install "postgresql-$PG_MAJOR"
    [[ -x $PG_BIN/pg_ctl ]] || die "postgresql-$PG_MAJOR installed but $PG_BIN/pg_ctl is missing"
}

# postgresql-common's configure_version() skips "pg_createcluster $VERSION main"
# when createcluster.conf has create_main_cluster = false (read with pg_conftool -b).
pg_disable_main_cluster() {
    local conf=/etc/postgresql-common/createcluster.conf
    as_root mkdir -p "$(dirname "$conf")"
    if as_root grep -Eq '^[[:space:]]*#?[[:space:]]*create_main_cluster' "$conf" 2>/dev/null; then
        as_root sed -i -E 's/^[[:space:]]*#?[[:space:]]*create_main_cluster.*/create_main_cluster = false/' "$conf"
    else
        echo 'create_main_cluster = false' | as_root tee -a "$conf" >/dev/null
    fi
}

# As root, the postgres user must be able to reach <dir>: every parent directory
# needs search (x) permission for it. Say which one blocks, rather than let initdb fail.
pg_check_access() {
    local dir=$1 d part parts
    is_root || return 0
    id -u "$PG_OS_USER" >/dev/null 2>&1 || die "user '$PG_OS_USER' does not exist (is postgresql-$PG_MAJOR installed?)"
    # Walk down from / so that the first failure names the directory that blocks.
    d=
    IFS=/ read -ra parts <<<"${dir#/}"
    for part in "${parts[@]}"; do
        d+=/$part
        [[ $d == "$dir" ]] && break
        if ! runuser -u "$PG_OS_USER" -- test -x "$d"; then
            die "PostgreSQL runs as user '$PG_OS_USER', which cannot enter $d ($(stat -c '%A %U:%G' "$d")).
  Its data directory $dir must be reachable by that user: give it search permission
  (e.g. chmod o+x $d), clone the project elsewhere, or set BOOKING_PG_ROOT to a
  directory that '$PG_OS_USER' can reach."
        fi
    done
}

# Where the data directories live: BOOKING_PG_ROOT if set, else .pg/ inside the project when
# the postgres user can reach it, else a folder under /tmp named after the project's path
# (a clone under a private home directory still gets a server of its own).
pg_root() {
    local project=$1
    if [[ -n ${BOOKING_PG_ROOT:-} ]]; then
        echo "$BOOKING_PG_ROOT"
    elif ! is_root || runuser -u "$PG_OS_USER" -- test -x "$project" 2>/dev/null; then
        echo "$project/.pg"
    else
        echo "/tmp/booking-pg-$(printf '%s' "$project" | cksum | cut -d' ' -f1)"
    fi
}

pg_is_running() {
    local dir
    dir=$(cd "$1" 2>/dev/null && pwd) || return 1
    [[ -f $dir/postmaster.pid ]] || return 1
    pg_as_owner "$PG_BIN/pg_ctl" -D "$dir" status >/dev/null 2>&1
}

pg_init() {
    local dir=$1 pwfile out
    log "==> initdb $dir"
    # initdb wants an empty directory, so the password file lives outside it.
    pwfile=$(mktemp)
    printf '%s\n' "$PG_PASSWORD" >"$pwfile"
    is_root && chown "$PG_OS_USER" "$pwfile"
    if ! out=$(pg_as_owner "$PG_BIN/initdb" -D "$dir" -U postgres --pwfile="$pwfile" \
        --auth-local=peer --auth-host=scram-sha-256 \
        -E UTF8 --locale=C.UTF-8 --no-instructions 2>&1); then
        rm -f "$pwfile"
        printf '%s\n' "$out" >&2
        die "initdb failed for $dir"
    fi
    rm -f "$pwfile"
    # Our settings live in booking.conf, rewritten at every start (see pg_write_conf).
    echo "include_if_exists = 'booking.conf'" | pg_as_owner tee -a "$dir/postgresql.conf" >/dev/null
}

# Settings that may change between starts (port, fsync) are rewritten each time.
pg_write_conf() {
    local dir=$1 port=$2 fsync=$3
    {
        echo "# Written by scripts/pg.sh at every start: change the script, not this file."
        echo "listen_addresses = '127.0.0.1'"
        echo "port = $port"
        echo "unix_socket_directories = '${dir//\'/\'\'}'"
        echo "max_connections = 200"
        echo "shared_buffers = 256MB"
        echo "password_encryption = 'scram-sha-256'"
        if [[ $fsync == off ]]; then
            # Throw-away test data: durability across an OS crash buys nothing.
            echo "fsync = off"
            echo "synchronous_commit = off"
            echo "full_page_writes = off"
        fi
    } | pg_as_owner tee "$dir/booking.conf" >/dev/null
}

pg_start() {
    local dir=$1 port=$2 fsync=on
    [[ ${3:-} == --no-fsync ]] && fsync=off
    [[ $port =~ ^[0-9]+$ ]] || die "pg start: bad port '$port'"
    [[ -x $PG_BIN/pg_ctl ]] || die "PostgreSQL $PG_MAJOR is not installed (run: scripts/pg.sh ensure-installed)"

    # umask 022: the postgres user must be able to traverse a freshly made .pg/.
    (umask 022 && mkdir -p "$dir")
    dir=$(cd "$dir" && pwd)
    # The socket path (<dir>/.s.PGSQL.<port>) must fit in sun_path (107 bytes).
    local sock="$dir/.s.PGSQL.$port"
    (( ${#sock} <= 100 )) || die "unix socket path too long (${#sock} chars): $sock; use a shorter project path or set BOOKING_PG_ROOT"
    pg_check_access "$dir"
    if is_root; then
        chown "$PG_OS_USER:$PG_OS_USER" "$dir"
    fi

    if [[ ! -s $dir/PG_VERSION ]]; then
        [[ -z $(ls -A "$dir") ]] || die "$dir is not empty but holds no PostgreSQL data; remove it and retry"
        pg_init "$dir"
    fi
    pg_write_conf "$dir" "$port" "$fsync"

    if pg_is_running "$dir"; then
        log "==> PostgreSQL for $dir is already running; reusing it"
    else
        log "==> starting PostgreSQL on 127.0.0.1:$port (data: $dir)"
        if ! pg_as_owner "$PG_BIN/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t 60 start >/dev/null; then
            log "--- last lines of $dir/server.log:"
            tail -n 20 "$dir/server.log" >&2 || true
            die "PostgreSQL did not start (is port $port already in use? see 'ss -ltnp')"
        fi
    fi
    pg_wait_ready "$port" 60
}

pg_stop() {
    local dir=$1 pid
    [[ -d $dir ]] || return 0
    dir=$(cd "$dir" && pwd)
    [[ -f $dir/postmaster.pid ]] || return 0
    if pg_is_running "$dir"; then
        log "==> stopping PostgreSQL ($dir)"
        pg_as_owner "$PG_BIN/pg_ctl" -D "$dir" -m fast -w -t 60 stop >/dev/null ||
            pg_as_owner "$PG_BIN/pg_ctl" -D "$dir" -m immediate -w -t 30 stop >/dev/null || true
    fi
    # Last resort: the postmaster of this data directory, by the PID it recorded.
    if [[ -f $dir/postmaster.pid ]]; then
        pid=$(head -n 1 "$dir/postmaster.pid" 2>/dev/null || true)
        if [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null &&
            [[ $(readlink "/proc/$pid/exe" 2>/dev/null) == "$PG_BIN/postgres" ]]; then
            log "==> PostgreSQL ($dir) did not stop; killing postmaster $pid"
            kill -KILL "$pid" 2>/dev/null || true
        fi
    fi
}

# Ready means: answers on 127.0.0.1:<port> and accepts the password login.
pg_wait_ready() {
    local port=$1 timeout=${2:-60} deadline
    deadline=$((SECONDS + timeout))
    until "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$port" -t 2; do
        (( SECONDS < deadline )) || die "PostgreSQL on 127.0.0.1:$port not ready after ${timeout}s"
        sleep 0.5
    done
    PGPASSWORD=$PG_PASSWORD PGCONNECT_TIMEOUT=5 "$PG_BIN/psql" -X -q -w -h 127.0.0.1 -p "$port" \
        -U postgres -d postgres -tAc 'select 1' >/dev/null ||
        die "PostgreSQL on 127.0.0.1:$port answers but refuses the postgres password login
  (was it started with another port by another data directory?)"
}

pg_ensure_db() {
    local port=$1 name=$2 exists
    exists=$(PGPASSWORD=$PG_PASSWORD "$PG_BIN/psql" -X -w -h 127.0.0.1 -p "$port" -U postgres -d postgres \
        -tAc "select 1 from pg_database where datname = '${name//\'/\'\'}'")
    if [[ $exists != 1 ]]; then
        log "==> creating database $name"
        PGPASSWORD=$PG_PASSWORD "$PG_BIN/createdb" -w -h 127.0.0.1 -p "$port" -U postgres "$name"
    fi
}

pg_main() {
    local cmd=${1:-}
    shift || true
    case $cmd in
        ensure-installed) pg_ensure_installed ;;
        start)      [[ $# -ge 2 ]] || die "usage: $0 start <dir> <port> [--no-fsync]"; pg_start "$@" ;;
        stop)       [[ $# -eq 1 ]] || die "usage: $0 stop <dir>"; pg_stop "$1" ;;
        wait-ready) [[ $# -ge 1 ]] || die "usage: $0 wait-ready <port> [seconds]"; pg_wait_ready "$@" ;;
        ensure-db)  [[ $# -eq 2 ]] || die "usage: $0 ensure-db <port> <name>"; pg_ensure_db "$@" ;;
        status)     [[ $# -eq 1 ]] || die "usage: $0 status <dir>"
                    if pg_is_running "$1"; then echo running; else echo stopped; return 3; fi ;;
        *) sed -n '2,11p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; return 2 ;;
    esac
}

# Executed (not sourced): run a subcommand.
if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
    set -euo pipefail
    pg_main "$@"
fi
