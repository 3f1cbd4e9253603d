package plugins

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pretrain-go/pretrain/plugins/examples/meanpool"
	"github.com/pretrain-go/pretrain/plugins/examples/neighbormlm"
	"github.com/pretrain-go/pretrain/plugins/internal/plugintest"
	"github.com/pretrain-go/pretrain/sdk/data"
	"github.com/pretrain-go/pretrain/sdk/task"
)

func TestObjectivePluginTrainsThroughTrainer(t *testing.T) {
	p, err := Load("examples/neighbormlm", Options{})
	require.NoError(t, err)
	r := task.NewRegistry()
	require.NoError(t, p.Register(r))
	require.Equal(t, []string{"neighbor-mlm"}, r.Objectives())
	obj, err := r.NewObjective("neighbor-mlm", plugintest.Config(1))
	require.NoError(t, err)
	losses, err := plugintest.Train(context.Background(), obj, 60, 10)
	require.NoError(t, err)
	t.Logf("losses %v", losses)
	require.Len(t, losses, 6)
	require.Less(t, losses[len(losses)-1], losses[0]-0.5, "the loss must fall")
}

// The same objective, interpreted and compiled, follows the same path.
func TestInterpretedObjectiveMatchesNative(t *testing.T) {
	p, err := Load("examples/neighbormlm", Options{})
	require.NoError(t, err)
	interp, err := p.NewObjective("neighbor-mlm", plugintest.Config(5))
	require.NoError(t, err)
	native, err := neighbormlm.NewObjective(plugintest.Config(5))
	require.NoError(t, err)
	a, err := plugintest.Train(context.Background(), interp, 20, 5)
	require.NoError(t, err)
	b, err := plugintest.Train(context.Background(), native, 20, 5)
	require.NoError(t, err)
	require.Equal(t, b, a, "interpreted and compiled losses must be identical")
}

func TestHeadPluginFineTunes(t *testing.T) {
	p, err := Load("examples/meanpool", Options{})
	require.NoError(t, err)
	r := task.NewRegistry()
	require.NoError(t, p.Register(r))
	require.Equal(t, []string{"meanpool-classify"}, r.Heads())
	batches, classes, err := plugintest.LabeledBatches(8, 16, 64)
	require.NoError(t, err)

	bb := plugintest.NewBackbone(16, 3)
	h, err := r.NewHead("meanpool-classify", bb, task.Config{Labels: classes, Seed: 1})
	require.NoError(t, err)
	got := plugintest.TrainHead(h, bb, batches, 24)

	bb2 := plugintest.NewBackbone(16, 3)
	h2, err := meanpool.NewHead(bb2, task.Config{Labels: classes, Seed: 1})
	require.NoError(t, err)
	want := plugintest.TrainHead(h2, bb2, batches, 24)
	require.Equal(t, want, got, "interpreted and compiled heads train identically")
	require.Less(t, got[23], got[0])
	assert.Equal(t, []int{16, classes}, h.Predict(batches[0]).Shape())

	_, err = r.NewHead("meanpool-classify", bb, task.Config{Labels: 1})
	require.Error(t, err, "factory errors come back")
	assert.Contains(t, err.Error(), "needs at least 2 labels")
}

func TestVendoredDependencySubpackageAndScriptCollator(t *testing.T) {
	p, err := Load("testdata/vendored", Options{})
	require.NoError(t, err)
	obj, err := p.NewObjective("vendored", task.Config{})
	require.NoError(t, err)
	assert.Equal(t, float32(72), obj.Loss(&data.Batch{}).Item(), "2 * (2² · 3²) through the vendored package and the subpackage")

	c := obj.Collator()
	b, err := c.Collate([][]int{{1, 2}, {3}}, data.NewRNG(1))
	require.NoError(t, err)
	assert.Equal(t, []int{1, 2, 3, 0}, b.InputIDs)
	_, err = c.Collate([][]int{{1}}, nil)
	require.EqualError(t, err, "no rng", "the collator's own errors pass through")
	_, err = c.Collate([][]int{{}}, data.NewRNG(1))
	require.Error(t, err, "a panic in a script collator becomes an error")
	var pe *Error
	require.True(t, errors.As(err, &pe), "%v", err)
	assert.Equal(t, "Collate", pe.Call)
	assert.Contains(t, err.Error(), `plugin "vendored": Collate:`)
	assert.Contains(t, err.Error(), "index out of range")
}
