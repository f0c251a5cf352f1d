#!/usr/bin/env bash
# The whole test run, for developers and CI:
#   1. test dependencies (scripts/install-test-deps.sh)
#   2. cargo build --workspace, cargo test --workspace
#   3. cargo fmt --check, cargo clippy --workspace --all-targets -- -D warnings
#   4. for each backend combination (sqlite+fs, postgres+fs, sqlite+s3, postgres+s3): a fresh
#      berth on a free port, a fresh data dir, database and bucket, and the pytest suites
#      tests/e2e (real clients) and tests/api (raw HTTP) against it.
# Everything it starts (berth, moto, a throwaway PostgreSQL) is stopped by PID on exit, also on
# failure or Ctrl-C; databases it created are dropped. Exit status 0 only when every step passed.
#
# Usage: scripts/test.sh [--quick] [--skip-lint] [-- PYTEST_ARGS...]
#   --quick      only the sqlite+fs combination
#   --skip-lint  no cargo fmt / clippy
#   PYTEST_ARGS  passed to both pytest suites, e.g. -- -k upload -x
#
# Environment:
#   BERTH_VENV            Python venv (default .venv-test)
#   BERTH_TEST_PG_URL     PostgreSQL server to create test databases on
#                         (default postgres://postgres@127.0.0.1:5432; when it does not answer,
#                         a throwaway cluster is started from the installed binaries)
#   BERTH_TEST_COMBOS     space-separated combinations to run (overrides --quick)
#   BERTH_STORAGE_FSYNC   passed to berth (default true)
#   BERTH_CARGO_LOCK      lock file every cargo command holds (default /tmp/berth-cargo.lock)
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo_root"

quick=0
skip_lint=0
pytest_args=()
while [ $# -gt 0 ]; do
    case $1 in
        --quick) quick=1 ;;
        --skip-lint) skip_lint=1 ;;
        --) shift; pytest_args=("$@"); break ;;
        -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "test.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done

# Every berth the suites start creates its administrator with this password; the Harbor API
# tests log in with it (tests/api/berth_api/harbor.py).
export BERTH_ADMIN_PASSWORD=${BERTH_ADMIN_PASSWORD:-Harbor12345}
# The real clients of tests/e2e log in as that administrator.
export BERTH_E2E_USER=${BERTH_E2E_USER:-admin} BERTH_E2E_PASSWORD=${BERTH_E2E_PASSWORD:-$BERTH_ADMIN_PASSWORD}

