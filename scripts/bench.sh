#!/usr/bin/env bash
# Benchmarks berth against CNCF Distribution 2.8 (Debian's docker-registry) in one run, with
# the load generator crates/berth-loadgen, and writes the comparison to docs/benchmarks.md.
#
# Both registries run side by side on free loopback ports with fresh data directories
# (berth: SQLite + filesystem; Distribution: filesystem). Each scenario runs against both
# in turn, several rounds (berth, distribution, berth, distribution, ...; who goes first
# alternates between scenarios), so that noise on the machine falls on both; the tables
# show the median of the rounds. Upload and push also run against a third server, berth
# with BERTH_STORAGE_FSYNC=false (Distribution does not fsync blobs).
#
# Usage: scripts/bench.sh [options] [-- extra berth-loadgen run options]
#   --quick              small sizes and short durations (about 2 minutes)
#   --scenarios LIST     comma-separated: upload,download,manifest-get,manifest-head,push,
#                        tags,catalog (default: all of them)
#   --duration S         seconds per manifest case (default 10, quick 2)
#   --rounds N           rounds per scenario (default 3, quick 1); tags and catalog run
#                        once (each already reports the median of many listings)
#   --no-fsync-variant   skip the third server (berth with fsync off)
#   --no-build           use the binaries already in target/release
#   --out FILE           where the markdown goes (default docs/benchmarks.md; - for none)
#   --keep               keep the temporary directory (data, logs, JSON results)
# Environment:
#   BENCH_CARGO          the cargo command used to build (default: cargo), for example
#                        "flock /tmp/cargo.lock nice cargo"
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo_root"
# shellcheck source=scripts/distribution-config.sh
. "$repo_root/scripts/distribution-config.sh"
invocation="scripts/bench.sh${*:+ $*}"

quick=0
scenarios=upload,download,manifest-get,manifest-head,push,tags,catalog
duration=
rounds=
fsync_variant=1
build=1
out=docs/benchmarks.md
keep=0
extra=()
while [ $# -gt 0 ]; do
    case $1 in
        --quick) quick=1 ;;
        --scenarios) scenarios=$2; shift ;;
        --duration) duration=$2; shift ;;
        --rounds) rounds=$2; shift ;;
        --no-fsync-variant) fsync_variant=0 ;;
        --no-build) build=0 ;;
        --out) out=$2; shift ;;
        --keep) keep=1 ;;
        --) shift; extra=("$@"); break ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "bench: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done

if [ -z "$rounds" ]; then
    if [ "$quick" -eq 1 ]; then rounds=1; else rounds=3; fi
fi

if ! command -v docker-registry >/dev/null; then
    echo "bench: docker-registry (CNCF Distribution) is missing:" \
        "apt-get install -y docker-registry, or scripts/install-test-deps.sh" >&2
    exit 1
fi

if [ "$build" -eq 1 ]; then
    read -r -a cargo <<< "${BENCH_CARGO:-cargo}"
    "${cargo[@]}" build --release -p berth -p berth-loadgen
fi
berth_bin=$repo_root/target/release/berth
loadgen=$repo_root/target/release/berth-loadgen
for bin in "$berth_bin" "$loadgen"; do
    [ -x "$bin" ] || { echo "bench: $bin is missing (run without --no-build)" >&2; exit 1; }
done

work=$(mktemp -d -t berth-bench-XXXXXX)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    if [ "$keep" -eq 1 ]; then echo "bench: kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

declare -A url pid
# berth requires a login (the administrator's Basic credentials, checked without a KDF run
# per request once verified); Distribution runs without authentication.
berth_password=Bench-$(date +%s)-Pw1

start_berth() { # LABEL [ENV=VALUE...]
    local label=$1 port; shift
    port=$("$loadgen" free-port)
    env "$@" RUST_LOG=warn BERTH_ADDR="127.0.0.1:$port" BERTH_DATA_DIR="$work/$label/data" \
        BERTH_ADMIN_PASSWORD="$berth_password" \
        "$berth_bin" serve > "$work/$label.log" 2>&1 &
    pids+=($!); pid[$label]=$!; url[$label]=http://127.0.0.1:$port
}

start_distribution() { # LABEL
    local label=$1 port
    port=$("$loadgen" free-port)
    mkdir -p "$work/$label"
    # maxentries (in the shared config) lets the catalog scenario ask for every repository
    # in one page, as it does of berth.
    distribution_config "$work/$label/data" "$port" > "$work/$label/config.yml"
    docker-registry serve "$work/$label/config.yml" > "$work/$label.log" 2>&1 &
    pids+=($!); pid[$label]=$!; url[$label]=http://127.0.0.1:$port
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
servers=(berth distribution)
start_berth berth
start_distribution distribution
if [ "$fsync_variant" -eq 1 ]; then
    servers+=(berth-nofsync)
    start_berth berth-nofsync BERTH_STORAGE_FSYNC=false
fi
for s in "${servers[@]}"; do
    if ! "$loadgen" wait --url "${url[$s]}" --timeout 30; then
        echo "bench: $s did not start:" >&2; cat "$work/$s.log" >&2; exit 1
    fi
    mkdir -p "$work/results/$s"
done

common=(--namespace library)
[ "$quick" -eq 1 ] && common+=(--quick)
[ -n "$duration" ] && common+=(--duration "$duration")
common+=("${extra[@]}")

step=0
loadgen_run() { # LABEL NAME [run options...]
    local label=$1 name=$2; shift 2
    step=$((step + 1))
    echo "== $label: $name" >&2
    # Write back what the previous run left in the page cache (Distribution never fsyncs),
    # so that its disk writes do not land in this run's timing.
    sync
    local creds=()
    case $label in berth*) creds=(--user admin --password "$berth_password") ;; esac
    "$loadgen" run --url "${url[$label]}" --pid "${pid[$label]}" --label "$label" "${creds[@]}" \
        --json "$work/results/$label/$(printf %02d "$step")-$name.json" "$@" \
        | tee -a "$work/tables.txt"
}

