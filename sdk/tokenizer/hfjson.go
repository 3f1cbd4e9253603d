package tokenizer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
)

// The Hugging Face tokenizer.json format, as far as this package reads and
// writes it: byte-level BPE (GPT-2, RoBERTa, tiktoken conversions) and
// BERT WordPiece.

type hfFile struct {
	Version       string          `json:"version"`
	Truncation    json.RawMessage `json:"truncation"`
	Padding       json.RawMessage `json:"padding"`
	AddedTokens   []hfAdded       `json:"added_tokens"`
	Normalizer    json.RawMessage `json:"normalizer"`
	PreTokenizer  json.RawMessage `json:"pre_tokenizer"`
	PostProcessor json.RawMessage `json:"post_processor"`
	Decoder       json.RawMessage `json:"decoder"`
	Model         json.RawMessage `json:"model"`
}

type hfAdded struct {
	ID         int    `json:"id"`
	Content    string `json:"content"`
	SingleWord bool   `json:"single_word"`
	LStrip     bool   `json:"lstrip"`
	RStrip     bool   `json:"rstrip"`
	Normalized bool   `json:"normalized"`
	Special    bool   `json:"special"`
}

type hfModel struct {
	Type                    string          `json:"type"`
	Vocab                   map[string]int  `json:"vocab"`
	Merges                  json.RawMessage `json:"merges"`
	UnkToken                *string         `json:"unk_token"`
	ContinuingSubwordPrefix *string         `json:"continuing_subword_prefix"`
	EndOfWordSuffix         *string         `json:"end_of_word_suffix"`
	MaxInputCharsPerWord    *int            `json:"max_input_chars_per_word"`
	IgnoreMerges            bool            `json:"ignore_merges"`
	ByteFallback            bool            `json:"byte_fallback"`
	Dropout                 *float64        `json:"dropout"`
}

// hfComponent is a normalizer, pre-tokenizer or decoder: a type and its
// options, possibly a sequence.
type hfComponent struct {
	Type           string          `json:"type"`
	AddPrefixSpace *bool           `json:"add_prefix_space"`
	UseRegex       *bool           `json:"use_regex"`
	Pattern        json.RawMessage `json:"pattern"`
	Behavior       string          `json:"behavior"`
	Invert         bool            `json:"invert"`
	PreTokenizers  []hfComponent   `json:"pretokenizers"`
	CleanText      *bool           `json:"clean_text"`
	HandleChinese  *bool           `json:"handle_chinese_chars"`
	StripAccents   *bool           `json:"strip_accents"`
	Lowercase      *bool           `json:"lowercase"`
}

// Load reads a Hugging Face tokenizer.json (or .json.gz) holding a
// byte-level BPE (pre-tokenizer ByteLevel, or Split with the GPT-2, cl100k
// or o200k pattern then ByteLevel; no normalizer) or a BERT WordPiece
// (BertNormalizer, BertPreTokenizer). Added tokens become special tokens.
// The post-processor is not applied: Encode never adds [CLS], [SEP] or
// other template tokens. Other components give a *ParseError.
func Load(path string) (Tokenizer, error) {
	data, err := readFile(path)
	if err != nil {
		return nil, err
	}
	return ParseJSON(data, path)
}

// ParseJSON parses the contents of a tokenizer.json; name is used in errors.
func ParseJSON(data []byte, name string) (Tokenizer, error) {
	var f hfFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, jsonError(name, data, err)
	}
	if len(f.Model) == 0 || string(f.Model) == "null" {
		return nil, parseErr(name, 0, 0, "no model")
	}
	var m hfModel
	if err := json.Unmarshal(f.Model, &m); err != nil {
		return nil, parseErr(name, 0, 0, "model: %v", err)
	}
	switch m.Type {
	case "BPE":
		return bpeFromJSON(&f, &m, name)
	case "WordPiece":
		return wordPieceFromJSON(&f, &m, name)
	case "":
		// Old files omit the model type; a merges list means BPE.
		if len(m.Merges) > 0 {
			return bpeFromJSON(&f, &m, name)
		}
		if m.ContinuingSubwordPrefix != nil {
			return wordPieceFromJSON(&f, &m, name)
		}
	}
	return nil, parseErr(name, 0, 0, "unsupported model type %q (want BPE or WordPiece)", m.Type)
}

func component(raw json.RawMessage, what, name string) (*hfComponent, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var c hfComponent
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, parseErr(name, 0, 0, "%s: %v", what, err)
	}
	return &c, nil
}

