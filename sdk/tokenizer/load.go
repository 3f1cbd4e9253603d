package tokenizer

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// readFile reads a whole (small) vocabulary file, gunzipping names ending
// in .gz.
func readFile(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if strings.HasSuffix(path, ".gz") {
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		data, err = io.ReadAll(zr)
		if err != nil {
			return nil, fmt.Errorf("%s: gzip: %w (truncated or corrupt file)", path, err)
		}
	}
	return data, nil
}

// tiktokenSpecials are the special tokens of the known tiktoken encodings.
var tiktokenEncodings = map[string]struct {
	split    string
	specials map[string]int
}{
	"r50k_base":   {SplitGPT2, map[string]int{"<|endoftext|>": 50256}},
	"gpt2":        {SplitGPT2, map[string]int{"<|endoftext|>": 50256}},
	"p50k_base":   {SplitGPT2, map[string]int{"<|endoftext|>": 50256}},
	"cl100k_base": {SplitCL100K, map[string]int{"<|endoftext|>": 100257, "<|fim_prefix|>": 100258, "<|fim_middle|>": 100259, "<|fim_suffix|>": 100260, "<|endofprompt|>": 100276}},
	"o200k_base":  {SplitO200K, map[string]int{"<|endoftext|>": 199999, "<|endofprompt|>": 200018}},
}

// LoadTiktoken loads a .tiktoken rank file (optionally .gz) for a known
// encoding: "r50k_base" (or "gpt2"), "p50k_base", "cl100k_base" or
// "o200k_base", which sets the split pattern and the special tokens. Any
// other encoding name is taken as a split pattern name (SplitGPT2, ...)
// with no special tokens.
func LoadTiktoken(path, encoding string) (*BPE, error) {
	data, err := readFile(path)
	if err != nil {
		return nil, err
	}
	return ParseTiktoken(data, path, encoding)
}

// ParseTiktoken parses the contents of a .tiktoken file ("base64 rank"
// per line); name is used in errors. See LoadTiktoken for encoding.
func ParseTiktoken(data []byte, name, encoding string) (*BPE, error) {
	split, specials := encoding, map[string]int(nil)
	if e, ok := tiktokenEncodings[encoding]; ok {
		split, specials = e.split, e.specials
	}
	if _, ok := splitByName(split); !ok {
		return nil, fmt.Errorf("tokenizer: %s: unknown encoding or split %q", name, encoding)
	}
	var tokens []string
	// Ranks are dense in real files; a bound from the line count keeps a
	// corrupt rank from allocating a huge table.
	limit := 2*bytes.Count(data, []byte("\n")) + 1024
	line := 0
	for len(data) > 0 {
		line++
		var l []byte
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			l, data = data[:i], data[i+1:]
		} else {
			l, data = data, nil
		}
		l = bytes.TrimSuffix(l, []byte("\r"))
		if len(l) == 0 {
			continue
		}
		sp := bytes.IndexByte(l, ' ')
		if sp < 0 {
			return nil, parseErr(name, line, 1, "want \"base64 rank\", got %q", clip(l))
		}
		tok, err := base64.StdEncoding.DecodeString(string(l[:sp]))
		if err != nil || len(tok) == 0 {
			return nil, parseErr(name, line, 1, "bad base64 token %q", clip(l[:sp]))
		}
		rank, err := strconv.Atoi(string(l[sp+1:]))
		if err != nil || rank < 0 {
			return nil, parseErr(name, line, sp+2, "bad rank %q", clip(l[sp+1:]))
		}
		if rank >= limit {
			return nil, parseErr(name, line, sp+2, "rank %d is too large for a file of %d lines", rank, limit/2-512)
		}
		for len(tokens) <= rank {
			tokens = append(tokens, "")
		}
		if tokens[rank] != "" {
			return nil, parseErr(name, line, sp+2, "rank %d given twice", rank)
		}
		tokens[rank] = string(tok)
	}
	b, err := NewBPE(tokens, nil, split)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	b.name = encoding
	for tok, id := range specials {
		if err := b.AddSpecial(tok, id); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	return b, nil
}

func clip(b []byte) string {
	if len(b) > 40 {
		return string(b[:40]) + "..."
	}
	return string(b)
}

