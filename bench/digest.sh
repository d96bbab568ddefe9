#!/usr/bin/env bash
# Digest benchmark: 1,000,000 items, 10,000 of them stalled, across 500 managers (one report of
# 2,000 items each). Prints the time and peak memory of selecting and rendering every digest
# (`recotrack digest run --dry-run`, release build), and, as a baseline measured in the same run
# on the same database, a full scan of the items table, so the figures travel between machines
# as ratios. Uses its own throwaway PostgreSQL; sends nothing anywhere.
#   bench/digest.sh            # 1,000,000 items
#   ITEMS=100000 bench/digest.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet --bin recotrack
export RECOTRACK_BIN="$(scripts/target-dir)/release/recotrack"
exec "$RECOTRACK_BIN" sandbox -- bash bench/digest_inner.sh
