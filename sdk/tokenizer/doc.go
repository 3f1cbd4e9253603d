// Package tokenizer turns text into token ids and back.
//
// It provides byte-level BPE compatible with GPT-2 and tiktoken (r50k, p50k,
// cl100k, o200k), WordPiece compatible with BERT, training of both from a
// corpus, Hugging Face tokenizer.json load and save, and a word-level
// vocabulary for word2vec and GloVe.
//
// Every subword tokenizer implements [Tokenizer]; ids are plain ints. The
// API has no generics so that yaegi scripts can use all of it:
//
//	tok, err := tokenizer.LoadTiktoken("r50k_base.tiktoken", "r50k_base")
//	ids := tok.Encode("Hello world")
//	text := tok.Decode(ids)
//
// Encoding and decoding are safe for concurrent use; EncodeBatch encodes
// many texts on all cores. The setters (AddSpecial, SetAddPrefixSpace,
// SetUnknown, ...) configure a tokenizer before use and must not run
// concurrently with encoding.
//
// Compatibility, checked by the tests against the reference
// implementations: r50k_base and cl100k_base ids equal tiktoken's (the
// golden encodings of gpt-tokenizer), GPT-2 encoder.json + vocab.bpe give
// the same ids, and WordPiece ids equal Hugging Face tokenizers' with the
// bert-base-uncased vocabulary. Parsers of outside input (tokenizer.json, vocab.txt,
// encoder.json, vocab.bpe, .tiktoken) return a *ParseError naming the file
// and the position, never panic.
package tokenizer

import (
	"fmt"
)

// Tokenizer is what every subword tokenizer of this package provides.
type Tokenizer interface {
	// Encode returns the ids of text. Special tokens written literally in
	// text (such as "<|endoftext|>" or "[SEP]") become their ids.
	Encode(text string) []int
	// EncodeBatch encodes texts in parallel on GOMAXPROCS goroutines.
	EncodeBatch(texts []string) [][]int
	// Decode returns the text of ids; ids outside the vocabulary are skipped.
	Decode(ids []int) string
	// VocabSize is one more than the largest id.
	VocabSize() int
	// TokenID returns the id of a token as written in the vocabulary.
	TokenID(token string) (int, bool)
	// Token returns the vocabulary form of id ("" and false if unknown).
	Token(id int) (string, bool)
	// SpecialTokens lists the special tokens in id order.
	SpecialTokens() []string
	// Save writes the tokenizer as a Hugging Face tokenizer.json file.
	Save(path string) error
	// String describes the tokenizer in one line.
	String() string
}

// ParseError reports malformed input: a vocabulary, merges, ranks or
// tokenizer.json file. Line and Col are 1-based; zero means unknown.
type ParseError struct {
	File string // file name, or a description of the reader
	Line int    // 1-based line, 0 if not applicable
	Col  int    // 1-based column or byte offset within Line, 0 if unknown
	Msg  string // what is wrong
}

func (e *ParseError) Error() string {
	switch {
	case e.Line > 0 && e.Col > 0:
		return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Msg)
	case e.Line > 0:
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	case e.Col > 0:
		return fmt.Sprintf("%s: offset %d: %s", e.File, e.Col, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

func parseErr(file string, line, col int, format string, args ...any) *ParseError {
	return &ParseError{File: file, Line: line, Col: col, Msg: fmt.Sprintf(format, args...)}
}
