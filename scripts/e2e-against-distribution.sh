#!/usr/bin/env bash
# Runs the end-to-end suite (tests/e2e) against a throwaway CNCF Distribution registry, the
# baseline berth is compared with. Distribution 2.8 has no referrers API, so the two referrers
# tests in test_oras.py fail there; everything else should pass.
# Extra arguments go to pytest, e.g.: scripts/e2e-against-distribution.sh -k skopeo
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/distribution-config.sh
. "$repo_root/scripts/distribution-config.sh"
venv=${BERTH_VENV:-.venv-test}
case $venv in /*) ;; *) venv=$repo_root/$venv ;; esac

work=$(mktemp -d -t berth-distribution-XXXXXX)
pid=
cleanup() {
    if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

port=$("$venv/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
distribution_config "$work/data" "$port" > "$work/config.yml"
docker-registry serve "$work/config.yml" > "$work/registry.log" 2>&1 &
pid=$!

for _ in $(seq 100); do
    if "$venv/bin/python" -c "import urllib.request as u; u.urlopen('http://127.0.0.1:$port/v2/', timeout=1)" 2>/dev/null; then
        break
    fi
    kill -0 "$pid" 2>/dev/null || { echo "Distribution exited:" >&2; cat "$work/registry.log" >&2; exit 1; }
    sleep 0.1
done

cd "$repo_root"
BERTH_E2E_REGISTRY=127.0.0.1:$port "$venv/bin/python" -m pytest tests/e2e "$@"
