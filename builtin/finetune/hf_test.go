package finetune

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pretrain-go/pretrain/sdk/checkpoint"
	"github.com/pretrain-go/pretrain/sdk/data"
	"github.com/pretrain-go/pretrain/sdk/tensor"
)

// hfDir is a random-init Hugging Face directory of builtin/hf's parity
// goldens (GPT-2 with gelu_new; a post-LN BERT with token types).
func hfDir(name string) string { return filepath.Join("..", "hf", "testdata", name) }

func maxRelErr(got, want []float32) float64 {
	var d, m float64
	for i := range want {
		d = math.Max(d, math.Abs(float64(got[i])-float64(want[i])))
		m = math.Max(m, math.Abs(float64(want[i])))
	}
	return d / m
}

// The backbone of an imported directory computes what the PyTorch
// reference of transformers computed (builtin/hf's golden outputs), so
// the fine-tuner starts from the real model, not a lookalike.
func TestHFBackboneMatchesReference(t *testing.T) {
	for _, name := range []string{"gpt2", "bert-mlm"} {
		t.Run(name, func(t *testing.T) {
			p, err := LoadPretrained(hfDir(name))
			require.NoError(t, err)
			ex, _, err := checkpoint.Load(filepath.Join(hfDir("expected"), name+".safetensors"))
			require.NoError(t, err)
			in := ex["input_ids"]
			ids := make([]int, in.Numel())
			for i, v := range in.Float32s() {
				ids[i] = int(v)
			}
			b := &data.Batch{InputIDs: ids, Size: in.Size(0), SeqLen: in.Size(1), Scope: tensor.NewScope().NoGrad()}
			if m := ex["attention_mask"]; m != nil {
				b.AttentionMask = make([]int, m.Numel())
				for i, v := range m.Float32s() {
					b.AttentionMask[i] = int(v)
				}
			}
			p.Backbone.Train(false)
			h := p.Backbone.Encode(b).Float32s()
			want := ex["out.hidden"].Float32s()
			if _, types := ex["token_type_ids"]; types && name != "gpt2" {
				// The fine-tuner feeds token type 0; compare the rows whose
				// types are all 0 in the golden input.
				tt := ex["token_type_ids"].Float32s()
				n, d := in.Size(1), p.Backbone.Dim()
				compared := 0
				for r := 0; r < in.Size(0); r++ {
					zero := true
					for j := 0; j < n; j++ {
						zero = zero && tt[r*n+j] == 0
					}
					if zero {
						compared++
						assert.Less(t, maxRelErr(h[r*n*d:(r+1)*n*d], want[r*n*d:(r+1)*n*d]), 1e-5, "row %d", r)
					}
				}
				require.Positive(t, compared, "no golden row with token type 0 everywhere")
				return
			}
			assert.Less(t, maxRelErr(h, want), 1e-5)
		})
	}
}

// An imported GPT-2 or BERT fine-tunes, saves and reloads to identical
// logits: the saved spec keeps gelu_new, the epsilon and the post-LN
// layout, which a rebuilt default architecture would not reproduce.
func TestHFFineTuneSaveLoad(t *testing.T) {
	train, labels := toy(24, 1)
	for _, name := range []string{"gpt2", "bert-cls"} {
		t.Run(name, func(t *testing.T) {
			p, err := LoadPretrained(hfDir(name))
			require.NoError(t, err)
			assert.Equal(t, map[string]string{"gpt2": "gpt", "bert-cls": "bert"}[name], p.Backbone.Family())
			m, err := NewModel(p.Backbone, p.Tokens, "classify", map[string]string{"pooling": "cls", "dropout": "0"}, labels, 16, 1)
			require.NoError(t, err)
			_, err = Run(context.Background(), m, train, nil, Config{Strategy: "full", LR: 1e-3, Steps: 4, Seed: 1})
			require.NoError(t, err)
			texts := []string{train[0].Text, "an owl"}
			before := m.Logits(texts)
			dir := filepath.Join(t.TempDir(), "model")
			require.NoError(t, m.Save(dir))
			back, err := Load(dir)
			require.NoError(t, err)
			assert.Equal(t, before, back.Logits(texts))
			// The saved model is a backbone for the next fine-tuning too,
			// and a from-scratch copy has the same architecture.
			again, err := LoadPretrained(dir)
			require.NoError(t, err)
			fresh, err := again.NewRandom(7)
			require.NoError(t, err)
			assert.Equal(t, len(again.Backbone.Parameters()), len(fresh.Parameters()))
		})
	}
}

// A Hugging Face directory without a tokenizer is an error, never a
// silent fallback to bytes.
func TestHFWithoutTokenizerIsAnError(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"config.json", "model.safetensors"} {
		b, err := os.ReadFile(filepath.Join(hfDir("gpt2"), f))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, f), b, 0o644))
	}
	_, err := LoadPretrained(dir)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no tokenizer")
}