venv=${BERTH_VENV:-.venv-test}
case $venv in /*) ;; *) venv=$repo_root/$venv ;; esac
export BERTH_VENV=$venv
py=$venv/bin/python
cargo_lock=${BERTH_CARGO_LOCK:-/tmp/berth-cargo.lock}
if [ -n "${BERTH_TEST_COMBOS:-}" ]; then
    read -r -a combos <<<"$BERTH_TEST_COMBOS"
elif [ "$quick" -eq 1 ]; then
    combos=(sqlite+fs)
else
    combos=(sqlite+fs postgres+fs sqlite+s3 postgres+s3)
fi

work=$(mktemp -d -t berth-test-XXXXXX)
# Logs and JUnit reports stay after the run (target/ is ignored by git).
logdir=$repo_root/target/test-logs/$(date +%Y%m%d-%H%M%S)
mkdir -p "$logdir"
started_pids=()    # every process started here, stopped by PID in cleanup
created_dbs=()     # databases created here, dropped in cleanup
pg_url=${BERTH_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432}
pg_tmp=""          # data folder of a throwaway PostgreSQL cluster
moto_port=""
summary=()
failed=0

log() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

# Stops one process we started: SIGTERM, up to $2 seconds, then SIGKILL.
stop_pid() {
    local pid=$1 grace=${2:-20}
    kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq $((grace * 10))); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        echo "test.sh: PID $pid ignored SIGTERM, killing it" >&2
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
}

# Drops a reaped PID from the list cleanup stops, so that a reused PID is never signalled.
forget_pid() {
    local keep=() p
    for p in "${started_pids[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
    started_pids=("${keep[@]}")
}

cleanup() {
    local status=$?
    trap - EXIT INT TERM
    set +e
    local i
    for ((i = ${#started_pids[@]} - 1; i >= 0; i--)); do
        stop_pid "${started_pids[i]}"
    done
    for db in "${created_dbs[@]}"; do
        psql -X -q -d "$pg_url/postgres" -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1 ||
            echo "test.sh: could not drop database $db" >&2
    done
    if [ -n "$pg_tmp" ]; then
        local pg_pid
        pg_pid=$(head -n 1 "$pg_tmp/data/postmaster.pid" 2>/dev/null)
        # SIGINT is PostgreSQL's "fast shutdown".
        if [ -n "$pg_pid" ] && kill -INT "$pg_pid" 2>/dev/null; then
            for _ in $(seq 300); do kill -0 "$pg_pid" 2>/dev/null || break; sleep 0.1; done
            kill -0 "$pg_pid" 2>/dev/null && kill -KILL "$pg_pid" 2>/dev/null
        fi
        rm -rf "$pg_tmp"
    fi
    rm -rf "$work"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
    "$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Polls GET http://$1/v2/ until it answers (200, or 401: it wants a login); gives up after $3
# seconds or when PID $2 exits.
wait_for_v2() {
    local host=$1 pid=$2 timeout=$3
    "$py" - "$host" "$pid" "$timeout" <<'PY'
import os, sys, time, urllib.error, urllib.request
host, pid, timeout = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
deadline = time.monotonic() + timeout
while time.monotonic() < deadline:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        print(f"test.sh: the process exited before answering on {host}", file=sys.stderr)
        sys.exit(1)
    try:
        with urllib.request.urlopen(f"http://{host}/v2/", timeout=2) as r:
            if r.status == 200:
                sys.exit(0)
    except urllib.error.HTTPError as e:
        if e.code == 401:
            sys.exit(0)
    except Exception:
        pass
    time.sleep(0.2)
print(f"test.sh: no answer from http://{host}/v2/ within {timeout:.0f}s", file=sys.stderr)
sys.exit(1)
PY
}

# Runs one phase: records its duration and result in the summary.
phase() {
    local name=$1
    shift
    log "$name"
    local start=$SECONDS rc=0
    "$@" || rc=$?
    local took=$((SECONDS - start))
    if [ "$rc" -eq 0 ]; then
        summary+=("$(printf '%-34s PASS  %5ss' "$name" "$took")")
    else
        summary+=("$(printf '%-34s FAIL  %5ss  (exit %s)' "$name" "$took" "$rc")")
        failed=1
    fi
    return "$rc"
}

cargo_locked() { flock "$cargo_lock" cargo "$@"; }

# -- PostgreSQL and S3 ---------------------------------------------------------------------------

pg_ready() { psql -X -q -d "$pg_url/postgres" -c 'SELECT 1' >/dev/null 2>&1; }

# Makes sure $pg_url answers: the given server, or a throwaway cluster on a free port.
ensure_postgres() {
    if pg_ready; then
        echo "using PostgreSQL at $pg_url"
        return 0
    fi
    local bindir
    bindir=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
    if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
        echo "test.sh: no PostgreSQL answers at $pg_url and no server binaries are installed" >&2
        return 1
    fi
    local port
    port=$(free_port)
    pg_tmp=$(mktemp -d -t berth-pg-XXXXXX)
    local as=()
    if [ "$(id -u)" -eq 0 ]; then
        # PostgreSQL refuses to run as root.
        id postgres >/dev/null 2>&1 || { echo "test.sh: no 'postgres' user to run PostgreSQL as" >&2; return 1; }
        chown postgres: "$pg_tmp"
        as=(runuser -u postgres --)
    fi
    echo "starting a throwaway PostgreSQL ($bindir) on port $port"
    "${as[@]}" "$bindir/initdb" -D "$pg_tmp/data" -U postgres --auth=trust -E UTF8 --no-sync >"$work/initdb.log" 2>&1 ||
        { cat "$work/initdb.log" >&2; return 1; }
    "${as[@]}" "$bindir/pg_ctl" -D "$pg_tmp/data" -l "$pg_tmp/server.log" -w -t 60 start \
        -o "-p $port -k $pg_tmp -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" >/dev/null ||
        { cat "$pg_tmp/server.log" >&2; return 1; }
    pg_url=postgres://postgres@127.0.0.1:$port
    pg_ready
}

create_database() {
    local name=$1
    psql -X -q -v ON_ERROR_STOP=1 -d "$pg_url/postgres" -c "CREATE DATABASE \"$name\"" >/dev/null
    created_dbs+=("$name")
}

ensure_moto() {
    [ -n "$moto_port" ] && return 0
    local port
    port=$(free_port)
    "$venv/bin/moto_server" -H 127.0.0.1 -p "$port" >"$logdir/moto.log" 2>&1 &
    local pid=$!
    started_pids+=("$pid")
    "$py" - "$port" "$pid" <<'PY' || { cat "$logdir/moto.log" >&2; return 1; }
import os, sys, time, urllib.error, urllib.request
port, pid = sys.argv[1], int(sys.argv[2])
for _ in range(300):
    os.kill(pid, 0)
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2)
        sys.exit(0)
    except Exception:
        time.sleep(0.1)
sys.exit(1)
PY
    moto_port=$port
    echo "moto S3 server on 127.0.0.1:$moto_port (PID $pid)"
}

create_bucket() {
    "$py" - "$1" "http://127.0.0.1:$moto_port" <<'PY'
import sys, boto3
boto3.client("s3", endpoint_url=sys.argv[2], region_name="us-east-1").create_bucket(Bucket=sys.argv[1])
PY
}

# -- one backend combination ---------------------------------------------------------------------

run_pytest() {
    local label=$1 logfile=$2
    shift 2
    local rc line start=$SECONDS
    set +e
    "$py" -m pytest "$@" --junitxml="${logfile%.log}.xml" "${pytest_args[@]}" 2>&1 | tee "$logfile"
    rc=${PIPESTATUS[0]}
    set -e
    # pytest catches Ctrl-C and exits normally, so bash never runs its INT trap: stop here.
    if [ "$rc" -eq 2 ] && grep -q 'KeyboardInterrupt' "$logfile"; then
        echo "test.sh: interrupted" >&2
        exit 130
    fi
    line=$(grep -E '^(=+ )?[0-9]+ (passed|failed|errors?|skipped|deselected).* in [0-9.]+s' "$logfile" | tail -n 1 |
        sed 's/=//g; s/^ *//; s/ *$//' || true)
    combo_notes+=("$(printf '%-4s %s, %ss (exit %s)' "$label" "${line:-no pytest summary}" $((SECONDS - start)) "$rc")")
    local failed_test
    while read -r failed_test; do
        combo_notes+=("       $failed_test")
    done < <(grep -E '^(FAILED|ERROR) ' "$logfile" | cut -c1-150 | head -n 30 || true)
    return "$rc"
}

