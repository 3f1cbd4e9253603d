package finetune

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/pretrain-go/pretrain/sdk/checkpoint"
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
	Kind  string              // "bytes", "tokenizer.json" or "words"
	Tok   tokenizer.Tokenizer // nil for bytes and words
	Vocab int                 // ids are below Vocab
	Pad   int                 // padding id

	words []string       // "words": the vocabulary in id order
	index map[string]int // "words": word -> id
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
	if t.Kind == "words" {
		return encodeWords(t, text)
	}
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
	if t.Kind == "words" {
		return -1
	}
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
	if t.Kind == "words" {
		return fmt.Sprintf("Tokens(words, vocab=%d)", len(t.words))
	}
	if t.Tok == nil {
		return fmt.Sprintf("Tokens(bytes, vocab=%d)", t.Vocab)
	}
	return fmt.Sprintf("Tokens(%v, pad=%d)", t.Tok, t.Pad)
}

// save writes the tokenizer into dir (nothing for bytes) and returns the
// config.json value naming it.
func (t *Tokens) save(dir string) (string, error) {
	if t.Kind == "words" {
		return "words", checkpoint.WriteFileAtomic(filepath.Join(dir, WordsFile), func(w io.Writer) error {
			for _, word := range t.words {
				if _, err := io.WriteString(w, word+"\n"); err != nil {
					return err
				}
			}
			return nil
		})
	}
	if t.Tok == nil {
		return "bytes", nil
	}
	return TokenizerFile, t.Tok.Save(filepath.Join(dir, TokenizerFile))
}

// TokenizerPath resolves the tokenization a checkpoint directory's
// config.json names: bytes reports byte-level ids ("tokenizer": "bytes");
// otherwise path is the named file taken relative to dir (an absolute
// name as is), else dir/tokenizer.json, which is also used when the
// config names none. Never a file of the working directory. No tokenizer
// to be found is an error naming what was looked for.
func TokenizerPath(dir string, cfg map[string]any) (path string, bytes bool, err error) {
	kind, _ := cfg["tokenizer"].(string)
	if kind == "bytes" {
		return "", true, nil
	}
	var tried []string
	if kind != "" {
		p := kind
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, kind)
		}
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p, false, nil
		}
		tried = append(tried, p)
	}
	p := filepath.Join(dir, TokenizerFile)
	if _, err := os.Stat(p); err == nil {
		return p, false, nil
	}
	tried = append(tried, p)
	if kind == "" {
		return "", false, fmt.Errorf("%s: no tokenizer: config.json names none and there is no %s", dir, p)
	}
	return "", false, fmt.Errorf("%s: config.json names tokenizer %q but there is no %s", dir, kind, strings.Join(tried, " nor "))
}

// loadTokens reads the tokenization a checkpoint's config names (see
// TokenizerPath).
func loadTokens(dir string, cfg map[string]any) (*Tokens, error) {
	if kind, _ := cfg["tokenizer"].(string); kind == "words" {
		return loadWordTokens(dir)
	}
	path, bytes, err := TokenizerPath(dir, cfg)
	if err != nil {
		return nil, err
	}
	if bytes {
		return ByteTokens(), nil
	}
	tok, err := tokenizer.Load(path)
	if err != nil {
		return nil, err
	}
	return NewTokens(tok), nil
}
