#!/usr/bin/env bash
# Runs the whole system for development, from a fresh clone:
#   PostgreSQL 15 in .pg/dev on 127.0.0.1:55432 (BOOKING_PG_PORT), data kept between runs,
#   Booking.Api   on http://127.0.0.1:5080,
#   Booking.Admin on http://127.0.0.1:5090.
# Stays in the foreground; Ctrl-C (or TERM, or either app exiting) stops everything.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$ROOT"
# shellcheck source=scripts/pg.sh
source scripts/pg.sh

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

PG_PORT=${BOOKING_PG_PORT:-55432}
PG_DIR=  # set once PostgreSQL is installed (pg_root asks its user)
API_URL=http://127.0.0.1:5080
ADMIN_URL=http://127.0.0.1:5090
READY_TIMEOUT=${BOOKING_READY_TIMEOUT:-120}
STOP_TIMEOUT=30

CHILD_PIDS=()
PG_STARTED=0

# Stop the apps by the PIDs we started (each leads its own process group, so the app
# that `dotnet run` launched gets the signal too): TERM, up to STOP_TIMEOUT s, then KILL.
# Then PostgreSQL.
# shellcheck disable=SC2317  # invoked by trap
cleanup() {
    local rc=$? pid deadline alive
    trap - EXIT INT TERM
    if (( ${#CHILD_PIDS[@]} > 0 )); then
        log "==> stopping Booking.Api and Booking.Admin"
        for pid in "${CHILD_PIDS[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
        deadline=$((SECONDS + STOP_TIMEOUT))
        while :; do
            alive=()
            for pid in "${CHILD_PIDS[@]}"; do
                kill -0 -- "-$pid" 2>/dev/null && alive+=("$pid")
            done
            (( ${#alive[@]} == 0 )) && break
            if (( SECONDS >= deadline )); then
                log "==> still running after ${STOP_TIMEOUT}s, killing: ${alive[*]}"
                for pid in "${alive[@]}"; do kill -KILL -- "-$pid" 2>/dev/null || true; done
                break
            fi
            sleep 0.5
        done
        wait 2>/dev/null || true
    fi
    (( PG_STARTED )) && pg_stop "$PG_DIR"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

command -v dotnet >/dev/null 2>&1 || die "dotnet (the .NET 10 SDK) is not on PATH"
pg_ensure_installed
PG_DIR=$(pg_root "$ROOT")/dev
ensure_command curl
ensure_command setsid util-linux

# A second run.sh would fail on the ports, and its cleanup would stop the first one's
# PostgreSQL: refuse early instead.
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for url in "$API_URL" "$ADMIN_URL"; do
    port_busy "${url##*:}" && die "something already listens on $url (is ./run.sh already running?)"
done

log "==> dotnet restore"
dotnet restore Booking.sln

PG_STARTED=1
pg_start "$PG_DIR" "$PG_PORT"
# The Api creates and migrates the database itself; creating it here is harmless.
pg_ensure_db "$PG_PORT" booking

log "==> dotnet build (Release)"
dotnet build src/Booking.Api -c Release --no-restore
dotnet build src/Booking.Admin -c Release --no-restore

export ASPNETCORE_ENVIRONMENT=Development
export ConnectionStrings__Booking="Host=127.0.0.1;Port=$PG_PORT;Username=postgres;Password=$PG_PASSWORD;Database=booking;Maximum Pool Size=16"

# setsid: own process group per app, so cleanup can signal `dotnet run` and its child.
# --no-launch-profile: launchSettings.json would otherwise override ASPNETCORE_URLS.
# Any further arguments are VAR=value settings for that app alone.
start_app() {
    local project=$1 url=$2
    log "==> starting $project on $url"
    env "${@:3}" ASPNETCORE_URLS="$url" setsid dotnet run --no-build --no-launch-profile -c Release \
        --project "src/$project" </dev/null &
    CHILD_PIDS+=("$!")
}
# The JIT promotes hot code as soon as it is counted, not after a quiet spell that never comes under
# load (see src/Booking.Api/Booking.Api.csproj).
start_app Booking.Api "$API_URL" DOTNET_TC_CallCountingDelayMs=0
API_PID=${CHILD_PIDS[0]}

log "==> waiting for $API_URL/health/ready (up to ${READY_TIMEOUT}s)"
deadline=$((SECONDS + READY_TIMEOUT))
next_note=$((SECONDS + 5))
until [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$API_URL/health/ready" || true) == 200 ]]; do
    kill -0 "$API_PID" 2>/dev/null || die "Booking.Api exited before it was ready"
    (( SECONDS < deadline )) || die "Booking.Api not ready after ${READY_TIMEOUT}s"
    if (( SECONDS >= next_note )); then
        log "    ...still waiting ($((deadline - SECONDS))s left)"
        next_note=$((SECONDS + 5))
    fi
    sleep 1
done

# The Admin is an Orleans client: it joins once the Api's silo (and the migrated schema) is up.
start_app Booking.Admin "$ADMIN_URL"
ADMIN_PID=${CHILD_PIDS[1]}

cat <<EOF

  Booking is up.
    Api:          $API_URL        (health: $API_URL/health/ready)
    Admin:        $ADMIN_URL
    PostgreSQL:   127.0.0.1:$PG_PORT  user postgres, password $PG_PASSWORD, database booking
    Portal key:   dev-portal-key
    Operator key: dev-operator-key
  Ctrl-C stops everything.

EOF

# Until Ctrl-C/TERM (traps above) or one of the apps exits.
rc=0
wait -n "$API_PID" "$ADMIN_PID" || rc=$?
for pid in "$API_PID" "$ADMIN_PID"; do
    if ! kill -0 "$pid" 2>/dev/null; then
        [[ $pid == "$API_PID" ]] && name=Booking.Api || name=Booking.Admin
        log "==> $name exited (status $rc); shutting down"
    fi
done
exit $(( rc == 0 ? 1 : rc ))
