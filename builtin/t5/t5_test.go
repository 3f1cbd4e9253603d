package t5

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pretrain-go/pretrain/builtin/internal/objtest"
	"github.com/pretrain-go/pretrain/sdk/task"
	"github.com/pretrain-go/pretrain/sdk/tensor"
)

func trainObjective(t *testing.T, name string, threshold float32) {
	const seqLen = 48
	obj, err := task.NewObjective(name, objtest.Config(seqLen, map[string]string{
		"dim": "64", "layers": "1", "heads": "2", "sentinels": "16"}))
	require.NoError(t, err)
	train := objtest.Sequences(t, 0, 400, seqLen)
	eval := objtest.Sequences(t, 400*seqLen, 32, seqLen)
	before, after := objtest.Train(t, obj, train, eval, 150, 16, 3e-3)
	t.Logf("%s: eval loss %.3f -> %.3f", name, before, after)
	assert.Less(t, after, threshold, "eval loss after training")
	assert.Less(t, after, before-1)
}

// Thresholds: the untrained loss is about ln(278) = 5.6 nats per byte.
func TestSpanObjectiveLearns(t *testing.T) { trainObjective(t, "span", 3.0) }

func TestDenoisingObjectiveLearns(t *testing.T) { trainObjective(t, "dae", 3.2) }

func TestObjectiveConfigErrors(t *testing.T) {
	_, err := task.NewObjective("span", objtest.Config(0, nil))
	assert.ErrorContains(t, err, "SeqLen")
	cfg := objtest.Config(32, nil)
	delete(cfg.Special, "mask")
	_, err = task.NewObjective("dae", cfg)
	assert.ErrorContains(t, err, `"mask"`)
	cfg = objtest.Config(32, map[string]string{"dim": "wide"})
	_, err = task.NewObjective("span", cfg)
	assert.ErrorContains(t, err, "dim")
	cfg.Model = "t5-huge"
	cfg.Options = nil
	_, err = task.NewObjective("span", cfg)
	assert.ErrorContains(t, err, "t5-huge")
}

func TestParameterNames(t *testing.T) {
	m, err := New(Config{VocabSize: 10, ContextLen: 4, DecContextLen: 3, Dim: 8, EncLayers: 1, DecLayers: 1, Heads: 2}, tensor.NewRNG(1))
	require.NoError(t, err)
	sd := m.StateDict()
	for _, name := range []string{"shared.weight", "enc_pos.weight", "dec_pos.weight",
		"encoder.blocks.0.attn.qkv.weight", "encoder.ln_f.weight",
		"decoder.blocks.0.self_attn.qkv.weight", "decoder.blocks.0.cross_attn.kv.weight",
		"decoder.blocks.0.cross_attn.q.bias", "decoder.blocks.0.ln3.bias", "decoder.blocks.0.mlp.fc2.weight", "decoder.ln_f.bias"} {
		assert.Contains(t, sd, name)
	}
	assert.Equal(t, []int{16, 8}, sd["decoder.blocks.0.cross_attn.kv.weight"].Shape())
}
