package lm_test

import (
	"context"
	"math"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pretrain-go/pretrain/builtin/generate"
	"github.com/pretrain-go/pretrain/builtin/gpt"
	"github.com/pretrain-go/pretrain/builtin/internal/objtest"
	"github.com/pretrain-go/pretrain/builtin/lm"
	"github.com/pretrain-go/pretrain/sdk/data"
	"github.com/pretrain-go/pretrain/sdk/optim"
	"github.com/pretrain-go/pretrain/sdk/task"
	"github.com/pretrain-go/pretrain/sdk/tensor"
	"github.com/pretrain-go/pretrain/sdk/train"
)

// The tests in this file are the embedding contract of issue 13: work in
// different goroutines of one process does not interact. They are cheap
// enough to run under the race detector (.ci/run runs them with -race).

const raceSeqLen = 16

var raceText = []string{
	"It is a truth universally acknowledged, that a single man in possession",
	"of a good fortune, must be in want of a wife. However little known the",
	"feelings or views of such a man may be on his first entering a",
	"neighbourhood, this truth is so well fixed in the minds of the",
}

// raceRun is one small clm training run through the Trainer: a 1-layer GPT
// of width 32 on bytes, with dropout, so that both the arena and the RNGs
// are exercised. It returns the loss of every step and the final weights.
func raceRun(t *testing.T, seed uint64, precision tensor.DType, steps int) (losses []float64, weights []float32) {
	t.Helper()
	cfg := objtest.Config(raceSeqLen, map[string]string{"dim": "32", "layers": "1", "heads": "2", "dropout": "0.1"})
	cfg.Seed = seed
	obj, err := task.NewObjective("clm", cfg)
	require.NoError(t, err)
	m := obj.Module()
	opt := optim.NewAdamW(optim.SplitDecay(m.NamedParameters(), 3e-3, 0.01), optim.DefaultAdam())
	tr := train.New(obj, opt, data.LoaderConfig{
		Open:      func(context.Context, int) (data.Reader, error) { return data.TextReader(raceText), nil },
		Encode:    byteIDs,
		BatchSize: 4,
		PackLen:   raceSeqLen,
		PackSep:   -1,
		Epochs:    -1,
		Seed:      seed,
	}, train.Config{Steps: steps, LogEvery: 1, Precision: precision,
		OnStep: func(mt train.Metrics) { losses = append(losses, mt.Loss) }})
	_, err = tr.Run(context.Background())
	require.NoError(t, err)
	for _, p := range m.Parameters() {
		weights = append(weights, p.Float32s()...)
	}
	return losses, weights
}

func byteIDs(s string) []int {
	ids := make([]int, len(s))
	for i := range s {
		ids[i] = int(s[i])
	}
	return ids
}

// TestConcurrentTrainersMatchAlone trains two models at once (different
// seeds and precisions, each with its own arena and scope) and checks that
// each ends bit-identical to the same run made alone.
func TestConcurrentTrainersMatchAlone(t *testing.T) {
	const steps = 6
	l1, w1 := raceRun(t, 1, tensor.F32, steps)
	l2, w2 := raceRun(t, 2, tensor.BF16, steps)
	var cl1, cl2 []float64
	var cw1, cw2 []float32
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); cl1, cw1 = raceRun(t, 1, tensor.F32, steps) }()
	go func() { defer wg.Done(); cl2, cw2 = raceRun(t, 2, tensor.BF16, steps) }()
	wg.Wait()
	require.Len(t, l1, steps)
	assert.Equal(t, l1, cl1, "f32 run: losses")
	assert.Equal(t, l2, cl2, "bf16 run: losses")
	assert.True(t, equalBits(w1, cw1), "f32 run: final weights differ")
	assert.True(t, equalBits(w2, cw2), "bf16 run: final weights differ")
	assert.NotEqual(t, l1, l2, "the two runs must differ, or the test shows nothing")
}

// TestTrainerBesideInference runs a trainer and an inference loop (NoGrad
// forward passes and cached generation on a second model) in two
// goroutines, and checks both give what they give one after the other.
func TestTrainerBesideInference(t *testing.T) {
	server, err := gpt.New(gpt.Config{VocabSize: objtest.VocabSize, ContextLen: 32, Dim: 32, Layers: 1, Heads: 2}, tensor.NewRNG(9))
	require.NoError(t, err)
	server.Train(false)
	const requests = 8
	serve := func() (out [][]int, logits [][]float32) {
		for i := 0; i < requests; i++ {
			prompt := byteIDs(raceText[i%len(raceText)][:8+i])
			ids, err := generate.Generate(server, prompt, generate.Options{MaxNewTokens: 6, Temperature: 0.8, TopK: 20, Seed: uint64(i)})
			require.NoError(t, err)
			out = append(out, ids)
			logits = append(logits, generate.LastLogits(server, prompt))
		}
		return out, logits
	}
	loss, weights := raceRun(t, 3, tensor.F32, 6)
	ids, logits := serve()

	var cLoss []float64
	var cWeights []float32
	var cIDs [][]int
	var cLogits [][]float32
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); cLoss, cWeights = raceRun(t, 3, tensor.F32, 6) }()
	go func() { defer wg.Done(); cIDs, cLogits = serve() }()
	wg.Wait()
	assert.Equal(t, loss, cLoss)
	assert.True(t, equalBits(weights, cWeights), "trainer's final weights differ")
	assert.Equal(t, ids, cIDs, "generated tokens differ")
	for i := range logits {
		assert.True(t, equalBits(logits[i], cLogits[i]), "request %d: logits differ", i)
	}
}

// TestNoGradScopeDoesNotLeak is the failure the globals allowed: one
// goroutine's NoGrad evaluation turning recording off for another's
// training step. Here evaluation and training interleave in two goroutines
// many times, and every training loss must still carry a graph.
func TestNoGradScopeDoesNotLeak(t *testing.T) {
	obj, err := task.NewObjective("clm", objtest.Config(raceSeqLen, map[string]string{"dim": "32", "layers": "1", "heads": "2"}))
	require.NoError(t, err)
	clm := obj.(*lm.CLM)
	evalModel, err := gpt.New(clm.Model().Config, tensor.NewRNG(5))
	require.NoError(t, err)
	rows := [][]int{byteIDs(raceText[0][:raceSeqLen]), byteIDs(raceText[1][:raceSeqLen])}
	b, err := obj.Collator().Collate(rows, data.NewRNG(1))
	require.NoError(t, err)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		eval := tensor.NewScope().NoGrad()
		for {
			select {
			case <-stop:
				return
			default:
			}
			evalModel.Forward(eval, b.InputIDs, b.Size, b.SeqLen).Sum().Item()
		}
	}()
	step := tensor.NewScope().WithArena(tensor.NewArena())
	for i := 0; i < 20; i++ {
		bb := *b
		bb.Scope = step
		loss := obj.Loss(&bb)
		require.True(t, loss.RequiresGrad(), "step %d: the evaluation goroutine switched recording off", i)
		loss.Backward()
		step.Arena().Reset()
	}
	close(stop)
	<-done
}

func equalBits(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}
