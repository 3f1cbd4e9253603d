#!/bin/bash
# MAE pretraining speed, ours vs PyTorch 1.13 (Debian python3-torch, f32),
# the same ViT/MAE shape (builtin/mae Default: 28x28 images, 7x7 patches,
# width 96, 4 blocks; decoder 64 x 2), batch 256, forward + backward + AdamW,
# at 1 and 2 threads. Rounds interleave ours and torch; each side's median
# over ROUNDS is printed with the ratio. Ours runs f32 and bf16 mixed
# precision (bf16 inputs to every matrix product, f32 accumulation, f32
# master weights); torch runs f32.
#
# Run from the repository root:  bash bench/vision/run.sh
# Env: ROUNDS (default 3), STEPS (torch steps per timed window, default 4).
# Needs python3-torch (apt-get install python3-torch) for the peer; torch
# runs on OpenBLAS fetched by setup.sh (Debian's torch build uses whatever
# libblas.so.3 the system has, the slow reference BLAS unless OpenBLAS is
# installed), with OMP and OpenBLAS threads both set to the thread count.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
DIR=$(bash bench/vision/setup.sh)
ROUNDS=${ROUNDS:-3}
STEPS=${STEPS:-4}
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
go test -c -o "$W/mae.test" ./builtin/mae/
for r in $(seq "$ROUNDS"); do
  for th in 1 2; do
    "$W/mae.test" -test.run '^$' -test.bench "BenchmarkMAEStep/.*/threads=$th\$" -test.benchtime 6x |
      awk -v th=$th '/images\/s/ {split($1, a, "/"); for (i = 1; i <= NF; i++) if ($(i+1) == "images/s") print "ours", a[2], th, $i}' >>"$W/ours"
    LD_LIBRARY_PATH="$DIR/openblas" OMP_NUM_THREADS=$th OPENBLAS_NUM_THREADS=$th /usr/bin/python3 bench/vision/mae_torch.py "$th" "$STEPS" | awk -v th=$th '{print "torch f32", th, $NF}' >>"$W/torch"
  done
done
median() { sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
echo "load: $(uptime)"
printf '%-8s %-12s %-12s %-12s %-8s %-8s\n' threads "ours f32" "ours bf16" "torch f32" "f32 x" "bf16 x"
for th in 1 2; do
  o32=$(awk -v th=$th 'tolower($2) == "f32" && $3 == th {print $4}' "$W/ours" | median)
  o16=$(awk -v th=$th 'tolower($2) == "bf16" && $3 == th {print $4}' "$W/ours" | median)
  t32=$(awk -v th=$th '$3 == th {print $4}' "$W/torch" | median)
  printf '%-8s %-12.0f %-12.0f %-12.0f %-8.2f %-8.2f\n' "$th" "$o32" "$o16" "$t32" "$(echo "$o32 / $t32" | bc -l)" "$(echo "$o16 / $t32" | bc -l)"
done
