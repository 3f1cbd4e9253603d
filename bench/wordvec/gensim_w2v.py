#!/usr/bin/python3
"""Time gensim Word2Vec with word2vec.c's hyper-parameters on a one-sentence-per-line corpus.
usage: gensim_w2v.py CORPUS SG(0|1) WORKERS OUT.bin MODE(corpus_file|iterable) [SEED]
words/s = raw corpus words x epochs / wall of train() (vocab building excluded, which favours gensim)."""
import sys, time, logging
from gensim.models import Word2Vec
from gensim.models.word2vec import LineSentence
import gensim
corpus, sg, workers, out, mode = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
seed = int(sys.argv[6]) if len(sys.argv) > 6 else 1
logging.basicConfig(format="%(asctime)s %(message)s", level=logging.WARNING)
alpha = 0.025 if sg else 0.05   # word2vec.c defaults for -cbow 0 / 1
m = Word2Vec(vector_size=100, window=5, negative=5, hs=0, sample=1e-3, min_count=5,
             sg=sg, cbow_mean=1, alpha=alpha, min_alpha=alpha * 1e-4, workers=workers, seed=seed)
t0 = time.perf_counter()
if mode == "corpus_file":
    m.build_vocab(corpus_file=corpus)
else:
    m.build_vocab(corpus_iterable=LineSentence(corpus))
t1 = time.perf_counter()
if mode == "corpus_file":
    trained, raw = m.train(corpus_file=corpus, total_words=m.corpus_total_words, total_examples=m.corpus_count, epochs=5)
else:
    trained, raw = m.train(LineSentence(corpus), total_examples=m.corpus_count, epochs=5)
t2 = time.perf_counter()
raw = m.corpus_total_words * 5
m.wv.save_word2vec_format(out, binary=True)
print(f"RESULT gensim-{mode} {gensim.__version__} sg={sg} workers={workers} vocab={len(m.wv)} raw_words={raw} "
      f"build_vocab_s={t1-t0:.2f} train_s={t2-t1:.3f} words_per_s={raw/(t2-t1):.0f} "
      f"loadavg={open('/proc/loadavg').read().split()[0]}", flush=True)
