package lm

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pretrain-go/pretrain/builtin/internal/objtest"
	"github.com/pretrain-go/pretrain/sdk/data"
	"github.com/pretrain-go/pretrain/sdk/task"
	"github.com/pretrain-go/pretrain/sdk/tensor"
)

// small is the width used by the CI-sized training tests.
var small = map[string]string{"dim": "64", "layers": "2", "heads": "2"}

func trainObjective(t *testing.T, name string, opts map[string]string, steps int, lr float32) (before, after float32) {
	return trainObjectiveAt(t, tensor.F32, name, opts, steps, lr)
}

// trainObjectiveAt is trainObjective at the given matrix-product precision.
func trainObjectiveAt(t *testing.T, precision tensor.DType, name string, opts map[string]string, steps int, lr float32) (before, after float32) {
	const seqLen = 48
	o := map[string]string{}
	for k, v := range small {
		o[k] = v
	}
	for k, v := range opts {
		o[k] = v
	}
	obj, err := task.NewObjective(name, objtest.Config(seqLen, o))
	require.NoError(t, err)
	train := objtest.Sequences(t, 0, 400, seqLen)
	eval := objtest.Sequences(t, 400*seqLen, 32, seqLen)
	before, after = objtest.TrainAt(t, precision, obj, train, eval, steps, 16, lr)
	t.Logf("%s: eval loss %.3f -> %.3f", name, before, after)
	return before, after
}

// The untrained byte-level losses are about ln(278) = 5.6 nats; a model
// that has learnt English byte statistics and some context reaches the
// thresholds below (unigram entropy of the text is about 3.0 nats).

func TestCLMLearns(t *testing.T) {
	before, after := trainObjective(t, "clm", nil, 100, 3e-3)
	assert.Greater(t, before, float32(5))
	assert.Less(t, after, float32(2.9))
}

func TestMLMLearns(t *testing.T) {
	before, after := trainObjective(t, "mlm", nil, 120, 3e-3)
	assert.Greater(t, before, float32(5))
	assert.Less(t, after, float32(3.4))
}

func TestELECTRALearns(t *testing.T) {
	// Loss = gen + 50·disc; a discriminator that cannot tell replaced
	// tokens from originals has disc >= ln 2, so gen + 34.7 or more.
	before, after := trainObjective(t, "electra", nil, 80, 3e-3)
	assert.Greater(t, before, float32(34.7))
	assert.Less(t, after, float32(28))
}

func TestContrastiveLearns(t *testing.T) {
	// In evaluation mode the two views coincide, so the eval loss measures
	// how well the sentences of a batch are told apart: ln 16 = 2.77 when
	// they all look alike.
	before, after := trainObjective(t, "contrastive", nil, 40, 1e-3)
	assert.Less(t, after, float32(0.1))
	assert.Less(t, after, before/4)
}

func TestShiftLabels(t *testing.T) {
	got := ShiftLabels(nil, []int{1, 2, 3, 4, 5, 6}, 2, 3)
	assert.Equal(t, []int{2, 3, tensor.IgnoreIndex, 5, 6, tensor.IgnoreIndex}, got)
	assert.Panics(t, func() { ShiftLabels(nil, []int{1, 2, 3}, 2, 3) })
}

// TestCLMLossMatchesManualShift checks the shifted loss against a
// cross-entropy computed from explicit next-token targets.
func TestCLMLossMatchesManualShift(t *testing.T) {
	obj, err := task.NewObjective("clm", objtest.Config(8, map[string]string{"dim": "16", "layers": "1", "heads": "2"}))
	require.NoError(t, err)
	clm := obj.(*CLM)
	seqs := [][]int{{1, 2, 3, 4, 5, 6, 7, 8}, {9, 10, 11, 12, 13}}
	b, err := obj.Collator().Collate(seqs, data.NewRNG(1))
	require.NoError(t, err)
	got := obj.Loss(b).Item()
	logits := clm.Model().Forward(b.Scope, b.InputIDs, b.Size, b.SeqLen).Float32s()
	v := clm.Model().Config.VocabSize
	var sum float64
	n := 0
	for r, s := range seqs {
		for i := 0; i+1 < len(s); i++ {
			row := logits[(r*8+i)*v : (r*8+i+1)*v]
			mx := float64(row[0])
			for _, x := range row {
				mx = math.Max(mx, float64(x))
			}
			var z float64
			for _, x := range row {
				z += math.Exp(float64(x) - mx)
			}
			sum += mx + math.Log(z) - float64(row[s[i+1]])
			n++
		}
	}
	assert.InDelta(t, sum/float64(n), float64(got), 1e-4)
}

