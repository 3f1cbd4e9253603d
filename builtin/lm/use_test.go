package lm

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pretrain-go/pretrain/builtin/bert"
	"github.com/pretrain-go/pretrain/builtin/gpt"
	"github.com/pretrain-go/pretrain/builtin/internal/objtest"
	"github.com/pretrain-go/pretrain/sdk/checkpoint"
	"github.com/pretrain-go/pretrain/sdk/task"
	"github.com/pretrain-go/pretrain/sdk/tensor"
)

func TestCheckpointRoundTrip(t *testing.T) {
	dir := t.TempDir()
	g, err := gpt.New(gpt.Config{VocabSize: 30, ContextLen: 12, Dim: 16, Layers: 2, Heads: 4, MLPHidden: 24, TiedEmbeddings: true}, tensor.NewRNG(2))
	require.NoError(t, err)
	require.NoError(t, checkpoint.Save(filepath.Join(dir, checkpoint.ModelFile), g.StateDict(), nil))
	require.NoError(t, checkpoint.WriteJSON(filepath.Join(dir, checkpoint.ConfigFile), map[string]any{"model_type": "clm", "num_attention_heads": 4}))
	c, err := ReadCheckpoint(dir)
	require.NoError(t, err)
	assert.Contains(t, c.String(), "clm")
	g2, err := c.GPT()
	require.NoError(t, err)
	assert.Equal(t, g.Config, g2.Config)
	ids := []int{1, 5, 9, 2}
	assert.Equal(t, g.Forward(nil, ids, 1, 4).Float32s(), g2.Forward(nil, ids, 1, 4).Float32s())
	_, err = c.BERT() // same names: loads as an encoder too
	require.NoError(t, err)

	// An ELECTRA checkpoint: the discriminator under "disc.".
	e, err := NewELECTRAModel(bert.Config{VocabSize: 30, ContextLen: 12, Dim: 16, Layers: 1, Heads: 2}, 1, tensor.NewRNG(3))
	require.NoError(t, err)
	file := filepath.Join(t.TempDir(), "electra.safetensors")
	require.NoError(t, checkpoint.Save(file, e.StateDict(), map[string]string{"num_attention_heads": "2"}))
	c, err = ReadCheckpoint(file)
	require.NoError(t, err)
	b, err := c.BERT()
	require.NoError(t, err)
	assert.Equal(t, 2, b.Config.Heads) // from the file metadata
	_, err = c.GPT()
	assert.ErrorContains(t, err, "wte.weight")
	_, err = ReadCheckpoint(filepath.Join(dir, "missing"))
	assert.Error(t, err)
}

func TestFillMaskAndEmbed(t *testing.T) {
	m, err := bert.New(bert.Config{VocabSize: 20, ContextLen: 8, Dim: 16, Layers: 1, Heads: 2}, tensor.NewRNG(4))
	require.NoError(t, err)
	got := FillMask(m, []int{3, 19, 4, 19}, 19, 3)
	require.Len(t, got, 2)
	require.Len(t, got[0], 3)
	assert.GreaterOrEqual(t, got[0][0].Prob, got[0][1].Prob)
	assert.Greater(t, got[0][0].Prob, float32(0))
	assert.Nil(t, FillMask(m, []int{1, 2}, 19, 3))

	hid := func(s *tensor.Scope, ids, mask []int, b, n int) *tensor.Tensor {
		return m.Hidden(s, ids, mask, nil, b, n)
	}
	m.Train(false)
	vs, err := Embed(hid, [][]int{{1, 2, 3}, {4, 5}, {1, 2, 3}}, 0, 8, 2, "mean")
	require.NoError(t, err)
	require.Len(t, vs, 3)
	assert.Len(t, vs[0], 16)
	assert.InDeltaSlice(t, vs[0], vs[2], 1e-5) // padding in another batch changes nothing
	cls, err := Embed(hid, [][]int{{1, 2, 3}}, 0, 8, 2, "cls")
	require.NoError(t, err)
	assert.Equal(t, m.Hidden(nil, []int{1, 2, 3}, nil, nil, 1, 3).Float32s()[:16], cls[0])
	_, err = Embed(hid, [][]int{{1}}, 0, 8, 2, "max")
	assert.ErrorContains(t, err, "pooling")
	_, err = Embed(hid, [][]int{{}}, 0, 8, 2, "mean")
	assert.ErrorContains(t, err, "empty")
}

func TestModelConfig(t *testing.T) {
	for _, name := range []string{"clm", "mlm", "electra", "contrastive"} {
		obj, err := task.NewObjective(name, objtest.Config(32, map[string]string{"dim": "48", "heads": "3", "layers": "1"}))
		require.NoError(t, err)
		c := ModelConfig(obj)
		assert.Equal(t, 3, c["num_attention_heads"], name)
		assert.Equal(t, 192, c["intermediate_size"], name)
		assert.Equal(t, 32, c["max_position_embeddings"], name)
	}
	assert.Nil(t, ModelConfig(&task.ObjectiveFuncs{}))
}
