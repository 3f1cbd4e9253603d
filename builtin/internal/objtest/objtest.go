// Package objtest trains built-in objectives briefly on the embedded
// corpus, for the tests that check each objective learns. Text is
// tokenized as bytes (ids 0-255) with special ids above, so the tests need
// no trained tokenizer.
package objtest

import (
	"testing"

	"github.com/pretrain-go/pretrain/builtin/corpus"
	"github.com/pretrain-go/pretrain/sdk/data"
	"github.com/pretrain-go/pretrain/sdk/optim"
	"github.com/pretrain-go/pretrain/sdk/task"
	"github.com/pretrain-go/pretrain/sdk/tensor"
)

// Byte-level special ids used by the tests; sentinels fill the ids above
// Sentinel0's position up to VocabSize-1 (T5 counts them down from the top).
const (
	Pad       = 256
	EOS       = 257
	Mask      = 258
	BOS       = 259
	CLS       = 260
	SEP       = 261
	Sentinels = 16
	VocabSize = 262 + Sentinels
)

// Config returns a task config for byte-level text with the ids above.
func Config(seqLen int, options map[string]string) task.Config {
	return task.Config{VocabSize: VocabSize, SeqLen: seqLen, Seed: 1,
		Special: map[string]int{"pad": Pad, "eos": EOS, "mask": Mask, "bos": BOS, "cls": CLS, "sep": SEP},
		Options: options}
}

// Sequences cuts Persuasion into n rows of seqLen bytes, starting at byte
// offset from.
func Sequences(t testing.TB, from, n, seqLen int) [][]int {
	t.Helper()
	text, err := corpus.AustenText("persuasion")
	if err != nil {
		t.Fatal(err)
	}
	if from+n*seqLen > len(text) {
		t.Fatalf("corpus too short for %d rows of %d", n, seqLen)
	}
	out := make([][]int, n)
	for i := range out {
		row := make([]int, seqLen)
		for j := range row {
			row[j] = int(text[from+i*seqLen+j])
		}
		out[i] = row
	}
	return out
}

// Train runs steps AdamW steps of obj on batches of train rows and returns
// the mean loss on eval rows before and after, computed in evaluation mode
// with fixed collation seeds.
func Train(t testing.TB, obj task.Objective, train, eval [][]int, steps, batch int, lr float32) (before, after float32) {
	t.Helper()
	return TrainAt(t, tensor.F32, obj, train, eval, steps, batch, lr)
}

// TrainAt is Train with the given matrix-product precision (BF16: mixed
// precision) for training and evaluation.
func TrainAt(t testing.TB, precision tensor.DType, obj task.Objective, train, eval [][]int, steps, batch int, lr float32) (before, after float32) {
	t.Helper()
	m := obj.Module()
	opt := optim.NewAdamW(optim.SplitDecay(m.NamedParameters(), lr, 0.01), optim.DefaultAdam())
	evalLoss := func() float32 {
		m.Train(false)
		defer m.Train(true)
		var sum float32
		n := 0
		noGrad := tensor.NewScope().NoGrad().WithAutocast(precision)
		for i := 0; i+batch <= len(eval); i += batch {
			b, err := obj.Collator().Collate(eval[i:i+batch], data.NewRNG(uint64(i)))
			if err != nil {
				t.Fatal(err)
			}
			b.Scope = noGrad
			loss := obj.Loss(b)
			if loss.RequiresGrad() {
				t.Fatalf("%s: the loss under a NoGrad scope records a graph: the objective does not pass Batch.Scope to its first operations", obj.Name())
			}
			sum += loss.Item()
			n++
		}
		return sum / float32(n)
	}
	before = evalLoss()
	rng := data.NewRNG(7)
	arena := tensor.NewArena()
	stepScope := tensor.NewScope().WithArena(arena).WithAutocast(precision)
	rows := make([][]int, batch)
	for step := 0; step < steps; step++ {
		for i := range rows {
			rows[i] = train[rng.Intn(len(train))]
		}
		b, err := obj.Collator().Collate(rows, rng)
		if err != nil {
			t.Fatal(err)
		}
		b.Scope = stepScope
		loss := obj.Loss(b)
		if loss.Scope() != stepScope {
			t.Fatalf("%s: the loss is not computed under the batch's scope: the objective does not pass Batch.Scope to its first operations", obj.Name())
		}
		loss.Backward()
		arena.Reset()
		optim.ClipGradNorm(m.Parameters(), 1)
		opt.Step()
		opt.ZeroGrad()
	}
	return before, evalLoss()
}
