#!/usr/bin/env bash
# Scale-out benchmarks (docs/scaleout.md): all-reduce bandwidth against
# memcpy, and gpt-small training throughput with 2 MPI ranks × 1 thread
# against 1 process × 2 threads at the same global batch, interleaved.
# Needs Open MPI (openmpi-bin, libopenmpi-dev). Usage:
#   bash bench/dist/run.sh [repeats] [steps]
set -euo pipefail
cd "$(dirname "$0")/../.."
repeats=${1:-3}
steps=${2:-12}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
mpirun=(mpirun --allow-run-as-root --oversubscribe)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -tags mpi -o "$tmp/allreduce" ./bench/dist/allreduce
go build -tags mpi -o "$tmp/pretrain" ./cmd/pretrain

echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "## all-reduce (2 ranks, in-place sum) vs copy"
echo
"${mpirun[@]}" -np 2 "$tmp/allreduce"
echo

# Throughput of one run: tokens trained between the end of step 2 and the
# last step, over the time between them (metrics.jsonl, rank 0).
rate() {
  python3 - "$1/metrics.jsonl" <<'PY'
import json, sys
rs = [json.loads(l) for l in open(sys.argv[1]) if '"train"' in l]
a, b = rs[1], rs[-1]
print("%.0f" % ((b["tokens"] - a["tokens"]) / (b["elapsed_s"] - a["elapsed_s"])))
PY
}
model=(--objective clm --model gpt-small --opt seq-len=128 --log-every 1 --steps "$steps")
echo "## gpt-small training, seq 128, global batch 8, $steps steps (tokens/s after step 2)"
echo
echo "| repeat | 2 ranks × 1 thread (batch 4 each) | 1 process × 2 threads (batch 8) | ratio |"
echo "| ---: | ---: | ---: | ---: |"
for i in $(seq "$repeats"); do
  rm -rf "$tmp/a" "$tmp/b"
  "${mpirun[@]}" -np 2 "$tmp/pretrain" train "${model[@]}" --threads 1 --opt batch=4 --out "$tmp/a" >/dev/null
  "$tmp/pretrain" train "${model[@]}" --threads 2 --opt batch=8 --out "$tmp/b" >/dev/null
  a=$(rate "$tmp/a"); b=$(rate "$tmp/b")
  echo "| $i | $a | $b | $(python3 -c "print('%.2f' % ($a / $b))") |"
done
echo
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
