package presets

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pretrain-go/pretrain/builtin/bert"
	"github.com/pretrain-go/pretrain/builtin/gpt"
	"github.com/pretrain-go/pretrain/sdk/tensor"
)

// TestTorchConfigs checks the presets against shared/bench/torch_gpt.py's
// CONFIGS and the parameter counts it prints.
func TestTorchConfigs(t *testing.T) {
	want := map[string]struct{ vocab, ctx, d, layers, heads, params int }{
		"gpt-tiny":   {4096, 128, 128, 4, 4, 1334016},
		"gpt-small":  {8192, 256, 256, 6, 8, 6901760},
		"bert-tiny":  {4096, 128, 128, 4, 4, 1334016},
		"bert-small": {8192, 256, 256, 6, 8, 6901760},
	}
	for name, w := range want {
		p, err := Lookup(name)
		require.NoError(t, err)
		var n int
		switch p.Family {
		case "gpt":
			c := *p.GPT
			assert.Equal(t, []int{w.vocab, w.ctx, w.d, w.layers, w.heads, 4 * w.d}, []int{c.VocabSize, c.ContextLen, c.Dim, c.Layers, c.Heads, c.MLPHidden}, name)
			assert.True(t, c.TiedEmbeddings)
			assert.Zero(t, c.Dropout)
			m, err := gpt.New(c, tensor.NewRNG(1))
			require.NoError(t, err)
			n = m.NumParams()
		case "bert":
			c := *p.BERT
			assert.Equal(t, []int{w.vocab, w.ctx, w.d, w.layers, w.heads, 4 * w.d}, []int{c.VocabSize, c.ContextLen, c.Dim, c.Layers, c.Heads, c.MLPHidden}, name)
			m, err := bert.New(c, tensor.NewRNG(1))
			require.NoError(t, err)
			n = m.NumParams()
		}
		assert.Equal(t, w.params, n, name)
	}
}

func TestLookup(t *testing.T) {
	assert.Equal(t, []string{"bert-small", "bert-tiny", "elmo-tiny", "gpt-small", "gpt-tiny", "t5-tiny"}, Names())
	for _, n := range Names() {
		p, err := Lookup(n)
		require.NoError(t, err)
		assert.Contains(t, p.String(), n)
		assert.NotEmpty(t, p.Doc)
	}
	_, err := Lookup("gpt-huge")
	assert.ErrorContains(t, err, "gpt-huge")
	_, err = LookupFamily("t5-tiny", "gpt", "gpt-tiny")
	assert.ErrorContains(t, err, "t5")
	p, err := LookupFamily("", "gpt", "gpt-tiny")
	require.NoError(t, err)
	assert.Equal(t, "gpt-tiny", p.Name)
	// Each call returns a fresh copy.
	p.GPT.Dim = 1
	q, _ := Lookup("gpt-tiny")
	assert.Equal(t, 128, q.GPT.Dim)
}