// LoadGPT2 loads GPT-2's encoder.json and vocab.bpe (either may be .gz).
// "<|endoftext|>" becomes a special token when present.
func LoadGPT2(encoderJSON, vocabBPE string) (*BPE, error) {
	enc, err := readFile(encoderJSON)
	if err != nil {
		return nil, err
	}
	merges, err := readFile(vocabBPE)
	if err != nil {
		return nil, err
	}
	return ParseGPT2(enc, encoderJSON, merges, vocabBPE)
}

// ParseGPT2 parses the contents of encoder.json and vocab.bpe; the names
// are used in errors.
func ParseGPT2(encoderJSON []byte, encName string, vocabBPE []byte, bpeName string) (*BPE, error) {
	var vocab map[string]int
	if err := json.Unmarshal(encoderJSON, &vocab); err != nil {
		return nil, jsonError(encName, encoderJSON, err)
	}
	tokens, byName, err := byteLevelVocab(vocab, encName)
	if err != nil {
		return nil, err
	}
	merges, err := parseMergesText(vocabBPE, bpeName, byName)
	if err != nil {
		return nil, err
	}
	var specials []string
	if id, ok := vocab["<|endoftext|>"]; ok {
		tokens[id] = ""
		specials = append(specials, "<|endoftext|>")
	}
	b, err := NewBPE(tokens, merges, SplitGPT2)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", encName, err)
	}
	b.name = "gpt2"
	for _, s := range specials {
		if err := b.AddSpecial(s, vocab[s]); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// byteLevelVocab turns a byte-level vocabulary (token → id) into raw-byte
// tokens indexed by id.
func byteLevelVocab(vocab map[string]int, name string) ([]string, map[string]int, error) {
	maxid := -1
	limit := 2*len(vocab) + 1024
	for tok, id := range vocab {
		if id < 0 || id >= limit {
			return nil, nil, parseErr(name, 0, 0, "token %q has bad id %d", tok, id)
		}
		if id > maxid {
			maxid = id
		}
	}
	tokens := make([]string, maxid+1)
	for tok, id := range vocab {
		raw, ok := byteLevelDecode(tok)
		if !ok || raw == "" {
			return nil, nil, parseErr(name, 0, 0, "token %q (id %d) is not in the byte-level alphabet", tok, id)
		}
		if tokens[id] != "" {
			return nil, nil, parseErr(name, 0, 0, "id %d is given to two tokens", id)
		}
		tokens[id] = raw
	}
	return tokens, vocab, nil
}

// parseMergesText parses "left right" lines (vocab.bpe); a first line
// starting with "#version" is skipped.
func parseMergesText(data []byte, name string, vocab map[string]int) ([][2]int, error) {
	var merges [][2]int
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		l := strings.TrimSuffix(sc.Text(), "\r")
		if line == 1 && strings.HasPrefix(l, "#version") || l == "" {
			continue
		}
		m, err := mergePair(strings.Split(l, " "), vocab)
		if err != nil {
			return nil, parseErr(name, line, 1, "%v", err)
		}
		merges = append(merges, m)
	}
	if err := sc.Err(); err != nil {
		return nil, parseErr(name, line+1, 0, "%v", err)
	}
	return merges, nil
}

func mergePair(parts []string, vocab map[string]int) ([2]int, error) {
	if len(parts) != 2 || parts[0] == "" || parts[1] == "" {
		return [2]int{}, fmt.Errorf("want two tokens separated by one space, got %q", strings.Join(parts, " "))
	}
	l, ok := vocab[parts[0]]
	if !ok {
		return [2]int{}, fmt.Errorf("merge token %q is not in the vocabulary", parts[0])
	}
	r, ok := vocab[parts[1]]
	if !ok {
		return [2]int{}, fmt.Errorf("merge token %q is not in the vocabulary", parts[1])
	}
	if _, ok := vocab[parts[0]+parts[1]]; !ok {
		return [2]int{}, fmt.Errorf("merge result %q is not in the vocabulary", parts[0]+parts[1])
	}
	return [2]int{l, r}, nil
}

// jsonError converts an encoding/json error to a ParseError with line and
// column.
func jsonError(name string, data []byte, err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	off := int64(-1)
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
	}
	if off < 0 {
		return parseErr(name, 0, 0, "%v", err)
	}
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	line, col := lineCol(data, int(off))
	return parseErr(name, line, col, "%v", err)
}

func lineCol(data []byte, off int) (int, int) {
	before := data[:off]
	line := bytes.Count(before, []byte("\n")) + 1
	col := off - bytes.LastIndexByte(before, '\n')
	return line, col
}
