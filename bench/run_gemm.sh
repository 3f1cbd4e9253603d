#!/bin/bash
# Side-by-side GEMM comparison on this machine, in one run: this project's
# kernels (bench/gemm, Go) against OpenBLAS through Debian's python3-numpy
# (its auto-selected kernel and OPENBLAS_CORETYPE=Haswell) and PyTorch 1.13
# (python3-torch; f32 goes to the same OpenBLAS, bf16 to oneDNN), with 1 and
# 2 threads, plus the measured one-core FMA peak. Prints the raw blocks, then
# a table of ratios (bench/gemm/compare.py).
#
#   bash bench/run_gemm.sh            # everything, 7 samples per shape
#   SAMPLES=3 THREADS="1" bash bench/run_gemm.sh
#   CPUTIME=0 ...   # skip the extra 1-thread runs timed by CPU time
#
# Needs go, gcc and /usr/bin/python3 with numpy and torch (apt-get install
# python3-numpy python3-torch). Measure on a quiet machine: the load average
# is printed with every block.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
PY=/usr/bin/python3
SAMPLES=${SAMPLES:-7}
THREADS=${THREADS:-"1 2"}
W=${TMPDIR:-/tmp}/pretrain_gemm_bench
mkdir -p "$W"
RAW="$W/raw.txt"

(cd "$ROOT" && go build -o "$W/gemm" ./bench/gemm)
gcc -O2 -march=native -o "$W/fma_peak" "$HERE/gemm/peers/fma_peak.c"

peer() { # lib threads [env...]
  local lib=$1 t=$2; shift 2
  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=$t OMP_NUM_THREADS=$t "$@" \
    $PY "$HERE/gemm/peers/sgemm.py" "$lib" "$t" "$SAMPLES"
}

{
  echo "## machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) CPUs, $(uname -sr)"
  echo "## fma_peak"
  "$W/fma_peak"
  for t in $THREADS; do
    "$W/gemm" -threads "$t" -samples "$SAMPLES"
    peer numpy "$t"
    peer numpy "$t" OPENBLAS_CORETYPE=Haswell
    peer torch "$t"
    peer torch_bf16 "$t"
  done
  if [ "${CPUTIME:-1}" = 1 ]; then
    # 1 thread timed by process CPU time: comparable on a busy machine.
    "$W/gemm" -threads 1 -samples "$SAMPLES" -cputime
    peer numpy 1 CPUTIME=1
    peer numpy 1 CPUTIME=1 OPENBLAS_CORETYPE=Haswell
    peer torch_bf16 1 CPUTIME=1
  fi
} 2>&1 | tee "$RAW"
echo
$PY "$HERE/gemm/compare.py" < "$RAW"
