#!/bin/bash
# GPT / BERT training side by side with PyTorch 1.13 (Debian python3-torch)
# on this CPU: parity of the loss curves, then speed.
#
# 1. Parity: `torchgpt export` writes gpt-tiny and bert-tiny initial weights
#    (safetensors) and 200 fixed batches (random ids from a fixed seed, each
#    the previous plus 1-4, so the loss can fall from ln 4095 to ln 4; BERT
#    masks drawn once); parity.py (torch_gpt.py's model with our module
#    names) and `torchgpt train` each take 200 AdamW steps (lr 3e-4, torch's
#    defaults) in f32 on 1 thread; `torchgpt compare` prints the largest
#    per-step loss deviation and writes $W/parity/parity.svg.
# 2. Speed: ../shared/bench/torch_gpt.py and `torchgpt speed` on gpt-tiny,
#    gpt-small and bert-tiny (torch's --mode mlm), 1 and 2 threads, under
#    /usr/bin/time -v for peak RSS. Torch gets its best thread setting: with
#    T threads it runs every OMP/OpenBLAS split that uses at most T (1/1 for
#    T=1; 1/2, 2/1 and 2/2 for T=2) and the fastest is kept. Ours runs f32 and
#    --bf16. Tokens/s are per-step medians after warm-up.
# 3. CPU time: 1 thread, tokens per CPU second (torch_cpu.py, which runs
#    torch_gpt.py's model and loop, and `torchgpt speed`), run before part 2
#    because it is quick and less disturbed by a busy machine.
#
# Run from the repository root:  bash bench/torchgpt/run.sh
# Env: W (work dir, default ${TMPDIR:-/tmp}/pretrain_torchgpt), STEPS (timed
#      steps per speed run, default 15; gpt-small uses half), PARITY (0 skips
#      part 1), SPEED (0 skips part 2), CPUTIME (0 skips part 3), SHARED
#      (default ../shared).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
W=${W:-${TMPDIR:-/tmp}/pretrain_torchgpt}
STEPS=${STEPS:-15}
SHARED=${SHARED:-$ROOT/../shared}
mkdir -p "$W"
cd "$ROOT"
go build -o "$W/torchgpt" ./bench/torchgpt
PY=/usr/bin/python3
echo "# $(date -u +%FT%TZ) $(nproc) CPUs, loadavg $(cut -d' ' -f1-3 /proc/loadavg), $($PY -c 'import torch; print("torch", torch.__version__)')"

if [ "${PARITY:-1}" != 0 ]; then
  P="$W/parity"
  "$W/torchgpt" export -dir "$P" -steps 200
  for m in gpt bert; do
    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 $PY bench/torchgpt/parity.py "$P" $m 200
    "$W/torchgpt" train -dir "$P" -model $m -steps 200
  done
  "$W/torchgpt" compare -dir "$P"
  echo "plot: $P/parity.svg"
fi

field() { sed -n "s/.*$1=\([^ ]*\).*/\1/p" | head -1; }

if [ "${CPUTIME:-1}" != 0 ]; then
  # 3. (first, as it is quick) 1 thread, measured in CPU time: on a shared
  # machine the wall-clock figures below depend on the neighbours; tokens per
  # CPU second of a 1-thread run do much less. torch_cpu.py runs torch_gpt.py's
  # own model and loop.
  printf "%-10s | %16s | %16s %6s | %16s %6s\n" config "torch tok/cpu-s" "ours f32" ratio "ours bf16" ratio
  for spec in "tiny gpt gpt-tiny" "small gpt gpt-small" "tiny mlm bert-tiny"; do
    set -- $spec
    steps=$STEPS
    [ $1 = small ] && steps=$(( (STEPS + 1) / 2 ))
    tc=$(OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 $PY bench/torchgpt/torch_cpu.py "$SHARED/bench" --config $1 --mode $2 --threads 1 --steps $steps | field tok_per_cpu_s)
    of=$("$W/torchgpt" speed -model $3 -threads 1 -steps $steps | field tok_per_cpu_s)
    ob=$("$W/torchgpt" speed -model $3 -threads 1 -steps $steps -bf16 | field tok_per_cpu_s)
    printf "%-10s | %16.0f | %16.0f %5.2fx | %16.0f %5.2fx\n" $3 $tc $of "$(awk "BEGIN{print $of/$tc}")" $ob "$(awk "BEGIN{print $ob/$tc}")"
  done
  echo "# loadavg after: $(cut -d' ' -f1-3 /proc/loadavg)"
fi

[ "${SPEED:-1}" = 0 ] && exit 0

rss() { awk -F': ' '/Maximum resident/{print $2}' "$1"; }

torch_run() { # config mode omp blas steps -> "tok/s rss_kb"
  env -u OPENBLAS_CORETYPE OMP_NUM_THREADS=$3 OPENBLAS_NUM_THREADS=$4 \
    /usr/bin/time -v $PY "$SHARED/bench/torch_gpt.py" --config $1 --mode $2 --threads $3 --steps $5 --warmup 3 \
    >"$W/t.out" 2>"$W/t.time"
  echo "$(field tok_per_s_median <"$W/t.out") $(rss "$W/t.time")"
}

ours_run() { # preset threads steps [-bf16] -> "tok/s rss_kb mfu"
  /usr/bin/time -v "$W/torchgpt" speed -model $1 -threads $2 -steps $3 -warmup 3 ${4:-} >"$W/o.out" 2>"$W/o.time"
  echo "$(field tok_per_s_median <"$W/o.out") $(rss "$W/o.time") $(field mfu <"$W/o.out")"
}

printf "%-10s %3s | %14s %10s | %14s %10s %6s %6s | %14s %6s %6s\n" config thr "torch tok/s" "torch RSS" "ours f32 tok/s" "ours RSS" ratio MFU "ours bf16" ratio MFU
for T in 1 2; do
  for spec in "tiny gpt gpt-tiny" "small gpt gpt-small" "tiny mlm bert-tiny"; do
    set -- $spec
    steps=$STEPS
    [ $1 = small ] && steps=$(( (STEPS + 1) / 2 ))
    best=0; brss=0; bset=""
    if [ $T = 1 ]; then combos="1/1"; else combos="1/2 2/1 2/2"; fi
    for c in $combos; do
      read -r tps r < <(torch_run $1 $2 ${c%/*} ${c#*/} $steps)
      if awk "BEGIN{exit !($tps > $best)}"; then best=$tps; brss=$r; bset=$c; fi
    done
    read -r f32 frss fmfu < <(ours_run $3 $T $steps)
    read -r b16 brss16 bmfu < <(ours_run $3 $T $steps -bf16)
    printf "%-10s %3s | %8.0f (%s) %10s | %14.0f %10s %5.2fx %6s | %14.0f %5.2fx %6s\n" $3 $T $best $bset $brss \
      $f32 $frss "$(awk "BEGIN{print $f32/$best}")" $fmfu $b16 "$(awk "BEGIN{print $b16/$best}")" $bmfu
  done
done
echo "# RSS in kB (peak, /usr/bin/time -v); torch (O/B) = its best OMP/OpenBLAS threads; ratio = ours / torch f32; loadavg after: $(cut -d' ' -f1-3 /proc/loadavg)"
