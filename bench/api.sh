#!/usr/bin/env bash
# API benchmark: the release build against its own PostgreSQL at 1k, 100k and 1M items, driven
# by wrk at a fixed concurrency, with the same SQL replayed through pgbench in the same run as
# the ceiling. Prints requests/s, p50/p99 latency, errors and the API/pgbench ratio per endpoint
# and size, and the service's peak memory. Loopback only; removes everything it starts.
#   bench/api.sh                         # 1000 100000 1000000 items, 15 s per measurement
#   SIZES="1000 100000" DURATION=10 bench/api.sh
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v wrk > /dev/null; then
  echo "installing wrk from Debian's packages"
  apt-get install -y -qq wrk > /dev/null
fi
cargo build --release --quiet --bin recotrack
export RECOTRACK_BIN="$(scripts/target-dir)/release/recotrack"
exec "$RECOTRACK_BIN" sandbox -- python3 bench/api.py