func TestContrastiveExplicitPairs(t *testing.T) {
	obj, err := task.NewObjective("contrastive", objtest.Config(16, map[string]string{"dim": "16", "layers": "1", "heads": "2", "pairs": "adjacent"}))
	require.NoError(t, err)
	c := obj.(*Contrastive)
	col := c.Collator().(*data.ContrastiveCollator)
	assert.Equal(t, data.PairAdjacent, col.Mode)
	// Explicit pairs of different widths take the two-pass path.
	col2 := &data.ContrastiveCollator{Mode: data.PairAdjacent, PadID: objtest.Pad}
	b, err := col2.CollatePairs([][]int{{1, 2, 3}, {4, 5, 6, 7}}, [][]int{{1, 2}, {4, 5}})
	require.NoError(t, err)
	loss := c.Loss(b)
	loss.Backward()
	l := loss.Item()
	assert.False(t, math.IsNaN(float64(l)))
	assert.Greater(t, l, float32(0))
	assert.NotNil(t, c.Model().WTE.Weight.Grad())
}

func TestMeanPoolIgnoresPadding(t *testing.T) {
	h := tensor.FromFloat32s([]float32{1, 2, 3, 4, 100, 100}, 1, 3, 2)
	got := MeanPool(h, []int{1, 1, 0}).Float32s()
	assert.Equal(t, []float32{2, 3}, got)
	n := Normalize(tensor.FromFloat32s([]float32{3, 4}, 1, 2)).Float32s()
	assert.InDeltaSlice(t, []float32{0.6, 0.8}, n, 1e-6)
}

func TestConfigErrors(t *testing.T) {
	for _, name := range []string{"clm", "mlm", "electra", "contrastive"} {
		_, err := task.NewObjective(name, objtest.Config(0, nil))
		assert.ErrorContains(t, err, "SeqLen", name)
	}
	cfg := objtest.Config(32, nil)
	delete(cfg.Special, "mask")
	_, err := task.NewObjective("mlm", cfg)
	assert.ErrorContains(t, err, `"mask"`)
	cfg = objtest.Config(32, map[string]string{"heads": "many"})
	_, err = task.NewObjective("clm", cfg)
	assert.ErrorContains(t, err, "heads")
	cfg = objtest.Config(32, nil)
	cfg.Model = "bert-tiny"
	_, err = task.NewObjective("clm", cfg)
	assert.ErrorContains(t, err, "bert")
	cfg.Model = "gpt-huge"
	_, err = task.NewObjective("clm", cfg)
	assert.ErrorContains(t, err, "gpt-huge")
	_, err = task.NewObjective("contrastive", objtest.Config(32, map[string]string{"pairs": "triples"}))
	assert.ErrorContains(t, err, "triples")
	_, err = task.NewObjective("electra", objtest.Config(32, map[string]string{"gen-layers": "0"}))
	assert.ErrorContains(t, err, "generator")
}

func TestPresetShapes(t *testing.T) {
	cfg := task.Config{VocabSize: 4096, SeqLen: 128, Special: map[string]int{"mask": 4095}}
	obj, err := task.NewObjective("clm", cfg)
	require.NoError(t, err)
	// torch_gpt.py reports 1,334,016 parameters for tiny.
	assert.Equal(t, 1334016, obj.Module().NumParams())
	obj, err = task.NewObjective("mlm", cfg)
	require.NoError(t, err)
	assert.Equal(t, 1334016, obj.Module().NumParams())
}

// TestBF16CloseToF32 trains the same clm model from the same start on the
// same batches in f32 and with bf16 matmuls (f32 master weights and
// accumulation), and asserts the eval losses agree within 2%.
func TestBF16CloseToF32(t *testing.T) {
	run := func(precision tensor.DType) float32 {
		_, after := trainObjectiveAt(t, precision, "clm", map[string]string{"layers": "1"}, 60, 3e-3)
		return after
	}
	f32, b16 := run(tensor.F32), run(tensor.BF16)
	t.Logf("eval loss after 60 steps: f32 %.4f, bf16 %.4f (%.2f%%)", f32, b16, 100*(b16-f32)/f32)
	assert.InEpsilon(t, f32, b16, 0.02)
	assert.NotEqual(t, f32, b16, "autocast changed nothing")
}

func TestSpanPairs(t *testing.T) {
	c := &SpanPairs{SeqLen: 8, PadID: objtest.Pad}
	assert.Equal(t, "SpanPairs(seq=8, pad=256)", c.String())
	long := make([]int, 30)
	for i := range long {
		long[i] = 100 + i
	}
	short := []int{1, 2, 3, 4, 5}
	rng := data.NewRNG(3)
	gaps := map[int]bool{}
	for trial := 0; trial < 200; trial++ {
		b, err := c.Collate([][]int{long, short}, rng)
		require.NoError(t, err)
		require.Equal(t, 4, b.Size)
		require.Equal(t, 8, b.SeqLen)
		// Rows 0 and 2 are the long sequence's pair: 8 consecutive ids each,
		// the second starting after the first ends.
		a, p := b.InputIDs[0:8], b.InputIDs[16:24]
		for j := 1; j < 8; j++ {
			require.Equal(t, a[0]+j, a[j])
			require.Equal(t, p[0]+j, p[j])
		}
		require.GreaterOrEqual(t, p[0], a[0]+8)
		require.LessOrEqual(t, p[7], 129)
		gaps[p[0]-a[0]-8] = true
		assert.Equal(t, a, b.Labels[0:8])
		// Rows 1 and 3: the 5-id sequence gives spans of 2, padded.
		s1, s2 := b.InputIDs[8:16], b.InputIDs[24:32]
		assert.Equal(t, s1[0]+1, s1[1])
		assert.GreaterOrEqual(t, s2[0], s1[1]+1)
		assert.Equal(t, []int{1, 1, 0, 0, 0, 0, 0, 0}, b.AttentionMask[8:16])
		assert.Equal(t, objtest.Pad, s1[2])
		assert.Equal(t, tensor.IgnoreIndex, b.Labels[8+2])
	}
	assert.Len(t, gaps, 15, "every gap from 0 to 14 is drawn")
	_, err := c.Collate([][]int{{7}}, rng)
	assert.ErrorContains(t, err, "need at least 2")
}

