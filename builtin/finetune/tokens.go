package finetune

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/pretrain-go/pretrain/sdk/tokenizer"
)

// Byte-level ids used by `pretrain train` for registry objectives: 0-255
// are bytes, then the special tokens; the vocabulary is 384 wide.
const (
	ByteVocab = 384
	BytePad   = 256
	ByteMask  = 257
)

// TokenizerFile is the tokenizer saved beside a model that uses a subword
// tokenizer.
const TokenizerFile = "tokenizer.json"

// Tokens turns text into a backbone's input ids: UTF-8 bytes ("bytes", as
// `pretrain train` does) or a subword tokenizer loaded from tokenizer.json.
type Tokens struct {
	Kind  string              // "bytes" or "tokenizer.json"
	Tok   tokenizer.Tokenizer // nil for bytes
	Vocab int                 // ids are below Vocab
	Pad   int                 // padding id
}

// ByteTokens returns the byte-level tokenization of `pretrain train`.
func ByteTokens() *Tokens { return &Tokens{Kind: "bytes", Vocab: ByteVocab, Pad: BytePad} }

// NewTokens wraps a subword tokenizer; its padding id is the first of
// "<pad>", "[PAD]", "<|endoftext|>" that it knows, else 0.
func NewTokens(tok tokenizer.Tokenizer) *Tokens {
	t := &Tokens{Kind: TokenizerFile, Tok: tok, Vocab: tok.VocabSize()}
	for _, p := range []string{"<pad>", "[PAD]", "<|endoftext|>"} {
		if id, ok := tok.TokenID(p); ok {
			t.Pad = id
			break
		}
	}
	return t
}

// Encode returns the ids of text.
func (t *Tokens) Encode(text string) []int {
	if t.Tok != nil {
		return t.Tok.Encode(text)
	}
	ids := make([]int, len(text))
	for i := 0; i < len(text); i++ {
		ids[i] = int(text[i])
	}
	return ids
}

// MaskID returns the id of a mask token ("<mask>", "[MASK]"), or -1.
func (t *Tokens) MaskID() int {
	if t.Tok == nil {
		return ByteMask
	}
	for _, p := range []string{"<mask>", "[MASK]"} {
		if id, ok := t.Tok.TokenID(p); ok {
			return id
		}
	}
	return -1
}

// String describes the tokenization.
func (t *Tokens) String() string {
	if t.Tok == nil {
		return fmt.Sprintf("Tokens(bytes, vocab=%d)", t.Vocab)
	}
	return fmt.Sprintf("Tokens(%v, pad=%d)", t.Tok, t.Pad)
}

// save writes the tokenizer into dir (nothing for bytes) and returns the
// config.json value naming it.
func (t *Tokens) save(dir string) (string, error) {
	if t.Tok == nil {
		return "bytes", nil
	}
	return TokenizerFile, t.Tok.Save(filepath.Join(dir, TokenizerFile))
}

// loadTokens reads the tokenization a checkpoint's config names: "bytes",
// or tokenizer.json beside it (also when the config does not say).
func loadTokens(dir string, cfg map[string]any) (*Tokens, error) {
	kind, _ := cfg["tokenizer"].(string)
	if kind == "bytes" {
		return ByteTokens(), nil
	}
	path := filepath.Join(dir, TokenizerFile)
	if _, err := os.Stat(path); err != nil {
		if kind == "" {
			return nil, fmt.Errorf("%s: no tokenizer: config.json names none and there is no %s", dir, TokenizerFile)
		}
		return nil, fmt.Errorf("%s: config.json names tokenizer %q but %s is missing", dir, kind, path)
	}
	tok, err := tokenizer.Load(path)
	if err != nil {
		return nil, err
	}
	return NewTokens(tok), nil
}