# Idle memory: after start-up, before any request but the readiness check.
sleep 2
for s in berth distribution; do loadgen_run "$s" memory-idle --scenario memory; done

IFS=, read -r -a list <<< "$scenarios"
i=0
for scenario in "${list[@]}"; do
    if [ $((i % 2)) -eq 0 ]; then order=(berth distribution); else order=(distribution berth); fi
    n=$rounds
    case $scenario in
        upload|push) [ "$fsync_variant" -eq 1 ] && order+=(berth-nofsync) ;;
        tags|catalog) n=1 ;;
    esac
    for _ in $(seq "$n"); do
        for s in "${order[@]}"; do
            loadgen_run "$s" "$scenario" --scenario "$scenario" "${common[@]}"
        done
    done
    i=$((i + 1))
done

for s in berth distribution; do loadgen_run "$s" memory-peak --scenario memory; done

load_after=$(cut -d' ' -f1-3 /proc/loadavg)
tables=$work/comparison.md
"$loadgen" compare --cpu "berth=$work/results/berth" "distribution=$work/results/distribution" \
    > "$tables"
if [ "$fsync_variant" -eq 1 ] && compgen -G "$work/results/berth-nofsync/*.json" >/dev/null; then
    {
        echo
        echo "Berth with \`BERTH_STORAGE_FSYNC=false\` (a third server, same binary):"
        echo
        "$loadgen" compare "berth, fsync off=$work/results/berth-nofsync" \
            "distribution=$work/results/distribution"
    } >> "$tables"
fi

cpu=$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')
mem=$(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)
rev=$(git -C "$repo_root" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ -n "$(git -C "$repo_root" status --porcelain --untracked-files=no -- crates Cargo.toml Cargo.lock 2>/dev/null)" ]; then
    rev="$rev (with uncommitted changes)"
fi
distribution_version=$(docker-registry --version 2>/dev/null | awk '{ print $NF }')
report=$work/benchmarks.md
{
    echo "# Benchmarks: berth and CNCF Distribution"
    echo
    echo "Run on $(date -u '+%Y-%m-%d %H:%M UTC'): $(nproc) cores ($cpu), $mem of memory,"
    echo "Linux $(uname -r); berth at commit $rev, Distribution $distribution_version"
    echo "(Debian's docker-registry). Load average (1, 5, 15 min) before the servers started:"
    echo "$load_before; after the last scenario: $load_after."
    echo
    echo "Reproduce with \`$invocation\`."
    echo
    echo "Ratio: how many times better berth is (throughput divided, or latency, duration"
    echo "and memory inverted); above 1 means berth is ahead."
    echo
    cat "$tables"
    echo
    echo "## Method"
    echo
    echo "- One machine runs both registries and the load generator (\`crates/berth-loadgen\`,"
    echo "  2 threads), all on loopback over plain HTTP/1.1 with keep-alive. The generator and"
    echo "  the servers share the cores; the CPU table shows how the time was split."
    echo "- Fresh data directories on the same disk. berth: SQLite and filesystem storage, its"
    echo "  defaults (fsync of each blob on); Distribution: filesystem storage, in-memory blob"
    echo "  descriptor cache, upload purging off. Both log at warn. berth requires a login: the"
    echo "  generator sends the administrator's Basic credentials with every request;"
    echo "  Distribution runs without authentication. \`sync\` runs before every"
    echo "  run, so that data one server left unwritten is not written back during the next."
    echo "- Each scenario runs against both servers in turn, $rounds round(s) (tag list and"
    echo "  catalog: one), the first server alternating from scenario to scenario; figures are"
    echo "  medians over the rounds."
    echo "- Setup (content generation, digests, pushing what is listed or read) is never timed."
    echo "  Blob content is random and distinct for every upload; digests are computed before"
    echo "  the clock starts."
    echo "- Uploads go one blob at a time. Monolithic: \`POST ?digest=\` with the body where the"
    echo "  server completes it in one request (berth); Distribution 2.8 answers it with a"
    echo "  session, so there it is \`POST\` then \`PUT ?digest=\` with the body. Chunked:"
    echo "  \`POST\`, \`PATCH\` chunks of 8 MiB with \`Content-Range\`, \`PUT ?digest=\`."
    echo "  MB/s are 10^6 bytes per second."
    echo "- Manifest reads: N workers, each with its own connection, request after request"
    echo "  for a fixed time after a warm-up; latency percentiles over every request."
    echo "- Small-image push: distinct images (1 KiB config, 2 layers of 16 KiB, OCI"
    echo "  manifest); per blob a \`HEAD\` then a monolithic upload, then \`PUT\` of the manifest"
    echo "  by tag; 8 workers, each with its own repository."
    echo "- Tag list and catalog: the whole listing (following \`Link\` pages if any), the"
    echo "  median of several runs after one untimed run. The catalog holds every repository"
    echo "  of the run, the same set on both servers."
    echo "- Memory: VmRSS of the server process before any load (idle) and VmHWM after the"
    echo "  last scenario (peak), from /proc/PID/status."
} > "$report"

cat "$report"
if [ "$out" != - ]; then
    mkdir -p "$(dirname "$out")"
    cp "$report" "$out"
    echo "bench: wrote $out" >&2
fi
