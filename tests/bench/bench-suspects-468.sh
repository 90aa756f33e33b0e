#!/bin/sh
# Issue 19's benchmark: suspects over the 468 CamVid train + val images after pre-labelling.
# Builds the project (import, then `relabel suspects` pre-labels every image with confidences and
# ranks: timed), then bench-suspects-queue measures rl_suspects_update's time and peak memory
# and the first page's latency through the session. Prints figures; not a test.
#   tests/bench/bench-suspects-468.sh [BUILD_DIR] [CAMVID_DIR] [WORK_DIR]
# WORK_DIR keeps the project (default a new temporary folder); a project already there is reused.
set -eu
build=${1:-build}
camvid=${2:-${RELABEL_CAMVID:-../shared/datasets/camvid}}
work=${3:-$(mktemp -d /tmp/relabel-bench-suspects-XXXXXX)}
src=$(cd "$(dirname "$0")/../.." && pwd)
model="$src/resources/models/segnet-basic-camvid.safetensors"
camvid=$(cd "$camvid" && pwd)
P="$work/camvid468.relabel"
if [ ! -f "$P" ]; then
  mkdir -p "$work/ds"
  for d in train trainannot val valannot; do ln -sfn "$camvid/$d" "$work/ds/$d"; done
  cp "$camvid/train.txt" "$camvid/val.txt" "$work/ds/"
  : > "$work/ds/test.txt"
  "$build/app/relabel" import --project "$P" --dataset camvid "$work/ds"
fi
echo "project $P: $(sqlite3 "$P" 'select count(*) from images' 2>/dev/null || echo '?') images"
start=$(date +%s.%N)
/usr/bin/time -f "relabel suspects (pre-label what is missing + rank): %e s wall, %M kB peak RSS" \
  "$build/app/relabel" suspects --project "$P" --model "$model" --top 3
end=$(date +%s.%N)
echo "relabel suspects took $(echo "$end - $start" | bc) s"
"$build/tests/suspects/bench-suspects-queue" "$P"
