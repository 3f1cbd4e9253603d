package repl

import (
	"bytes"
	"context"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestScriptReachesVisionObjectives: the REPL (which pre-imports
// builtin/vit, builtin/mae and builtin/clip) builds the registry's mae objective on synthetic images and
// computes a loss under a scope.
func TestScriptReachesVisionObjectives(t *testing.T) {
	in := newSDK(t, &bytes.Buffer{})
	_, err := in.Eval(context.Background(), `var visionLoss = func() float32 {
	cfg := mae.Default()
	cfg.Encoder = vit.Config{ImageSize: 8, Channels: 1, Patch: 4, Dim: 16, Layers: 1, Heads: 2}
	cfg.DecDim, cfg.DecHeads, cfg.DecLayers = 8, 2, 1
	m, err := mae.NewMAE(cfg, 1, tensor.NewRNG(1))
	if err != nil {
		panic(err)
	}
	m.Collate.Set = data.SyntheticImages(4, 8, 2, 1)
	b := m.Collate.Images([]int{0, 1, 2, 3}, nil)
	b.Scope = tensor.NewScope()
	return m.Loss(b).Item()
}()`)
	require.NoError(t, err)
	v, err := in.Eval(context.Background(), "visionLoss")
	require.NoError(t, err)
	loss, err := strconv.ParseFloat(Format(v), 32)
	require.NoError(t, err, "loss %q", Format(v))
	assert.Greater(t, loss, 0.0)
}

// TestScriptReachesImageDAE: a script builds the registry's image-dae
// objective by name, with options, and computes its loss.
func TestScriptReachesImageDAE(t *testing.T) {
	in := newSDK(t, &bytes.Buffer{})
	_, err := in.Eval(context.Background(), `var daeLoss = func() float32 {
	obj, err := task.NewObjective("image-dae", task.Config{Seed: 1, Options: map[string]string{
		"image": "8", "patch": "4", "dim": "16", "layers": "1", "heads": "2", "dec_dim": "8", "dec_heads": "2", "dec_layers": "1", "noise": "0.2"}})
	if err != nil {
		panic(err)
	}
	m := obj.(*mae.DAE)
	m.Collate.Set = data.SyntheticImages(4, 8, 2, 1)
	b := m.Collate.Images([]int{0, 1, 2, 3}, nil)
	b.Scope = tensor.NewScope()
	return obj.Loss(b).Item()
}()`)
	require.NoError(t, err)
	v, err := in.Eval(context.Background(), "daeLoss")
	require.NoError(t, err)
	loss, err := strconv.ParseFloat(Format(v), 32)
	require.NoError(t, err, "loss %q", Format(v))
	assert.Greater(t, loss, 0.0)
}
