#!/usr/bin/python3
"""Summarise `wordvec eval` output: quality_CORPUS.txt files holding RESULT lines for vector
files named TOOL_CORPUS_MODEL_t2_rN.bin (TOOL: c = word2vec.c, g = gensim, o = ours).
usage: quality_summary.py CORPUS... (run in the work dir)"""
import sys, re, statistics, collections
tools = {"c": "word2vec.c", "g": "gensim", "o": "ours"}
for corpus in sys.argv[1:]:
    res = collections.defaultdict(list)
    for line in open(f"quality_{corpus}.txt"):
        m = re.match(r"RESULT eval (\w)_(\w+?)_(\w+)_t2_r\d+\.bin .*?analogy=([\d.]+)% \((\d+)/(\d+)\).*?wordsim353=([-\d.]+) \((\d+)/(\d+)\) simlex999=([-\d.]+) \((\d+)/(\d+)\)", line)
        if m:
            res[(m.group(3), tools[m.group(1)])].append((float(m.group(4)), 100*float(m.group(7)), 100*float(m.group(10))))
            cov = f"analogy answered {m.group(6)} questions, wordsim353 {m.group(8)}/{m.group(9)}, simlex999 {m.group(11)}/{m.group(12)}"
    print(f"{corpus}: {cov}")
    print(f"  {'model':6} {'tool':11} {'n':>2} {'analogy %':>14} {'wordsim353':>14} {'simlex999':>14}")
    def ms(v): return f"{statistics.mean(v):6.2f} ± {statistics.stdev(v) if len(v) > 1 else 0:4.2f}"
    for (model, tool), v in sorted(res.items()):
        cols = list(zip(*v))
        print(f"  {model:6} {tool:11} {len(v):>2} {ms(cols[0]):>14} {ms(cols[1]):>14} {ms(cols[2]):>14}")
    for model in ("sg", "cbow"):
        o, c = res.get((model, "ours")), res.get((model, "word2vec.c"))
        if o and c:
            d = [statistics.mean(x) - statistics.mean(y) for x, y in zip(zip(*o), zip(*c))]
            print(f"  gap {model:4} ours - word2vec.c: analogy {d[0]:+.2f}, wordsim353 {d[1]:+.2f}, simlex999 {d[2]:+.2f} points (target: |gap| <= 1.5 or better)")
