#!/usr/bin/env bash
# Builds berth (release) and starts it on the embedded default: SQLite metadata and
# filesystem blobs under ./data, listening on 0.0.0.0:5000. Extra arguments go to
# `berth serve`; BERTH_* environment variables configure it (see README.md).
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=scripts/ensure-rust.sh
. scripts/ensure-rust.sh

exec cargo run --release --locked --bin berth -- serve "$@"
