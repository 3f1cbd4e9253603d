package bert

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pretrain-go/pretrain/sdk/data"
	"github.com/pretrain-go/pretrain/sdk/tensor"
)

func tinyModel(t *testing.T, types int) *Model {
	m, err := New(Config{VocabSize: 20, ContextLen: 8, Dim: 16, Layers: 2, Heads: 2, TypeVocab: types}, tensor.NewRNG(3))
	require.NoError(t, err)
	m.Train(false)
	return m
}

// TestBidirectional: changing a later token changes an earlier position's
// state (a causal model would not), and padding does not change the real
// positions' states.
func TestBidirectional(t *testing.T) {
	m := tinyModel(t, 0)
	a := m.Hidden(nil, []int{1, 2, 3, 4}, nil, nil, 1, 4).Float32s()
	b := m.Hidden(nil, []int{1, 2, 3, 9}, nil, nil, 1, 4).Float32s()
	assert.NotEqual(t, a[:16], b[:16])
	p := m.Hidden(nil, []int{1, 2, 3, 4, 7, 7}, []int{1, 1, 1, 1, 0, 0}, nil, 1, 6).Float32s()
	assert.InDeltaSlice(t, a, p[:64], 1e-5)
}

func TestTokenTypes(t *testing.T) {
	m := tinyModel(t, 2)
	assert.Contains(t, m.StateDict(), "tte.weight")
	bt := &data.Batch{Size: 1, SeqLen: 3, InputIDs: []int{1, 2, 3}, TokenTypeIDs: []int{0, 0, 1}}
	x := m.Encode(bt).Float32s()
	bt.TokenTypeIDs = []int{0, 0, 0}
	y := m.Encode(bt).Float32s()
	assert.NotEqual(t, x, y)
	assert.Equal(t, 16, m.Dim())
	assert.NotContains(t, tinyModel(t, 0).StateDict(), "tte.weight")
	assert.Panics(t, func() { m.Hidden(nil, []int{1, 2}, nil, []int{0}, 1, 2) })
	assert.Panics(t, func() { m.Hidden(nil, make([]int, 9), nil, nil, 1, 9) })
}

func TestGatherRowsGradient(t *testing.T) {
	x := tensor.FromFloat32s([]float32{1, 2, 3, 4, 5, 6}, 1, 3, 2).SetRequiresGrad(true)
	g := GatherRows(x.MulScalar(1), []int{2, 0, 2})
	assert.Equal(t, []float32{5, 6, 1, 2, 5, 6}, g.Float32s())
	g.Sum().Backward()
	assert.Equal(t, []float32{1, 1, 0, 0, 2, 2}, x.Grad().Float32s())
}

func TestConfig(t *testing.T) {
	assert.Error(t, Config{VocabSize: 10, ContextLen: 4, Dim: 6, Layers: 1, Heads: 4}.Validate())
	assert.Error(t, Config{VocabSize: 10, ContextLen: 4, Dim: 8, Layers: 1, Heads: 2, Dropout: 1}.Validate())
	assert.NoError(t, Tiny().Validate())
	assert.Contains(t, Small().String(), "dim=256")
	assert.Contains(t, tinyModel(t, 0).String(), "params=")
}

// TestPostLN: the BERT layout has emb_ln, pooler and MLM head parameters
// and no ln_f, adds token type 0 when no types are given, and its logits go
// through the transform and the decoder bias.
func TestPostLN(t *testing.T) {
	m, err := New(Config{VocabSize: 20, ContextLen: 8, Dim: 16, Layers: 2, Heads: 2, TypeVocab: 2,
		PostLN: true, Pooler: true, MLMHead: true, Eps: 1e-12}, tensor.NewRNG(3))
	require.NoError(t, err)
	m.Train(false)
	sd := m.StateDict()
	for _, k := range []string{"emb_ln.weight", "emb_ln.bias", "pooler.weight", "pooler.bias", "mlm.dense.weight", "mlm.ln.bias", "mlm.bias"} {
		assert.Contains(t, sd, k)
	}
	assert.NotContains(t, sd, "ln_f.weight")
	assert.Nil(t, m.LNF)
	ids := []int{1, 2, 3, 4}
	a := m.Hidden(nil, ids, nil, nil, 1, 4).Float32s()
	b := m.Hidden(nil, ids, nil, []int{0, 0, 0, 0}, 1, 4).Float32s()
	assert.Equal(t, a, b, "no types means type 0")
	h := m.Hidden(nil, ids, nil, nil, 1, 4)
	assert.Equal(t, []int{1, 4, 20}, m.Logits(h).Shape())
	m.MLM.Bias.Data()[5] = 3
	l := m.Logits(h).Float32s()
	m.MLM.Bias.Data()[5] = 0
	l0 := m.Logits(h).Float32s()
	assert.InDelta(t, 3, l[5]-l0[5], 1e-6)
	p := m.Pooled(h)
	assert.Equal(t, []int{1, 16}, p.Shape())
	assert.Panics(t, func() { tinyModel(t, 0).Pooled(h) })
	assert.Contains(t, m.Config.String(), "postln=true")
	assert.Error(t, Config{VocabSize: 10, ContextLen: 4, Dim: 8, Layers: 1, Heads: 2, Eps: -1}.Validate())
}