// topicRows draws n rows of length ids, each from one of 8 topics: half
// the ids uniform in the topic's own range of 30, half uniform over all
// 240.
func topicRows(seed uint64, n, length int) [][]int {
	rng := data.NewRNG(seed)
	out := make([][]int, n)
	for i := range out {
		topic := rng.Intn(8)
		out[i] = make([]int, length)
		for j := range out[i] {
			out[i][j] = rng.Intn(240)
			if rng.Intn(2) == 0 {
				out[i][j] = topic*30 + rng.Intn(30)
			}
		}
	}
	return out
}

// TestCLMContrastiveLearns trains clm with the passage-contrastive term on
// rows of a topic language: both terms fall, and the contrastive part (the
// loss minus the plain clm loss on the same batch) ends well below ln 16,
// the loss of embeddings that cannot tell a span's partner from the 15
// other spans (about ln 2 is the floor: a span's topic is shared by one
// other pair of the batch on average).
func TestCLMContrastiveLearns(t *testing.T) {
	const seqLen = 48
	o := map[string]string{"contrastive": "1"}
	for k, v := range small {
		o[k] = v
	}
	obj, err := task.NewObjective("clm", objtest.Config(seqLen, o))
	require.NoError(t, err)
	clm := obj.(*CLM)
	assert.Contains(t, clm.String(), "passage-contrastive")
	plain := NewCLMFor(clm.Model(), seqLen, objtest.Pad)
	train, eval := topicRows(1, 400, 2*seqLen), topicRows(2, 32, 2*seqLen)
	parts := func() (lmLoss, contrastive float32) {
		for i := 0; i < len(eval); i += 16 {
			b, err := clm.Collator().Collate(eval[i:i+16], data.NewRNG(uint64(i)))
			require.NoError(t, err)
			b.Scope = tensor.NewScope().NoGrad()
			total, l := obj.Loss(b).Item(), plain.Loss(b).Item()
			lmLoss += l / 2
			contrastive += (total - l) / 2
		}
		return
	}
	l0, c0 := parts()
	objtest.Train(t, obj, train, eval, 150, 16, 3e-3)
	l1, c1 := parts()
	t.Logf("clm %.3f -> %.3f, contrastive %.3f -> %.3f", l0, l1, c0, c1)
	assert.Less(t, l1, l0-0.4) // the noise half keeps the next-token entropy near 4.9
	assert.Less(t, c1, c0-0.5)
	assert.Less(t, c1, float32(math.Log(16))-1)
}

// TestArchBERT: option arch=bert builds the original post-LN BERT (with
// the MLM transform for mlm), its checkpoint reads back in that layout and
// converts for hf.Save; an unknown arch is an error.
func TestArchBERT(t *testing.T) {
	obj, err := task.NewObjective("mlm", objtest.Config(32, map[string]string{"dim": "16", "layers": "1", "heads": "2", "arch": "bert"}))
	require.NoError(t, err)
	sd := obj.Module().StateDict()
	for _, k := range []string{"emb_ln.weight", "mlm.dense.weight", "mlm.bias"} {
		assert.Contains(t, sd, k)
	}
	assert.NotContains(t, sd, "ln_f.weight")
	cfg := ModelConfig(obj)
	assert.InDelta(t, 1e-12, cfg["layer_norm_eps"], 1e-18)
	c := &Checkpoint{Path: "run", Tensors: sd, Config: map[string]any{"model_type": "mlm", "num_attention_heads": 2.0, "layer_norm_eps": 1e-12, "mask_token_id": 3.0}}
	m, err := c.BERT()
	require.NoError(t, err)
	assert.True(t, m.Config.PostLN && m.Config.MLMHead && m.Config.Eps == 1e-12)
	h, err := c.HFModel()
	require.NoError(t, err)
	assert.Equal(t, 3, h.Special["mask"])
	_, err = task.NewObjective("mlm", objtest.Config(32, map[string]string{"arch": "rope"}))
	assert.ErrorContains(t, err, `arch="rope"`)
	c.Config["model_type"] = "word2vec"
	_, err = c.HFModel()
	assert.ErrorContains(t, err, "only clm, mlm, electra and contrastive")
}
