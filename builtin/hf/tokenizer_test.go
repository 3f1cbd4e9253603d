package hf

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pretrain-go/pretrain/sdk/tokenizer"
)

var update = flag.Bool("update", false, "rewrite testdata/tokenizers/*.tokenizer.json from the current export")

// TestExportedTokenizers: the tokenizer.json that Save writes for the
// golden GPT-2 (from vocab.json + merges.txt) and BERT (from vocab.txt +
// tokenizer_config.json) directories is the committed file that Hugging
// Face's Rust tokenizers encoded (gen_tokenizers.sh), and the SDK gives
// the reference ids, both from the original files and from the exported
// tokenizer.json.
func TestExportedTokenizers(t *testing.T) {
	var ref map[string][]struct {
		Text    string
		IDs     []int
		Decoded string
	}
	readJSON(t, filepath.Join("testdata", "tokenizers", "reference.json"), &ref)
	for name, src := range map[string]string{"gpt2": "gpt2", "bert": "bert-mlm"} {
		t.Run(name, func(t *testing.T) {
			m, err := Load(filepath.Join("testdata", src))
			require.NoError(t, err)
			require.NotNil(t, m.Tokenizer)
			out := filepath.Join(t.TempDir(), "export")
			require.NoError(t, Save(out, m, SaveOptions{}))
			got, err := os.ReadFile(filepath.Join(out, TokenizerFile))
			require.NoError(t, err)
			fixture := filepath.Join("testdata", "tokenizers", name+".tokenizer.json")
			if *update {
				require.NoError(t, os.WriteFile(fixture, got, 0o644))
			}
			want, err := os.ReadFile(fixture)
			require.NoError(t, err)
			assert.True(t, bytes.Equal(want, got), "the export differs from %s (run with -update, then gen_tokenizers.sh)", fixture)
			exported, err := tokenizer.Load(filepath.Join(out, TokenizerFile))
			require.NoError(t, err)
			var tc map[string]any
			readJSON(t, filepath.Join(out, TokenizerConfigFile), &tc)
			require.NotEmpty(t, ref[name])
			for _, r := range ref[name] {
				assert.Equal(t, r.IDs, orEmpty(m.Tokenizer.Encode(r.Text)), "original files: %q", r.Text)
				assert.Equal(t, r.IDs, orEmpty(exported.Encode(r.Text)), "exported tokenizer.json: %q", r.Text)
				if name == "gpt2" {
					assert.Equal(t, r.Decoded, exported.Decode(r.IDs), "decode %q", r.Text)
				}
			}
			if name == "gpt2" {
				assert.Equal(t, "<|endoftext|>", tc["eos_token"])
				assert.Equal(t, "GPT2TokenizerFast", tc["tokenizer_class"])
			} else {
				assert.Equal(t, "[MASK]", tc["mask_token"])
				assert.Equal(t, "BertTokenizerFast", tc["tokenizer_class"])
			}
		})
	}
}

func orEmpty(ids []int) []int {
	if ids == nil {
		return []int{}
	}
	return ids
}

var _ = json.Marshal
