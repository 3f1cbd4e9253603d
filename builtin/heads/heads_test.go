package heads

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pretrain-go/pretrain/sdk/data"
	"github.com/pretrain-go/pretrain/sdk/nn"
	"github.com/pretrain-go/pretrain/sdk/optim"
	"github.com/pretrain-go/pretrain/sdk/task"
	"github.com/pretrain-go/pretrain/sdk/tensor"
)

func TestPool(t *testing.T) {
	h := tensor.FromFloat32s([]float32{
		1, 10, 2, 20, 3, 30, // row 0: three real tokens
		4, 40, 6, 60, 0, 0, // row 1: two real tokens, one pad
	}, 2, 3, 2)
	b := data.PadBatch([][]int{{1, 1, 1}, {1, 1}}, 3, 0)
	assert.InDeltaSlice(t, []float32{2, 20, 5, 50}, Pool(h, b, PoolMean).Data(), 1e-6)
	assert.Equal(t, []float32{1, 10, 4, 40}, Pool(h, b, PoolCLS).Data())
	assert.Equal(t, []float32{3, 30, 6, 60}, Pool(h, b, PoolLast).Data())
	_, err := ParsePooling("max")
	assert.ErrorContains(t, err, `"max"`)
}

// A bag-of-vectors classifier learns "does the row contain token 3".
func TestClassifierLearns(t *testing.T) {
	rng := data.NewRNG(1)
	var rows [][]int
	var labels []int
	for range 64 {
		n := 2 + rng.Intn(5)
		row := make([]int, n)
		for j := range row {
			row[j] = 4 + rng.Intn(6)
		}
		label := rng.Intn(2)
		if label == 1 {
			row[rng.Intn(n)] = 3
		}
		rows = append(rows, row)
		labels = append(labels, label)
	}
	b := data.PadBatch(rows, 0, 0)
	b.RowLabels = labels
	bb := NewWordVectors(tensor.Randn(tensor.NewRNG(2), 10, 8), true)
	head, err := task.NewHead("classify", bb, task.Config{Labels: 2, Seed: 3, Options: map[string]string{"dropout": "0"}})
	require.NoError(t, err)
	params := append(head.Module().NamedParameters(), bb.NamedParameters()...)
	opt := optim.NewAdamW(optim.Groups(params, 0.05, 0), optim.DefaultAdam())
	first := head.Loss(b).Item()
	for range 100 {
		head.Loss(b).Backward()
		opt.Step()
		opt.ZeroGrad()
	}
	last := head.Loss(b).Item()
	assert.Less(t, last, float32(0.1), "from %.3f", first)
	pred := head.Predict(b).Argmax(-1)
	correct := 0
	for i, p := range pred {
		if p == labels[i] {
			correct++
		}
	}
	assert.Equal(t, len(labels), correct)
}

func TestRegressorAndTokens(t *testing.T) {
	bb := NewWordVectors(tensor.Randn(tensor.NewRNG(2), 10, 8), true)
	b := data.PadBatch([][]int{{1, 2}, {3, 4}, {5, 6}}, 0, 0)
	b.RowLabels = []int{10, 20, 30}
	b.Labels = []int{0, 1, 1, 0, tensor.IgnoreIndex, 1}
	reg, err := task.NewHead("regress", bb, task.Config{Seed: 1, Options: map[string]string{"scale": "10", "dropout": "0"}})
	require.NoError(t, err)
	tok, err := task.NewHead("tokens", bb, task.Config{Labels: 2, Seed: 1, Options: map[string]string{"dropout": "0"}})
	require.NoError(t, err)
	var params []nn.NamedParam
	for prefix, m := range map[string]nn.Module{"reg.": reg.Module(), "tok.": tok.Module(), "bb.": bb} {
		for _, p := range m.NamedParameters() {
			params = append(params, nn.NamedParam{Name: prefix + p.Name, Tensor: p.Tensor})
		}
	}
	opt := optim.NewAdamW(optim.Groups(params, 0.05, 0), optim.DefaultAdam())
	for range 150 {
		reg.Loss(b).Add(tok.Loss(b)).Backward()
		opt.Step()
		opt.ZeroGrad()
	}
	assert.InDeltaSlice(t, []float32{1, 2, 3}, reg.Predict(b).Data(), 0.1)
	assert.Equal(t, []int{3, 2, 2}, tok.Predict(b).Shape())
	assert.Less(t, tok.Loss(b).Item(), float32(0.05))
}

func TestHeadConfigErrors(t *testing.T) {
	bb := NewWordVectors(tensor.Zeros(4, 2), false)
	assert.Equal(t, 0, bb.NumParams(), "frozen vectors are not parameters")
	_, err := task.NewHead("classify", bb, task.Config{Labels: 1})
	assert.ErrorContains(t, err, "at least 2 labels")
	_, err = task.NewHead("classify", bb, task.Config{Labels: 3, Options: map[string]string{"pooling": "max"}})
	assert.ErrorContains(t, err, "pooling")
	_, err = task.NewHead("regress", bb, task.Config{Options: map[string]string{"scale": "0"}})
	assert.ErrorContains(t, err, "scale")
}
