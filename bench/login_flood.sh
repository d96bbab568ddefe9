#!/usr/bin/env bash
# Login-flood benchmark: the release service on its own PostgreSQL; one user reads
# `GET /api/v1/recommendations?limit=10` while quiet, then while failed sign-ins for unknown
# accounts pour in from many loopback addresses (127.0.x.y), which no per-account or per-address
# limit stops. Prints the reader's p50/p99 in both phases, the flood's rate and answers, and
# whether the flooded p99 stays within 3x of the quiet one. Loopback only; removes what it starts.
#   bench/login_flood.sh                 # 20 s per phase
#   FLOOD_RATE=0 bench/login_flood.sh    # as fast as the flooders can (default 50 per second)
#   DURATION=10 FLOODERS=16 bench/login_flood.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet --bin recotrack
export RECOTRACK_BIN="$(scripts/target-dir)/release/recotrack"
exec "$RECOTRACK_BIN" sandbox -- python3 bench/login_flood.py
