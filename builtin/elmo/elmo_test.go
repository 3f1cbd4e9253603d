package elmo

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pretrain-go/pretrain/builtin/internal/objtest"
	"github.com/pretrain-go/pretrain/sdk/data"
	"github.com/pretrain-go/pretrain/sdk/task"
	"github.com/pretrain-go/pretrain/sdk/tensor"
)

// The untrained loss is about ln(278) = 5.6 nats per byte; a byte-level
// biLM reaches under 3 within seconds.
func TestBiLMLearns(t *testing.T) {
	const seqLen = 32
	obj, err := task.NewObjective("bilm", objtest.Config(seqLen, map[string]string{"dim": "32", "hidden": "64", "layers": "1"}))
	require.NoError(t, err)
	train := objtest.Sequences(t, 0, 400, seqLen)
	eval := objtest.Sequences(t, 400*seqLen, 32, seqLen)
	before, after := objtest.Train(t, obj, train, eval, 120, 16, 1e-2)
	t.Logf("bilm: eval loss %.3f -> %.3f", before, after)
	assert.Less(t, after, float32(3.0))
	assert.Less(t, after, before-1)
}

func TestEncodeAlignsDirections(t *testing.T) {
	m, err := New(Config{VocabSize: 12, Dim: 4, Hidden: 3, Layers: 1}, tensor.NewRNG(1))
	require.NoError(t, err)
	// Row 0 is full; row 1 has two real tokens and one pad.
	b := data.PadBatch([][]int{{1, 2, 3}, {4, 5}}, 3, 0)
	feat := m.Encode(b)
	assert.Equal(t, []int{2, 3, 6}, feat.Shape())
	// The backward feature at the last real token of row 1 saw only that
	// token: it equals the backward LSTM run on the one-token sequence [5].
	single := m.Encode(data.PadBatch([][]int{{5}}, 1, 0))
	for j := 0; j < 3; j++ {
		assert.InDelta(t, single.At(0, 0, 3+j), feat.At(1, 1, 3+j), 1e-6)
	}
	// And the forward feature at row 1's first token equals a run on [4].
	first := m.Encode(data.PadBatch([][]int{{4}}, 1, 0))
	for j := 0; j < 3; j++ {
		assert.InDelta(t, first.At(0, 0, j), feat.At(1, 0, j), 1e-6)
	}
	// Gradients reach both LSTMs through Encode.
	feat.Sum().Backward()
	assert.NotNil(t, m.Bwd.WeightIH[0].Grad())
	assert.NotNil(t, m.Fwd.WeightIH[0].Grad())
}
