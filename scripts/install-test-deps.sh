#!/usr/bin/env bash
# Installs what the test suites (tests/e2e, tests/api, scripts/test.sh) need: OCI clients (docker,
# skopeo, podman, buildah, umoci) and PostgreSQL from Debian, and a Python venv (pytest, requests,
# oras, moto's S3 server, boto3, jsonschema and pyyaml for the Harbor schema checks, harborapi).
# Idempotent: when everything is present it installs nothing and prints nothing.
# Works on Debian bookworm as root, or through sudo otherwise.
#
# Environment:
#   BERTH_VENV  where the Python venv goes (default: .venv-test in the repo root)
#   PYTHON      interpreter used to create the venv (default: python3)
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv=${BERTH_VENV:-.venv-test}
case $venv in /*) ;; *) venv=$repo_root/$venv ;; esac
python=${PYTHON:-python3}

if [ "$(id -u)" -eq 0 ]; then sudo=(); else sudo=(sudo); fi
export DEBIAN_FRONTEND=noninteractive

apt_updated=0
apt_install() {
    if [ "$apt_updated" -eq 0 ]; then
        echo "install-test-deps: apt-get update" >&2
        "${sudo[@]}" apt-get -o DPkg::Lock::Timeout=600 update -qq >/dev/null
        apt_updated=1
    fi
    echo "install-test-deps: apt-get install $*" >&2
    "${sudo[@]}" apt-get -o DPkg::Lock::Timeout=600 -y -qq install --no-install-recommends "$@" >/dev/null
}

is_installed() {
    [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = installed ]
}

# Debian packages. docker-registry (CNCF Distribution) only serves comparisons and benchmarks.
missing=()
for pkg in skopeo podman buildah umoci docker-registry; do
    is_installed "$pkg" || missing+=("$pkg")
done
# The docker CLI and daemon (tests/e2e/test_docker.py starts a throwaway dockerd); any install
# that provides both commands will do.
if ! command -v docker >/dev/null || ! command -v dockerd >/dev/null; then
    missing+=(docker.io)
fi
# PostgreSQL: psql always (the tests create and drop databases with it); the server only when
# none answers on 127.0.0.1:5432 and none is installed (scripts/test.sh then starts a
# throwaway cluster from the installed binaries).
command -v psql >/dev/null || missing+=(postgresql-client)
pg_answers() { (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; }
if ! pg_answers && ! is_installed postgresql && ! compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null \
    && ! command -v postgres >/dev/null; then
    missing+=(postgresql)
fi
# The venv needs ensurepip, which Debian's python3 ships in python3-venv.
if ! command -v "$python" >/dev/null; then
    python=python3
    missing+=(python3 python3-venv)
elif ! "$python" -c 'import ensurepip, venv' >/dev/null 2>&1; then
    missing+=(python3-venv)
fi
if [ "${#missing[@]}" -gt 0 ]; then
    apt_install "${missing[@]}"
fi

# Python packages, in their own venv.
py_check='
import importlib.metadata as m, sys
import pytest, requests, oras, moto, cryptography, boto3, jsonschema, yaml, harborapi
import moto.server, flask  # the [server] extra
v = m.version("oras").split(".")
h = m.version("harborapi").split(".")
sys.exit(0 if v[:2] == ["0", "2"] and h[:2] == ["0", "26"] else 1)
'
if [ ! -x "$venv/bin/python" ]; then
    echo "install-test-deps: creating venv $venv" >&2
    "$python" -m venv "$venv"
fi
if ! "$venv/bin/python" -c "$py_check" >/dev/null 2>&1; then
    echo "install-test-deps: pip install into $venv" >&2
    "$venv/bin/python" -m pip install -q --disable-pip-version-check \
        pytest requests 'oras>=0.2,<0.3' 'moto[server]' cryptography boto3 jsonschema pyyaml \
        'harborapi>=0.26,<0.27'
fi
