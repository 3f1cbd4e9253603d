package tokenizer

import (
	"bytes"
	"fmt"
	"strings"
)

// Open loads a tokenizer of any supported kind, chosen by the file name:
//   - "encoder.json,vocab.bpe" (two paths, comma-separated): GPT-2 files;
//   - *.tiktoken: a tiktoken rank file, encoding as in LoadTiktoken
//     (empty: guessed from the file name, else "r50k_base");
//   - *.txt: a BERT vocab.txt, lower-cased unless the name contains "cased"
//     without "uncased";
//   - anything else: a Hugging Face tokenizer.json.
//
// A trailing .gz is allowed everywhere.
func Open(path, encoding string) (Tokenizer, error) {
	if enc, merges, ok := strings.Cut(path, ","); ok {
		return LoadGPT2(enc, merges)
	}
	base := strings.TrimSuffix(path, ".gz")
	switch {
	case strings.HasSuffix(base, ".tiktoken"):
		if encoding == "" {
			encoding = "r50k_base"
			for name := range tiktokenEncodings {
				if strings.Contains(base, name) {
					encoding = name
				}
			}
		}
		return LoadTiktoken(path, encoding)
	case strings.HasSuffix(base, ".txt"):
		lower := !strings.Contains(base, "cased") || strings.Contains(base, "uncased")
		return LoadVocab(path, lower)
	}
	data, err := readFile(path)
	if err != nil {
		return nil, err
	}
	if !bytes.Contains(data, []byte(`"model"`)) {
		return nil, fmt.Errorf("%s: not a tokenizer.json (no \"model\"); GPT-2 files are given as encoder.json,vocab.bpe", path)
	}
	return ParseJSON(data, path)
}
