package hf

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pretrain-go/pretrain/builtin/bert"
	"github.com/pretrain-go/pretrain/sdk/checkpoint"
	"github.com/pretrain-go/pretrain/sdk/tensor"
)

// copyDir copies a golden directory into a temporary one.
func copyDir(t *testing.T, name string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.MkdirAll(dst, 0o755))
	ents, err := os.ReadDir(filepath.Join("testdata", name))
	require.NoError(t, err)
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join("testdata", name, e.Name()))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dst, e.Name()), b, 0o644))
	}
	return dst
}

func editConfig(t *testing.T, dir string, edit func(m map[string]any)) {
	t.Helper()
	var m map[string]any
	readJSON(t, filepath.Join(dir, ConfigFile), &m)
	edit(m)
	require.NoError(t, checkpoint.WriteJSON(filepath.Join(dir, ConfigFile), m))
}

func editWeights(t *testing.T, dir string, edit func(ts map[string]*tensor.Tensor)) {
	t.Helper()
	p := filepath.Join(dir, WeightsFile)
	f, err := checkpoint.Open(p)
	require.NoError(t, err)
	ts, meta := map[string]*tensor.Tensor{}, f.Metadata()
	for _, n := range f.Names() { // float tensors only: integer buffers are dropped
		if info, _ := f.Info(n); checkpoint.IsFloat(info.DType) {
			ts[n], err = f.Tensor(n)
			require.NoError(t, err)
		}
	}
	f.Close()
	edit(ts)
	require.NoError(t, checkpoint.Save(p, ts, meta))
}

// TestBadDirectories: every broken directory gives one *Error line that
// names the file (and the tensor where there is one).
func TestBadDirectories(t *testing.T) {
	cases := []struct {
		name, src string
		breakIt   func(t *testing.T, dir string)
		file      string   // the file the message must name
		want      []string // substrings of the message
	}{
		{"missing tensor", "gpt2", func(t *testing.T, d string) {
			editWeights(t, d, func(ts map[string]*tensor.Tensor) { delete(ts, "transformer.h.1.ln_2.weight") })
		}, WeightsFile, []string{"tensor transformer.h.1.ln_2.weight: missing", "GPT2LMHeadModel with 2 layers"}},
		{"wrong shape", "gpt2", func(t *testing.T, d string) {
			editConfig(t, d, func(m map[string]any) { m["n_inner"] = 64 })
		}, WeightsFile, []string{"tensor transformer.h.0.mlp.c_fc.weight: shape [32 128], config.json implies [32 64]"}},
		{"unexpected tensor", "gpt2", func(t *testing.T, d string) {
			editWeights(t, d, func(ts map[string]*tensor.Tensor) { ts["transformer.h.2.ln_1.weight"] = tensor.Ones(32) })
		}, WeightsFile, []string{"tensor transformer.h.2.ln_1.weight: unexpected"}},
		{"unknown activation", "gpt2", func(t *testing.T, d string) {
			editConfig(t, d, func(m map[string]any) { m["activation_function"] = "quick_gelu" })
		}, ConfigFile, []string{`activation_function: unknown activation "quick_gelu"`, "gelu_new"}},
		{"unknown hidden_act", "bert-mlm", func(t *testing.T, d string) {
			editConfig(t, d, func(m map[string]any) { m["hidden_act"] = "mish" })
		}, ConfigFile, []string{`hidden_act: unknown activation "mish"`}},
		{"unknown model_type", "gpt2", func(t *testing.T, d string) {
			editConfig(t, d, func(m map[string]any) { m["model_type"] = "llama" })
		}, ConfigFile, []string{`model_type: unknown model type "llama"`}},
		{"unknown architecture", "bert-mlm", func(t *testing.T, d string) {
			editConfig(t, d, func(m map[string]any) { m["architectures"] = []string{"BertForQuestionAnswering"} })
		}, ConfigFile, []string{`"BertForQuestionAnswering" is not supported`}},
		{"unsupported value", "gpt2", func(t *testing.T, d string) {
			editConfig(t, d, func(m map[string]any) { m["scale_attn_by_inverse_layer_idx"] = true })
		}, ConfigFile, []string{"scale_attn_by_inverse_layer_idx: true is not supported"}},
		{"relative positions", "bert-cls", func(t *testing.T, d string) {
			editConfig(t, d, func(m map[string]any) { m["position_embedding_type"] = "relative_key" })
		}, ConfigFile, []string{"position_embedding_type: relative_key is not supported"}},
		{"bad number", "gpt2", func(t *testing.T, d string) {
			editConfig(t, d, func(m map[string]any) { m["n_head"] = 2.5 })
		}, ConfigFile, []string{"n_head: 2.5 is not a positive integer"}},
		{"truncated safetensors", "gpt2", func(t *testing.T, d string) {
			p := filepath.Join(d, WeightsFile)
			st, err := os.Stat(p)
			require.NoError(t, err)
			require.NoError(t, os.Truncate(p, st.Size()/2))
		}, WeightsFile, []string{"safetensors"}},
		{"no weights", "gpt2", func(t *testing.T, d string) {
			require.NoError(t, os.Remove(filepath.Join(d, WeightsFile)))
		}, WeightsFile, []string{"missing"}},
		{"missing shard", "gpt2-sharded", func(t *testing.T, d string) {
			require.NoError(t, os.Remove(filepath.Join(d, "model-00002-of-00002.safetensors")))
		}, "model-00002-of-00002.safetensors", []string{"missing (listed in model.safetensors.index.json)"}},
		{"shard lacks tensor", "gpt2-sharded", func(t *testing.T, d string) {
			p := filepath.Join(d, WeightsIndexFile)
			b, err := os.ReadFile(p)
			require.NoError(t, err)
			s := strings.Replace(string(b), `"transformer.ln_f.bias": "model-00002-of-00002.safetensors"`, `"transformer.ln_f.bias": "model-00001-of-00002.safetensors"`, 1)
			require.NoError(t, os.WriteFile(p, []byte(s), 0o644))
		}, "model-00001-of-00002.safetensors", []string{"tensor transformer.ln_f.bias: missing"}},
		{"no config", "gpt2", func(t *testing.T, d string) {
			require.NoError(t, os.Remove(filepath.Join(d, ConfigFile)))
		}, ConfigFile, []string{"no such file"}},
		{"bad tokenizer", "bert-mlm", func(t *testing.T, d string) {
			require.NoError(t, os.WriteFile(filepath.Join(d, VocabTxtFile), []byte("[PAD]\n[PAD]\n"), 0o644))
		}, VocabTxtFile, []string{"already on line 1"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := copyDir(t, c.src)
			c.breakIt(t, dir)
			before, _ := os.ReadDir(dir)
			m, err := Load(dir)
			require.Error(t, err)
			assert.Nil(t, m)
			var he *Error
			assert.True(t, errors.As(err, &he), "%T", err)
			msg := err.Error()
			t.Log(msg)
			assert.NotContains(t, msg, "\n", "one line")
			assert.Contains(t, msg, filepath.Join(dir, c.file))
			for _, w := range c.want {
				assert.Contains(t, msg, w)
			}
			after, _ := os.ReadDir(dir)
			assert.Equal(t, len(before), len(after), "Load writes nothing")
		})
	}
}

