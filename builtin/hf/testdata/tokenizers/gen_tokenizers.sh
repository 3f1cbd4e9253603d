#!/usr/bin/env bash
# Regenerates reference.json with Hugging Face's tokenizers@0.23.2 from the npm
# registry, installed into a temporary folder.
# Usage: bash builtin/hf/testdata/tokenizers/gen_tokenizers.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
npm init -y >/dev/null
npm install --silent --no-save --no-audit --no-fund tokenizers@0.23.2 >/dev/null
node "$here/gen_tokenizers.js" "$here" "$work"