run_combo() {
    local combo=$1
    local db=${combo%+*} storage=${combo#*+}
    local dir=$work/$combo logs=$logdir/$combo
    local tag
    tag=$(echo "$combo" | tr -c 'a-z0-9\n' '_')_$RANDOM$RANDOM
    mkdir -p "$dir/data" "$logs"
    combo_notes=()

    local database_url storage_url api_db_template api_storage_template
    case $db in
        sqlite)
            database_url=$dir/data/berth.db
            api_db_template='{dir}/berth.db'
            ;;
        postgres)
            ensure_postgres || return 1
            create_database "berth_test_$tag" || return 1
            database_url=$pg_url/berth_test_$tag
            api_db_template="$pg_url/{name}"
            ;;
        *) echo "unknown database in $combo" >&2; return 1 ;;
    esac
    case $storage in
        fs)
            storage_url=$dir/data/blobs
            api_storage_template='{dir}/blobs'
            ;;
        s3)
            ensure_moto || return 1
            local bucket
            bucket=berth-test-$(echo "$tag" | tr '_' '-')
            create_bucket "$bucket" || return 1
            storage_url="s3://$bucket?endpoint=http://127.0.0.1:$moto_port&region=us-east-1"
            api_storage_template="s3://{name}?endpoint=http://127.0.0.1:$moto_port&region=us-east-1"
            ;;
        *) echo "unknown storage in $combo" >&2; return 1 ;;
    esac

    local port host pid
    port=$(free_port)
    host=127.0.0.1:$port
    BERTH_ADDR=$host BERTH_DATA_DIR=$dir/data BERTH_DATABASE_URL=$database_url BERTH_STORAGE_URL=$storage_url \
        BERTH_STORAGE_FSYNC=${BERTH_STORAGE_FSYNC:-true} "$berth_bin" serve >"$logs/berth.log" 2>&1 &
    pid=$!
    started_pids+=("$pid")
    echo "berth PID $pid on $host (database $database_url, storage $storage_url)"
    if ! wait_for_v2 "$host" "$pid" 60; then
        echo "--- berth log ($combo) ---" >&2
        cat "$logs/berth.log" >&2
        combo_notes+=("berth did not come up")
        return 1
    fi

    local rc=0 berth_ok=1
    export BERTH_E2E_REGISTRY=$host BERTH_BIN=$berth_bin
    export BERTH_TEST_DATABASE_URL=$api_db_template BERTH_TEST_STORAGE_URL=$api_storage_template
    export BERTH_TEST_SHARED_DATABASE_URL=$database_url
    run_pytest "e2e" "$logs/e2e.log" tests/e2e -p no:cacheprovider || rc=1
    run_pytest "api" "$logs/api.log" tests/api -p no:cacheprovider || rc=1
    unset BERTH_E2E_REGISTRY BERTH_TEST_DATABASE_URL BERTH_TEST_STORAGE_URL BERTH_TEST_SHARED_DATABASE_URL

    # A graceful stop must work and exit 0.
    kill -TERM "$pid" 2>/dev/null || true
    local code=0 stopped=0
    for _ in $(seq 300); do
        if ! kill -0 "$pid" 2>/dev/null; then stopped=1; break; fi
        sleep 0.1
    done
    if [ "$stopped" -eq 1 ]; then
        wait "$pid" || code=$?
        forget_pid "$pid"
        if [ "$code" -ne 0 ]; then combo_notes+=("berth exited $code on SIGTERM"); rc=1; berth_ok=0; fi
    else
        combo_notes+=("berth did not stop within 30s of SIGTERM")
        rc=1
        berth_ok=0
        stop_pid "$pid" 1
        forget_pid "$pid"
    fi
    if grep -q 'panicked at' "$logs/berth.log"; then
        combo_notes+=("berth panicked: $(grep -m 1 'panicked at' "$logs/berth.log")")
        rc=1
        berth_ok=0
    fi
    if [ "$berth_ok" -eq 0 ]; then
        echo "--- last 60 lines of the berth log ($combo) ---"
        tail -n 60 "$logs/berth.log"
    fi
    return "$rc"
}

