// Reference ids for the exported tokenizers of builtin/hf, by Hugging Face's
// Rust tokenizers (npm tokenizers@0.23.2). Run through gen_tokenizers.sh.
// Reads gpt2.tokenizer.json and bert.tokenizer.json (what hf.Save writes for
// the golden directories; TestExportedTokenizers keeps them current) and
// texts.json, and writes reference.json: for each tokenizer and text, the ids
// without added special tokens, the tokens, and the decoded text.
'use strict'
const fs = require('fs')
const path = require('path')
const [here, work] = process.argv.slice(2)
const tk = require(path.join(work, 'node_modules', 'tokenizers'))

async function main() {
  const texts = JSON.parse(fs.readFileSync(path.join(here, 'texts.json'), 'utf8'))
  const out = {}
  for (const name of ['gpt2', 'bert']) {
    const tok = tk.Tokenizer.fromFile(path.join(here, name + '.tokenizer.json'))
    out[name] = []
    for (const text of texts) {
      const enc = await tok.encode(text, null, { addSpecialTokens: false })
      const ids = enc.getIds()
      out[name].push({ text, ids, tokens: enc.getTokens(), decoded: await tok.decode(ids, false) })
    }
  }
  fs.writeFileSync(path.join(here, 'reference.json'), JSON.stringify(out, null, 1) + '\n')
}
main().catch((e) => { console.error(e); process.exit(1) })
