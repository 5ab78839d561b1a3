#!/usr/bin/env bash
# Full test run from a fresh clone: installs what is missing, starts a throw-away
# PostgreSQL in .pg/test on 127.0.0.1:55433 (BOOKING_TEST_PG_PORT), runs
# `dotnet test Booking.sln -c Release [extra args]`, always stops that PostgreSQL, and
# closes with one line "tests: N passed, N failed[, N skipped]".
# Exits non-zero when dotnet test fails or when no test ran.
# Can run while ./run.sh is up: other port, other data directory.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$ROOT"
# shellcheck source=scripts/pg.sh
source scripts/pg.sh

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
# Classic console output: its per-project "Passed!/Failed! - ..." lines are summed below.
export MSBUILDTERMINALLOGGER=off

PG_PORT=${BOOKING_TEST_PG_PORT:-55433}
PG_DIR=  # set once PostgreSQL is installed (pg_root asks its user)
OUT=$(mktemp)

# Whatever happens (failure, Ctrl-C, TERM), leave no PostgreSQL running.
TEST_PID=
# shellcheck disable=SC2317  # invoked by trap
cleanup() {
    local rc=$? _
    trap - EXIT INT TERM
    if [[ -n $TEST_PID ]] && kill -0 -- "-$TEST_PID" 2>/dev/null; then
        log "==> stopping dotnet test"
        kill -TERM -- "-$TEST_PID" 2>/dev/null || true
        for _ in {1..20}; do kill -0 -- "-$TEST_PID" 2>/dev/null || break; sleep 0.5; done
        kill -KILL -- "-$TEST_PID" 2>/dev/null || true
    fi
    [[ -z $PG_DIR ]] || pg_stop "$PG_DIR" || true
    rm -f "$OUT"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

command -v dotnet >/dev/null 2>&1 || die "dotnet (the .NET 10 SDK) is not on PATH"
pg_ensure_installed
PG_DIR=$(pg_root "$ROOT")/test

# A clean database server each run: stop what an interrupted run may have left, re-init.
pg_stop "$PG_DIR"
rm -rf "$PG_DIR"
pg_start "$PG_DIR" "$PG_PORT" --no-fsync

# Test fixtures create their own databases through this server.
export BOOKING_TEST_PG="Host=127.0.0.1;Port=$PG_PORT;Username=postgres;Password=$PG_PASSWORD;Maximum Pool Size=16"

log "==> dotnet restore"
dotnet restore Booking.sln

log "==> dotnet test"
# dotnet test runs in the background, in its own process group (setsid), so that a
# TERM/INT reaches our trap at once and cleanup can stop it and its test hosts.
# Its output goes to the terminal and to $OUT through tee.
exec {TEE_FD}> >(tee "$OUT")
TEE_PID=$!
setsid dotnet test Booking.sln -c Release --no-restore "$@" >&"$TEE_FD" 2>&1 </dev/null &
TEST_PID=$!
test_rc=0
wait "$TEST_PID" || test_rc=$?
TEST_PID=
exec {TEE_FD}>&-
wait "$TEE_PID" || true

# Stop the server now, so that the summary below is the last line printed.
pg_stop "$PG_DIR"

# Sum the per-assembly summary lines, e.g.
#   Passed!  - Failed:     0, Passed:    12, Skipped:     1, Total:    13, Duration: 1 s - X.Tests.dll (net10.0)
passed=0 failed=0 skipped=0 total=0
while read -r f p s t; do
    failed=$((failed + f)) passed=$((passed + p)) skipped=$((skipped + s)) total=$((total + t))
done < <(sed -E 's/\x1b\[[0-9;]*[A-Za-z]//g' "$OUT" |
    sed -nE 's/^[[:space:]]*(Passed|Failed)![[:space:]]*-[[:space:]]*Failed:[[:space:]]*([0-9]+),[[:space:]]*Passed:[[:space:]]*([0-9]+),[[:space:]]*Skipped:[[:space:]]*([0-9]+),[[:space:]]*Total:[[:space:]]*([0-9]+).*/\2 \3 \4 \5/p')

rc=$test_rc
if (( total == 0 )); then
    log "error: no test ran"
    (( rc != 0 )) || rc=1
elif (( failed > 0 && rc == 0 )); then
    rc=1
fi

summary="tests: $passed passed, $failed failed"
(( skipped > 0 )) && summary+=", $skipped skipped"
echo "$summary"
exit "$rc"