// TestSaveRefuses: models without a Hugging Face twin and occupied
// directories are errors, and a failed Save leaves nothing behind.
func TestSaveRefuses(t *testing.T) {
	m, err := Load(filepath.Join("testdata", "bert-mlm"))
	require.NoError(t, err)
	root := t.TempDir()
	out := filepath.Join(root, "out")
	require.NoError(t, os.Mkdir(out, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(out, "x"), nil, 0o644))
	assert.ErrorContains(t, Save(out, m, SaveOptions{}), "exists and is not empty")
	preLN, err := bert.New(bert.Config{VocabSize: 10, ContextLen: 4, Dim: 8, Layers: 1, Heads: 2}, tensor.NewRNG(1))
	require.NoError(t, err)
	assert.ErrorContains(t, Save(filepath.Join(root, "pre"), &Model{BERT: preLN}, SaveOptions{}), "pre-LN encoder")
	pre, err := Load(filepath.Join("testdata", "gpt2"))
	require.NoError(t, err)
	pre.Architecture = "BertModel"
	out2 := filepath.Join(root, "out2")
	assert.ErrorContains(t, Save(out2, pre, SaveOptions{}), "is a GPT2LMHeadModel, not a BertModel")
	ents, _ := os.ReadDir(root)
	assert.Len(t, ents, 1, "only the occupied dir; no temporaries")
	// BF16 export loads back within bf16 rounding.
	pre.Architecture = ""
	require.NoError(t, Save(out2, pre, SaveOptions{DType: tensor.BF16}))
	f, err := checkpoint.Open(filepath.Join(out2, WeightsFile))
	require.NoError(t, err)
	info, _ := f.Info("transformer.wte.weight")
	f.Close()
	assert.Equal(t, "BF16", info.DType)
	back, err := Load(out2)
	require.NoError(t, err)
	assert.InDelta(t, pre.GPT.WTE.Weight.Float32s()[7], back.GPT.WTE.Weight.Float32s()[7], 0.01)
}