// bpeSplit works out the split pattern from a byte-level pre-tokenizer.
func bpeSplit(c *hfComponent, name string) (split string, prefixSpace bool, err error) {
	if c == nil {
		return "", false, parseErr(name, 0, 0, "BPE without a ByteLevel pre_tokenizer is not supported")
	}
	switch c.Type {
	case "ByteLevel":
		prefixSpace = c.AddPrefixSpace != nil && *c.AddPrefixSpace
		if c.UseRegex == nil || *c.UseRegex {
			return SplitGPT2, prefixSpace, nil
		}
		return SplitNone, prefixSpace, nil
	case "Sequence":
		if len(c.PreTokenizers) == 2 && c.PreTokenizers[0].Type == "Split" && c.PreTokenizers[1].Type == "ByteLevel" {
			sp, bl := c.PreTokenizers[0], c.PreTokenizers[1]
			if bl.UseRegex != nil && *bl.UseRegex {
				break
			}
			var pat struct{ Regex string }
			if err := json.Unmarshal(sp.Pattern, &pat); err != nil {
				break
			}
			if sp.Invert || sp.Behavior != "Isolated" && sp.Behavior != "" {
				break
			}
			for _, k := range [][2]string{{patternGPT2, SplitGPT2}, {patternCL100K, SplitCL100K}, {patternO200K, SplitO200K}} {
				if pat.Regex == k[0] {
					return k[1], bl.AddPrefixSpace != nil && *bl.AddPrefixSpace, nil
				}
			}
			return "", false, parseErr(name, 0, 0, "pre_tokenizer: Split pattern %q is not one of the GPT-2, cl100k or o200k patterns", pat.Regex)
		}
	}
	return "", false, parseErr(name, 0, 0, "pre_tokenizer %q is not supported for BPE (want ByteLevel or Sequence[Split, ByteLevel])", c.Type)
}

func bpeFromJSON(f *hfFile, m *hfModel, name string) (*BPE, error) {
	if m.ContinuingSubwordPrefix != nil && *m.ContinuingSubwordPrefix != "" || m.EndOfWordSuffix != nil && *m.EndOfWordSuffix != "" {
		return nil, parseErr(name, 0, 0, "BPE with a subword prefix or suffix is not supported (only byte-level BPE)")
	}
	if m.ByteFallback {
		return nil, parseErr(name, 0, 0, "BPE byte_fallback is not supported (only byte-level BPE)")
	}
	if nm, err := component(f.Normalizer, "normalizer", name); err != nil {
		return nil, err
	} else if nm != nil {
		return nil, parseErr(name, 0, 0, "normalizer %q is not supported for BPE (byte-level BPE has none)", nm.Type)
	}
	pre, err := component(f.PreTokenizer, "pre_tokenizer", name)
	if err != nil {
		return nil, err
	}
	split, prefixSpace, err := bpeSplit(pre, name)
	if err != nil {
		return nil, err
	}
	added := map[int]bool{}
	for _, a := range f.AddedTokens {
		added[a.ID] = true
	}
	vocab := make(map[string]int, len(m.Vocab))
	for tok, id := range m.Vocab {
		if !added[id] {
			vocab[tok] = id
		}
	}
	tokens, _, err := byteLevelVocab(vocab, name)
	if err != nil {
		return nil, err
	}
	merges, err := parseJSONMerges(m.Merges, name, vocab)
	if err != nil {
		return nil, err
	}
	b, err := NewBPE(tokens, merges, split)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	b.ignoreMerges = m.IgnoreMerges
	b.prefixSpace = prefixSpace
	b.name = "tokenizer.json"
	for _, a := range f.AddedTokens {
		if err := b.AddSpecial(a.Content, a.ID); err != nil {
			return nil, fmt.Errorf("%s: added_tokens: %w", name, err)
		}
	}
	return b, nil
}

// parseJSONMerges reads merges as ["a b", ...] or [["a", "b"], ...].
func parseJSONMerges(raw json.RawMessage, name string, vocab map[string]int) ([][2]int, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return [][2]int{}, nil
	}
	var parts [][]string
	var strs []string
	if err := json.Unmarshal(raw, &strs); err == nil {
		parts = make([][]string, len(strs))
		for i, s := range strs {
			parts[i] = strings.Split(s, " ")
		}
	} else if err := json.Unmarshal(raw, &parts); err != nil {
		return nil, parseErr(name, 0, 0, "model.merges: want [\"a b\", ...] or [[\"a\", \"b\"], ...]: %v", err)
	}
	merges := make([][2]int, len(parts))
	for i, p := range parts {
		m, err := mergePair(p, vocab)
		if err != nil {
			return nil, parseErr(name, 0, 0, "model.merges[%d]: %v", i, err)
		}
		merges[i] = m
	}
	return merges, nil
}

