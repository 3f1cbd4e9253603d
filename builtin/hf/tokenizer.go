package hf

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/pretrain-go/pretrain/sdk/tokenizer"
)

// specialKeys are tokenizer_config.json's special-token entries, by role.
var specialKeys = [][2]string{
	{"bos", "bos_token"}, {"eos", "eos_token"}, {"unk", "unk_token"}, {"pad", "pad_token"},
	{"cls", "cls_token"}, {"sep", "sep_token"}, {"mask", "mask_token"},
}

// tokenizerConfig is the part of tokenizer_config.json that Load honours.
type tokenizerConfig struct {
	raw            map[string]any
	lower          bool
	addPrefixSpace bool
	maxLength      int
}

func readTokenizerConfig(dir string) (*tokenizerConfig, error) {
	tc := &tokenizerConfig{lower: true, raw: map[string]any{}}
	p := filepath.Join(dir, TokenizerConfigFile)
	raw, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return tc, nil
	}
	if err != nil {
		return nil, &Error{File: p, Msg: fsMsg(err)}
	}
	if err := json.Unmarshal(raw, &tc.raw); err != nil {
		return nil, &Error{File: p, Msg: fmt.Sprintf("not a JSON object: %v", err)}
	}
	c := &hfConfig{file: p, m: tc.raw}
	tc.lower = c.bool(true, "do_lower_case")
	tc.addPrefixSpace = c.bool(false, "add_prefix_space")
	if v, ok := tc.raw["model_max_length"].(float64); ok && v > 0 && v < 1<<31 {
		tc.maxLength = int(v) // transformers writes 1e30 for "no limit"
	}
	return tc, c.err
}

// token returns the content of a special-token entry, which is a string
// or an AddedToken object {"content": ...}.
func (tc *tokenizerConfig) token(key string) string {
	switch v := tc.raw[key].(type) {
	case string:
		return v
	case map[string]any:
		s, _ := v["content"].(string)
		return s
	}
	return ""
}

// readTokenizer loads tokenizer.json, else vocab.json + merges.txt (GPT-2)
// or vocab.txt (BERT), and the special-token ids.
func (m *Model) readTokenizer(dir string, c *hfConfig) error {
	tc, err := readTokenizerConfig(dir)
	if err != nil {
		return err
	}
	m.MaxLength = tc.maxLength
	path := func(n string) string { return filepath.Join(dir, n) }
	exists := func(n string) bool { _, err := os.Stat(path(n)); return err == nil }
	switch {
	case exists(TokenizerFile):
		m.Tokenizer, err = tokenizer.Load(path(TokenizerFile))
	case exists(VocabJSONFile) || exists(MergesFile):
		if !exists(VocabJSONFile) || !exists(MergesFile) {
			return &Error{File: path(VocabJSONFile), Msg: "vocab.json and merges.txt go together; one is missing"}
		}
		var b *tokenizer.BPE
		b, err = tokenizer.LoadGPT2(path(VocabJSONFile), path(MergesFile))
		if err == nil {
			b.SetAddPrefixSpace(tc.addPrefixSpace)
			m.Tokenizer = b
		}
	case exists(VocabTxtFile):
		var w *tokenizer.WordPiece
		w, err = tokenizer.LoadVocab(path(VocabTxtFile), tc.lower)
		if err == nil {
			m.Tokenizer = w
		}
	}
	if err != nil {
		return &Error{File: dir, Msg: "tokenizer: " + err.Error()}
	}
	if m.Tokenizer == nil {
		m.configSpecials(c)
		return nil
	}
	if v := m.Tokenizer.VocabSize(); v > m.vocabSize() {
		return &Error{File: dir, Msg: fmt.Sprintf("tokenizer has %d tokens, more than the model's vocab_size %d", v, m.vocabSize())}
	}
	for _, sk := range specialKeys {
		if s := tc.token(sk[1]); s != "" {
			id, ok := m.Tokenizer.TokenID(s)
			if !ok {
				return &Error{File: path(TokenizerConfigFile), Msg: fmt.Sprintf("%s %q is not in the tokenizer's vocabulary", sk[1], s)}
			}
			m.Special[sk[0]] = id
		}
	}
	m.configSpecials(c)
	if m.ModelType == "bert" {
		for role, tok := range map[string]string{"cls": "[CLS]", "sep": "[SEP]", "pad": "[PAD]", "mask": "[MASK]", "unk": "[UNK]"} {
			if _, ok := m.Special[role]; !ok {
				if id, ok := m.Tokenizer.TokenID(tok); ok {
					m.Special[role] = id
				}
			}
		}
	}
	return nil
}

// configSpecials fills the roles tokenizer_config.json leaves open with
// config.json's bos/eos/pad token ids.
func (m *Model) configSpecials(c *hfConfig) {
	for _, role := range []string{"bos", "eos", "pad"} {
		if _, ok := m.Special[role]; ok {
			continue
		}
		if v, ok := c.m[role+"_token_id"].(float64); ok && v >= 0 && int(v) < m.vocabSize() {
			m.Special[role] = int(v)
		}
	}
}

func (m *Model) vocabSize() int {
	if m.GPT != nil {
		return m.GPT.Config.VocabSize
	}
	return m.BERT.Config.VocabSize
}
