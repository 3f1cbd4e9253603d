#!/bin/bash
# Quality only, more runs: trains each tool N times with 2 threads on the
# corpora of run.sh (same hyper-parameters) and reports analogy accuracy and
# WordSim353/SimLex-999 Spearman as mean ± sd, and our gap to word2vec.c.
# word2vec.c has no seed flag, so its runs differ only by thread timing;
# gensim and ours get seeds 1..N.
# Run from the repository root after run.sh (it reuses run.sh's work dir,
# binaries and corpora):  N=4 bash bench/wordvec/quality.sh
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
W=${W:-${TMPDIR:-/tmp}/pretrain_wordvec}
N=${N:-4}
CORPORA=${CORPORA:-brown austen}
DATA=${DATA:-$ROOT/../shared/data}
PY=/usr/bin/python3
cd "$W"
[ -x w2v/package/src/word2vec ] && [ -x wordvec ] || { echo "run bench/wordvec/run.sh first" >&2; exit 1; }
(cd "$ROOT" && go build -o "$W/wordvec" ./bench/wordvec)
mkdir -p quality && cd quality
for c in $CORPORA; do
  for model in sg cbow; do
    cbow=0; sg=1; [ $model = cbow ] && { cbow=1; sg=0; }
    for r in $(seq "$N"); do
      ../w2v/package/src/word2vec -train ../$c.txt -output c_${c}_${model}_t2_r$r.bin -cbow $cbow -size 100 -window 5 \
        -negative 5 -hs 0 -sample 1e-3 -iter 5 -min-count 5 -threads 2 -binary 1 >/dev/null
      $PY "$ROOT/bench/wordvec/gensim_w2v.py" ../$c.txt $sg 2 g_${c}_${model}_t2_r$r.bin corpus_file $r >/dev/null
      ../wordvec train -corpus ../$c.txt -model $model -threads 2 -seed $r -out o_${c}_${model}_t2_r$r.bin >/dev/null
    done
  done
  ../wordvec eval -questions "$DATA/eval/questions-words.txt" -wordsim "$DATA/eval/wordsim353.tsv" \
    -simlex "$DATA/eval/simlex999.txt" ?_${c}_*_t2_r*.bin > quality_$c.txt
done
echo "## Quality of 2-thread vectors, mean ± sd over $N runs per tool (Spearman x100)"
$PY "$ROOT/bench/wordvec/quality_summary.py" $CORPORA