func wordPieceFromJSON(f *hfFile, m *hfModel, name string) (*WordPiece, error) {
	if len(m.Vocab) == 0 {
		return nil, parseErr(name, 0, 0, "model.vocab is empty")
	}
	pre, err := component(f.PreTokenizer, "pre_tokenizer", name)
	if err != nil {
		return nil, err
	}
	if pre == nil || pre.Type != "BertPreTokenizer" {
		t := "null"
		if pre != nil {
			t = pre.Type
		}
		return nil, parseErr(name, 0, 0, "pre_tokenizer %s is not supported for WordPiece (want BertPreTokenizer)", t)
	}
	tokens := make([]string, len(m.Vocab))
	for tok, id := range m.Vocab {
		if id < 0 || id >= len(tokens) {
			return nil, parseErr(name, 0, 0, "model.vocab: token %q has id %d outside 0..%d", tok, id, len(tokens)-1)
		}
		if tokens[id] != "" {
			return nil, parseErr(name, 0, 0, "model.vocab: id %d is given to %q and %q", id, tokens[id], tok)
		}
		if tok == "" {
			return nil, parseErr(name, 0, 0, "model.vocab: empty token")
		}
		tokens[id] = tok
	}
	w := &WordPiece{name: "tokenizer.json", tokens: tokens, prefix: "##", maxChars: 100,
		ids: make(map[string]int, len(tokens)), cont: make(map[string]int, len(tokens)/4)}
	if m.ContinuingSubwordPrefix != nil {
		w.prefix = *m.ContinuingSubwordPrefix
	}
	if m.MaxInputCharsPerWord != nil {
		w.maxChars = *m.MaxInputCharsPerWord
	}
	if err := w.index(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if m.UnkToken != nil {
		if err := w.SetUnknown(*m.UnkToken); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	nm, err := component(f.Normalizer, "normalizer", name)
	if err != nil {
		return nil, err
	}
	if nm != nil {
		if nm.Type != "BertNormalizer" {
			return nil, parseErr(name, 0, 0, "normalizer %q is not supported for WordPiece (want BertNormalizer)", nm.Type)
		}
		opt := func(p *bool, def bool) bool {
			if p == nil {
				return def
			}
			return *p
		}
		w.cleanText = opt(nm.CleanText, true)
		w.chinese = opt(nm.HandleChinese, true)
		w.lowercase = opt(nm.Lowercase, true)
		w.stripAccents = opt(nm.StripAccents, w.lowercase)
	}
	for _, a := range f.AddedTokens {
		if a.ID < 0 || a.ID >= len(tokens) || tokens[a.ID] != a.Content {
			return nil, parseErr(name, 0, 0, "added_tokens: %q id %d is not in the vocabulary", a.Content, a.ID)
		}
		w.special.add(a.Content, a.ID)
	}
	return w, nil
}

// Save writes the tokenizer as a Hugging Face tokenizer.json.
func (b *BPE) Save(path string) error { return writeJSONFile(path, b.MarshalJSON) }

// MarshalJSON returns the tokenizer in Hugging Face tokenizer.json form.
func (b *BPE) MarshalJSON() ([]byte, error) {
	vocab := make(map[string]int, len(b.tokens))
	for id, t := range b.tokens {
		if t == "" {
			continue
		}
		if _, sp := b.special.ids[t]; sp && b.special.ids[t] == id {
			vocab[t] = id
			continue
		}
		vocab[byteLevelEncode(t)] = id
	}
	ml := b.mergeList()
	merges := make([][2]string, len(ml))
	for i, m := range ml {
		merges[i] = [2]string{byteLevelEncode(b.tokens[m[0]]), byteLevelEncode(b.tokens[m[1]])}
	}
	bl := map[string]any{"type": "ByteLevel", "add_prefix_space": b.prefixSpace, "trim_offsets": true, "use_regex": b.splitName == SplitGPT2}
	var pre any = bl
	switch b.splitName {
	case SplitCL100K, SplitO200K:
		pat := patternCL100K
		if b.splitName == SplitO200K {
			pat = patternO200K
		}
		pre = map[string]any{"type": "Sequence", "pretokenizers": []any{
			map[string]any{"type": "Split", "pattern": map[string]string{"Regex": pat}, "behavior": "Isolated", "invert": false},
			bl,
		}}
	}
	model := map[string]any{
		"type": "BPE", "dropout": nil, "unk_token": nil, "continuing_subword_prefix": nil,
		"end_of_word_suffix": nil, "fuse_unk": false, "byte_fallback": false,
		"ignore_merges": b.ignoreMerges, "vocab": vocab, "merges": merges,
	}
	return marshalHF(b.addedTokens(), nil, pre, map[string]any{"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": false, "use_regex": false},
		map[string]any{"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": false, "use_regex": true}, model)
}

func (b *BPE) addedTokens() []hfAdded {
	var out []hfAdded
	for _, t := range b.special.list {
		out = append(out, hfAdded{ID: b.special.ids[t], Content: t, Special: true})
	}
	return out
}

// Save writes the tokenizer as a Hugging Face tokenizer.json.
func (w *WordPiece) Save(path string) error { return writeJSONFile(path, w.MarshalJSON) }

// MarshalJSON returns the tokenizer in Hugging Face tokenizer.json form.
func (w *WordPiece) MarshalJSON() ([]byte, error) {
	vocab := make(map[string]int, len(w.tokens))
	for id, t := range w.tokens {
		vocab[t] = id
	}
	var added []hfAdded
	for _, t := range w.special.list {
		added = append(added, hfAdded{ID: w.special.ids[t], Content: t, Special: true})
	}
	unk := "[UNK]"
	if w.unk >= 0 {
		unk = w.tokens[w.unk]
	}
	var post any
	cls, ok1 := w.ids["[CLS]"]
	sep, ok2 := w.ids["[SEP]"]
	if ok1 && ok2 {
		post = map[string]any{"type": "BertProcessing", "sep": []any{"[SEP]", sep}, "cls": []any{"[CLS]", cls}}
	}
	model := map[string]any{"type": "WordPiece", "unk_token": unk, "continuing_subword_prefix": w.prefix,
		"max_input_chars_per_word": w.maxChars, "vocab": vocab}
	norm := map[string]any{"type": "BertNormalizer", "clean_text": w.cleanText, "handle_chinese_chars": w.chinese,
		"strip_accents": w.stripAccents, "lowercase": w.lowercase}
	return marshalHF(added, norm, map[string]any{"type": "BertPreTokenizer"}, post,
		map[string]any{"type": "WordPiece", "prefix": w.prefix, "cleanup": true}, model)
}

// marshalHF writes the top-level object with keys in Hugging Face's order
// and the vocabulary sorted by id, so that files diff well.
func marshalHF(added []hfAdded, normalizer, pre, post, decoder any, model map[string]any) ([]byte, error) {
	if added == nil {
		added = []hfAdded{}
	}
	var buf bytes.Buffer
	buf.WriteString("{\n  \"version\": \"1.0\",\n  \"truncation\": null,\n  \"padding\": null,\n")
	parts := []struct {
		key string
		v   any
	}{{"added_tokens", added}, {"normalizer", normalizer}, {"pre_tokenizer", pre}, {"post_processor", post}, {"decoder", decoder}}
	for _, p := range parts {
		j, err := marshalPlain(p.v)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(&buf, "  %q: %s,\n", p.key, j)
	}
	buf.WriteString("  \"model\": {")
	keys := make([]string, 0, len(model))
	for k := range model {
		if k != "vocab" && k != "merges" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	keys = append(keys, "vocab")
	if _, ok := model["merges"]; ok {
		keys = append(keys, "merges")
	}
	for i, k := range keys {
		if i > 0 {
			buf.WriteString(",")
		}
		fmt.Fprintf(&buf, "\n    %q: ", k)
		switch k {
		case "vocab":
			writeVocab(&buf, model[k].(map[string]int))
		case "merges":
			buf.WriteString("[")
			for j, m := range model[k].([][2]string) {
				if j > 0 {
					buf.WriteString(",")
				}
				a, _ := marshalPlain(m[0])
				c, _ := marshalPlain(m[1])
				fmt.Fprintf(&buf, "\n      [%s, %s]", a, c)
			}
			buf.WriteString("\n    ]")
		default:
			j, err := marshalPlain(model[k])
			if err != nil {
				return nil, err
			}
			buf.Write(j)
		}
	}
	buf.WriteString("\n  }\n}\n")
	return buf.Bytes(), nil
}

func writeVocab(buf *bytes.Buffer, vocab map[string]int) {
	type kv struct {
		k string
		v int
	}
	all := make([]kv, 0, len(vocab))
	for k, v := range vocab {
		all = append(all, kv{k, v})
	}
	sort.Slice(all, func(i, j int) bool { return all[i].v < all[j].v })
	buf.WriteString("{")
	for i, e := range all {
		if i > 0 {
			buf.WriteString(",")
		}
		k, _ := marshalPlain(e.k)
		fmt.Fprintf(buf, "\n      %s: %d", k, e.v)
	}
	buf.WriteString("\n    }")
}

func writeJSONFile(path string, marshal func() ([]byte, error)) error {
	data, err := marshal()
	if err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o644)
}

// marshalPlain is json.Marshal without HTML escaping, so that tokens such
// as "<|endoftext|>" stay readable.
func marshalPlain(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

var (
	_ Tokenizer = (*BPE)(nil)
	_ Tokenizer = (*WordPiece)(nil)
)
