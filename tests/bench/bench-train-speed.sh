#!/bin/sh
# Training speed in images/s at the recipe's batch and crop (4 x 192x256 by default) on each
# engine path (bench-speed --network: reference, fp32, bf16 where the CPU has it) and in PyTorch
# (fp32 NCHW, fp32 channels-last, bf16 autocast), one after the other in one run so the figures
# share the machine's state. A training step is forward + backward + SGD (momentum, weight
# decay) of He-initialised SegNet-Basic. Two figures each: wall (engine: best step of REPS,
# bench-speed's rule; PyTorch: median and best), and CPU (the step's CPU seconds divided by the
# threads, the least of REPS for both: what the wall time would be with the cores to itself and
# perfect scaling; on a busy machine it is the fairer comparison, on an idle one wall is the
# truth). Usage:
#   tests/bench/bench-train-speed.sh [BUILD_DIR] [HxW] [THREADS] [REPS]
# (default build, 192x256, 2 threads, 3 steps). The load average is printed before and after.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$top/build}
size=${2:-192x256}
threads=${3:-2}
reps=${4:-3}
batch=4
echo "# training images/s, batch $batch, $size, $threads threads; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
"$build/tests/speed/bench-speed" --network --threads "$threads" --reps "$reps" --size "$size" \
  | tee /dev/stderr \
  | awk -v b=$batch '
      /training step/ && !/CPU time/ { for (i = 1; i <= NF; i++) if ($i == "step") w[$1] = $(i + 1) }
      /CPU time/ { for (i = 1; i <= NF; i++) if ($i == "step") c[$1] = $(i + 1)
                   printf "engine %-9s wall %6.2f images/s (step %.0f ms)   CPU %6.2f images/s\n",
                          $1, b * 1000 / w[$1], w[$1], b * 1000 / c[$1] }'
OMP_NUM_THREADS=$threads /usr/bin/python3 "$top/tests/bench/bench_torch.py" --arch basic \
  --threads "$threads" --train-runs "$reps" --size "$size" --batch $batch --quiet \
  | awk -v b=$batch -v t=$threads '
      $1 == "RESULT" && $4 == "train" { med[$3] = $6; best[$3] = $7 }
      $1 == "CPURESULT" && $4 == "train" { cpu[$3] = $6; order[++n] = $3 }
      END { for (i = 1; i <= n; i++) { c = order[i]
              printf "torch  %-9s wall %6.2f images/s (median step %.0f ms, best %.0f)   CPU %6.2f images/s\n",
                     c, b / med[c], med[c] * 1000, best[c] * 1000, b * t / cpu[c] } }'
echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
