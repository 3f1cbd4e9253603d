#!/usr/bin/env bash
# Side-by-side speed of sdk/tokenizer and Hugging Face tokenizers
# (npm tokenizers@0.23.2, Rust, prebuilt) on the Austen corpus:
#   - encode MB/s, BPE (r50k/GPT-2) and WordPiece (bert-base-uncased),
#     1 thread and all threads, with the ratio ours/HF;
#   - id parity: both tokenizers' ids for every line must be identical
#     (r50k and cl100k loaded by HF from our tokenizer.json, WordPiece from vocab.txt);
#   - BPE training time on the six novels: ours to 16k and 30k, HF's
#     trainer at its defaults (the node binding cannot set a vocab size).
# Usage: bash bench/tokenizer/run.sh   (AUSTEN=dir to use another copy)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
austen=${AUSTEN:-$root/../shared/data/austen}
threads=$(nproc)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
npm init -y >/dev/null
npm install --silent --no-save --no-audit --no-fund tokenizers@0.23.2 >/dev/null
cd "$root"
go build -o "$work/pretrain" ./cmd/pretrain
"$work/pretrain" tokenizer convert -t sdk/tokenizer/testdata/r50k_base.tiktoken.gz -o "$work/r50k.json" >/dev/null
"$work/pretrain" tokenizer convert -t sdk/tokenizer/testdata/cl100k_base.tiktoken.gz -o "$work/cl100k.json" >/dev/null
zcat sdk/tokenizer/testdata/bert-base-uncased-vocab.txt.gz >"$work/vocab.txt"
cat "$austen"/*.txt | grep -v '^$' >"$work/austen_lines.txt"

echo "== machine: $(nproc) CPUs, $(uptime | sed 's/.*load/load/') (other load skews both sides)"
echo "== HF tokenizers 0.23.2, 1 thread (TOKENIZERS_PARALLELISM=false)"
TOKENIZERS_PARALLELISM=false node bench/tokenizer/hf_bench.js "$work/node_modules" "$work" encode | tee "$work/hf1.txt"
echo "== HF tokenizers 0.23.2, $threads threads"
TOKENIZERS_PARALLELISM=true RAYON_NUM_THREADS=$threads node bench/tokenizer/hf_bench.js "$work/node_modules" "$work" encode | tee "$work/hfN.txt"

echo "== parity: ids of every Austen line, ours vs HF"
"$work/pretrain" tokenizer encode -t "$work/r50k.json" -i "$work/austen_lines.txt" >"$work/go_bpe.ids"
"$work/pretrain" tokenizer encode -t "$work/vocab.txt" -i "$work/austen_lines.txt" >"$work/go_wordpiece.ids"
"$work/pretrain" tokenizer encode -t "$work/cl100k.json" -i "$work/austen_lines.txt" >"$work/go_cl100k.ids"
for k in bpe wordpiece cl100k; do
  if cmp -s "$work/go_$k.ids" "$work/hf_$k.ids"; then
    echo "$k: identical ($(wc -l <"$work/hf_$k.ids") lines)"
  else
    echo "$k: DIFFERENT: $(diff "$work/go_$k.ids" "$work/hf_$k.ids" | grep -c '^<') lines differ"
  fi
done

echo "== ours (go test -bench, EncodeBatch over the same lines)"
go test ./sdk/tokenizer/ -run '^$' -bench 'Benchmark(EncodeBPE|EncodeWordPiece)$' -benchtime 10x -cpu "1,$threads" | tee "$work/go.txt"

echo "== ratios ours/HF (MB/s)"
hf() { awk -v k="$2" '$2 == k {print $3}' "$1"; }
go_mbs() { awk -v k="$1" '$1 == k {for (i = 1; i <= NF; i++) if ($(i+1) == "MB/s") print $i}' "$work/go.txt"; }
for k in bpe wordpiece; do
  name=EncodeBPE; [ $k = wordpiece ] && name=EncodeWordPiece
  g1=$(go_mbs "Benchmark$name"); gN=$(go_mbs "Benchmark$name-$threads")
  h1=$(hf "$work/hf1.txt" $k); hN=$(hf "$work/hfN.txt" $k)
  awk -v k=$k -v g1="$g1" -v h1="$h1" -v gN="$gN" -v hN="$hN" -v t="$threads" 'BEGIN {
    printf "%-10s 1 thread: ours %7.2f MB/s  HF %7.2f MB/s  ratio %.2fx | %d threads: ours %7.2f  HF %7.2f  ratio %.2fx\n", k, g1, h1, g1/h1, t, gN, hN, gN/hN }'
done

echo "== BPE training on the Austen novels"
for v in 16000 30000; do
  out=$( { /usr/bin/time -f %e "$work/pretrain" tokenizer train -vocab $v -min-freq 1 -o "$work/ours_$v.json" "$austen"/*.txt; } 2>&1)
  echo "ours train $(echo "$out" | tail -1) s for -vocab $v -min-freq 1: $(echo "$out" | head -1 | sed 's/ ->.*//')"
done
node bench/tokenizer/hf_bench.js "$work/node_modules" "$work" train "$austen"/*.txt
node bench/tokenizer/hf_bench.js "$work/node_modules" "$work" compare "$work/ours_30000.json"