# -- main ----------------------------------------------------------------------------------------

total_start=$SECONDS
# shellcheck source=scripts/ensure-rust.sh
. scripts/ensure-rust.sh
phase "install test dependencies" scripts/install-test-deps.sh || exit 1
command -v cargo >/dev/null || { echo "test.sh: cargo is not installed (see rust-toolchain / rustup)" >&2; exit 1; }
export AWS_ACCESS_KEY_ID=berth-test AWS_SECRET_ACCESS_KEY=berth-test AWS_DEFAULT_REGION=us-east-1

tested=$(git -C "$repo_root" rev-parse --short HEAD 2>/dev/null || echo unknown)
[ -n "$(git -C "$repo_root" status --porcelain -- crates Cargo.toml Cargo.lock 2>/dev/null)" ] && tested="$tested + uncommitted changes"
# Builds, and copies the binary while still holding the lock: every server of this run is the
# binary built here, even when target/ is rebuilt meanwhile.
berth_bin=$work/berth
build_and_copy() {
    # shellcheck disable=SC2016  # $1 is expanded by the inner sh
    flock "$cargo_lock" sh -c 'cargo build --workspace && cp target/debug/berth "$1"' build "$berth_bin"
}
if phase "cargo build --workspace" build_and_copy; then
    phase "cargo test --workspace" cargo_locked test --workspace || true
    if [ "$skip_lint" -eq 0 ]; then
        phase "cargo fmt --check" cargo_locked fmt --all --check || true
        phase "cargo clippy -D warnings" cargo_locked clippy --workspace --all-targets -- -D warnings || true
    fi
    for combo in "${combos[@]}"; do
        combo_notes=()
        phase "suites on $combo" run_combo "$combo" || true
        for note in "${combo_notes[@]}"; do summary+=("    $note"); done
    done
fi

log "summary ($((SECONDS - total_start))s, code at $tested)"
printf '%s\n' "${summary[@]}"
echo "logs and JUnit reports: $logdir"
if [ "$failed" -ne 0 ]; then
    echo "FAILED"
    exit 1
fi
echo "ALL PASSED"
