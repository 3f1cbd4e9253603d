package task

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pretrain-go/pretrain/sdk/data"
	"github.com/pretrain-go/pretrain/sdk/nn"
	"github.com/pretrain-go/pretrain/sdk/tensor"
)

func TestRegistryObjectives(t *testing.T) {
	r := NewRegistry()
	w := tensor.Ones(2).SetRequiresGrad(true)
	m := nn.NewBase()
	m.AddParam("w", w)
	factory := func(cfg Config) (Objective, error) {
		return &ObjectiveFuncs{ObjectiveName: "toy", Model: m, Collate: &data.CausalLMCollator{},
			LossFunc: func(b *data.Batch) *tensor.Tensor { return w.Mul(w).Sum() }}, nil
	}
	require.NoError(t, r.RegisterObjective("toy", "a toy objective", factory))
	var re *RegisterError
	require.True(t, errors.As(r.RegisterObjective("toy", "", factory), &re), "duplicate names are refused")
	require.True(t, errors.As(r.RegisterObjective("Bad Name", "", factory), &re))
	assert.Equal(t, []string{"toy"}, r.Objectives())
	assert.Equal(t, "a toy objective", r.ObjectiveDoc("toy"))

	obj, err := r.NewObjective("toy", Config{})
	require.NoError(t, err)
	assert.Equal(t, "toy", obj.Name())
	obj.Loss(nil).Backward()
	assert.Equal(t, []float32{2, 2}, w.Grad().Data())
	assert.Equal(t, 2, obj.Module().NumParams())

	_, err = r.NewObjective("nope", Config{})
	var ue *UnknownError
	require.True(t, errors.As(err, &ue))
	assert.Equal(t, `task: unknown objective "nope" (known: toy)`, err.Error())
}

func TestRegistryHeads(t *testing.T) {
	r := NewRegistry()
	require.NoError(t, r.RegisterHead("probe", "linear probe", func(bb Backbone, cfg Config) (Head, error) {
		return &HeadFuncs{HeadName: "probe", Model: nn.NewBase(),
			PredictFunc: func(b *data.Batch) *tensor.Tensor { return tensor.Zeros(b.Size, cfg.Labels) }}, nil
	}))
	h, err := r.NewHead("probe", nil, Config{Labels: 3})
	require.NoError(t, err)
	assert.Equal(t, []int{2, 3}, h.Predict(&data.Batch{Size: 2}).Shape())
	_, err = r.NewHead("x", nil, Config{})
	assert.Error(t, err)
	assert.Contains(t, r.String(), "heads=[probe]")
}

func TestConfigOptions(t *testing.T) {
	c := Config{Options: map[string]string{"rate": "0.25", "n": "7", "bad": "x"}, Special: map[string]int{"pad": 0}}
	n, err := c.Int("n", 1)
	require.NoError(t, err)
	assert.Equal(t, 7, n)
	f, err := c.Float("rate", 0)
	require.NoError(t, err)
	assert.Equal(t, 0.25, f)
	d, err := c.Int("missing", 5)
	require.NoError(t, err)
	assert.Equal(t, 5, d)
	_, err = c.Int("bad", 0)
	assert.EqualError(t, err, `option bad="x": not an integer`)
	assert.Equal(t, "x", c.Option("bad", ""))
	assert.Equal(t, 0, c.SpecialID("pad", -1))
	assert.Equal(t, -1, c.SpecialID("mask", -1))
	assert.Contains(t, c.String(), "rate=0.25")
}
