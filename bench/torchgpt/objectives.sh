#!/bin/bash
# Longer training runs of the transformer objectives on the embedded Austen
# corpus (byte-level, `pretrain train` defaults: seq-len 128, batch 16, AdamW
# lr 1e-3 with warm-up and cosine decay), one after another, each keeping
# its metrics.jsonl and loss.svg. The CI tests (builtin/lm) run the same
# objectives for seconds; these runs are the curves recorded in README.md.
#
# Run from the repository root:  bash bench/torchgpt/objectives.sh
# Env: W (default ${TMPDIR:-/tmp}/pretrain_objectives), STEPS (default 300),
#      OBJECTIVES (default "clm mlm electra contrastive"), THREADS (default 2).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
W=${W:-${TMPDIR:-/tmp}/pretrain_objectives}
STEPS=${STEPS:-300}
THREADS=${THREADS:-2}
mkdir -p "$W"
cd "$ROOT"
go build -o "$W/pretrain" ./cmd/pretrain
for o in ${OBJECTIVES:-clm mlm electra contrastive}; do
  rm -rf "$W/$o"
  "$W/pretrain" train --objective $o --steps $STEPS --threads $THREADS --log-every 10 --out "$W/$o" 2>/dev/null | tail -1
  # first and last logged training losses
  echo "$o: loss $(head -1 "$W/$o/metrics.jsonl" | sed -n 's/.*"loss":\([0-9.e+-]*\).*/\1/p') -> $(grep '"loss"' "$W/$o/metrics.jsonl" | tail -1 | sed -n 's/.*"loss":\([0-9.e+-]*\).*/\1/p'); curve $W/$o/loss.svg"
done
