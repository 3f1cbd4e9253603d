// Hugging Face tokenizers (npm tokenizers@0.23.2) side of run.sh.
// Usage: node hf_bench.js MODULE_DIR WORK_DIR MODE
//   MODE encode: best-of-5 encodeBatch MB/s for BPE (r50k), WordPiece and cl100k, and
//                the ids of every line written for the parity check;
//   MODE train:  seconds for BpeTrainer (defaults) on the Austen files;
//   MODE compare OURS.json: merges shared with the tokenizer HF trained.
'use strict'
const fs = require('fs')
const path = require('path')
const [mod, work, mode, ...files] = process.argv.slice(2)
const tk = require(path.join(mod, 'tokenizers'))

async function encode() {
  const lines = fs.readFileSync(path.join(work, 'austen_lines.txt'), 'utf8').split('\n').filter((l) => l !== '')
  const bytes = lines.reduce((n, l) => n + Buffer.byteLength(l), 0)
  const bpe = tk.Tokenizer.fromFile(path.join(work, 'r50k.json'))
  const wpModel = await tk.WordPiece.fromFile(path.join(work, 'vocab.txt'), { unkToken: '[UNK]' })
  const wp = new tk.Tokenizer(wpModel)
  wp.setNormalizer(tk.bertNormalizer({ lowercase: true }))
  wp.setPreTokenizer(tk.bertPreTokenizer())
  wp.addSpecialTokens(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'])
  const cl100k = tk.Tokenizer.fromFile(path.join(work, 'cl100k.json'))
  for (const [name, tok] of [['bpe', bpe], ['wordpiece', wp], ['cl100k', cl100k]]) {
    const opts = { addSpecialTokens: false }
    const first = await tok.encodeBatch(lines, opts)
    fs.writeFileSync(path.join(work, `hf_${name}.ids`), first.map((e) => e.getIds().join(' ')).join('\n') + '\n')
    let best = Infinity
    for (let r = 0; r < 5; r++) {
      const t0 = process.hrtime.bigint()
      await tok.encodeBatch(lines, opts)
      best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e9)
    }
    console.log(`hf ${name} ${(bytes / best / 1e6).toFixed(2)} MB/s (${bytes} bytes, ${lines.length} lines, best of 5: ${best.toFixed(3)} s)`)
  }
}

function train() {
  const tok = new tk.Tokenizer(tk.BPE.empty())
  tok.setPreTokenizer(tk.byteLevelPreTokenizer(false, true))
  const t0 = process.hrtime.bigint()
  tok.train(files)
  const s = Number(process.hrtime.bigint() - t0) / 1e9
  console.log(`hf train ${s.toFixed(2)} s vocab ${tok.getVocabSize()} (BpeTrainer defaults: vocab_size 30000, min_frequency 0)`)
  tok.save(path.join(work, 'hf_trained.json'))
}

// compare prints how many of the first n merges of HF's trained tokenizer
// and ours agree, as a set and position by position.
function compare(ours) {
  const norm = (m) => (typeof m === 'string' ? m : m.join(' '))
  const h = JSON.parse(fs.readFileSync(path.join(work, 'hf_trained.json'), 'utf8')).model.merges.map(norm)
  const o = JSON.parse(fs.readFileSync(ours, 'utf8')).model.merges.map(norm)
  for (const n of [1000, 16000]) {
    const hs = new Set(h.slice(0, n))
    const same = o.slice(0, n).filter((m) => hs.has(m)).length
    let pos = 0
    while (pos < n && h[pos] === o[pos]) pos++
    console.log(`first ${n} merges: ${same} shared with HF's trainer; identical order up to merge ${pos} (ties are broken differently)`)
  }
}

if (mode === 'train') train()
else if (mode === 'compare') compare(files[0])
else encode().catch((e) => { console.error(e); process.exit(1) })
