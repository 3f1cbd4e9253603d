package transfer

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/pretrain-go/pretrain/builtin/finetune"
	"github.com/pretrain-go/pretrain/builtin/heads"
	"github.com/pretrain-go/pretrain/builtin/vectors"
	"github.com/pretrain-go/pretrain/builtin/word2vec"
	"github.com/pretrain-go/pretrain/sdk/data"
	"github.com/pretrain-go/pretrain/sdk/optim"
	"github.com/pretrain-go/pretrain/sdk/task"
	"github.com/pretrain-go/pretrain/sdk/tensor"
	"github.com/pretrain-go/pretrain/sdk/tokenizer"
)

// Backbones accepted by Config.Backbone.
const (
	BackboneGPT      = "gpt"
	BackboneWord2Vec = "word2vec"
)

// VectorsFile is the word-vector backbone saved in Out/pretrained
// (word2vec text format).
const VectorsFile = "vectors.txt"

// wordTokens is the word-level tokenization of the word-vector path: text
// split on white space, each word normalised as word2vec's corpus reader
// does (lowercased, punctuation trimmed at the edges), unknown words
// skipped.
type wordTokens struct {
	vecs *vectors.Vectors
	pad  int // one past the vocabulary: a zero row, masked anyway
}

func (t *wordTokens) encode(text string, maxLen int) []int {
	var ids []int
	for _, f := range strings.Fields(text) {
		w := tokenizer.NormalizeWord(f)
		if w == "" {
			continue
		}
		if id := t.vecs.Index(w); id >= 0 {
			ids = append(ids, id)
			if maxLen > 0 && len(ids) == maxLen {
				break
			}
		}
	}
	if len(ids) == 0 {
		ids = []int{t.pad} // all unknown: a zero vector
	}
	return ids
}

// PretrainWordVectors trains skip-gram word vectors on cfg.Text (one
// paragraph per line) and (with cfg.Out set) saves them as
// Out/pretrained/vectors.txt.
func PretrainWordVectors(ctx context.Context, cfg *Config) (*vectors.Vectors, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	var sb strings.Builder
	if err := cfg.Text.Scan(ctx, func(r data.Record) error {
		sb.WriteString(oneLine(r.Text))
		sb.WriteByte('\n')
		return nil
	}); err != nil {
		return nil, err
	}
	wc := cfg.Word2Vec
	wc.Normalize = true
	v, err := word2vec.Train(ctx, wc, strings.NewReader(sb.String()))
	if err != nil {
		return nil, err
	}
	if cfg.Out != "" {
		dir := filepath.Join(cfg.Out, "pretrained")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
		if err := v.Save(filepath.Join(dir, VectorsFile), vectors.Word2VecText); err != nil {
			return nil, err
		}
	}
	return v, nil
}

// runWordVectors is RunExperiment for Backbone "word2vec": word vectors
// (pretrained with skip-gram, or random with the same scale) in a table,
// mean-pooled, dropout, linear.
func runWordVectors(ctx context.Context, cfg Config, rep *Report, start time.Time) (*Report, error) {
	var v *vectors.Vectors
	var err error
	if cfg.From != "" {
		path := cfg.From
		if st, err := os.Stat(path); err == nil && st.IsDir() {
			path = filepath.Join(path, VectorsFile)
		}
		if v, err = vectors.Load(path); err != nil {
			return nil, err
		}
	} else {
		t0 := time.Now()
		if v, err = PretrainWordVectors(ctx, &cfg); err != nil {
			return nil, err
		}
		rep.PretrainTime = time.Since(t0)
		progress(cfg.Progress, "pretrained %v in %s\n", v, rep.PretrainTime.Round(100*time.Millisecond))
	}
	// The pretrained table, with a zero padding row, and the scale the
	// scratch arm's random table is drawn at (the pretrained entries' RMS).
	V, D := v.Len(), v.Dim
	pre := make([]float32, (V+1)*D)
	copy(pre, v.Data[:V*D])
	var ss float64
	for _, x := range v.Data[:V*D] {
		ss += float64(x) * float64(x)
	}
	rms := float32(math.Sqrt(ss / float64(V*D)))
	rep.Backbone = fmt.Sprintf("WordVectors(vocab=%d, dim=%d, trainable=%t, strategy=%s, rms %.3g)", V, D, !cfg.FreezeVectors, cmp.Or(cfg.Finetune.Strategy, "full"), rms)
	tok := &wordTokens{vecs: v, pad: V}
	encode := func(ex []data.Example) ([][]int, []int) {
		seqs, labels := make([][]int, len(ex)), make([]int, len(ex))
		for i, e := range ex {
			seqs[i], labels[i] = tok.encode(e.Text, cfg.WordSeqLen), e.LabelID
		}
		return seqs, labels
	}
	evalSeqs, evalLabels := encode(cfg.Eval)
	for _, budget := range cfg.Budgets {
		for _, seed := range cfg.Seeds {
			sub := SampleBy(cfg.Sampling, cfg.Train, cfg.Labels.Len(), budget, seed)
			trainSet, validSet, err := cfg.split(sub, seed)
			if err != nil {
				return nil, err
			}
			rep.naiveBayes(&cfg, sub, seed)
			seqs, labels := encode(trainSet)
			validSeqs, validLabels := encode(validSet)
			for _, pretrained := range []bool{true, false} {
				table := make([]float32, len(pre))
				if pretrained {
					copy(table, pre)
				} else {
					rng := tensor.NewRNG(1000 + seed)
					for i := range table[:V*D] {
						table[i] = rng.NormFloat32() * rms
					}
				}
				t0 := time.Now()
				res, head, err := trainWordVectors(ctx, tensor.FromFloat32s(table, V+1, D), &cfg, seed, seqs, labels, validSeqs, validLabels, V)
				if err != nil {
					return nil, err
				}
				test := scoreWords(head, cfg.Labels.Names(), evalSeqs, evalLabels, V) // once, at the end
				r := Run{Pretrained: pretrained, Budget: len(sub), Seed: seed, Accuracy: test.Accuracy, MacroF1: test.MacroF1,
					BestStep: res.BestStep, ValidAcc: res.Best.Accuracy, Curve: res.Curve}
				if len(validSet) == 0 {
					r.BestStep, r.ValidAcc = res.Steps, math.NaN()
				}
				rep.Runs = append(rep.Runs, r)
				kind := "scratch"
				if pretrained {
					kind = "pretrained"
				}
				progress(cfg.Progress, "%4d labels, seed %d, %-10s test accuracy %.3f, macro-F1 %.3f (kept step %d, validation %.3f; %s)\n",
					r.Budget, seed, kind, r.Accuracy, r.MacroF1, r.BestStep, r.ValidAcc, time.Since(t0).Round(100*time.Millisecond))
			}
		}
	}
	rep.Rows = aggregate(rep.Runs, rep.Baseline)
	rep.Elapsed = time.Since(start)
	if cfg.Out != "" {
		if err := rep.Write(cfg.Out); err != nil {
			return rep, err
		}
	}
	return rep, nil
}

// trainWordVectors trains the "classify" head (mean pooling) over a
// heads.WordVectors backbone on table, as finetune.Run does for the GPT:
// AdamW, linear warm-up and decay, gradient clipping, an evaluation every
// cfg.EvalEvery steps on the validation set (evalSeqs), the best one
// kept (the last step when there is no validation set). Strategy
// "gradual" keeps the table frozen for the first quarter of the steps so
// that the head is warm before the vectors move.
func trainWordVectors(ctx context.Context, table *tensor.Tensor, cfg *Config, seed uint64, seqs [][]int, labels []int, evalSeqs [][]int, evalLabels []int, pad int) (*finetune.Result, *heads.Classifier, error) {
	start := time.Now()
	bb := heads.NewWordVectors(table, !cfg.FreezeVectors)
	h, err := heads.NewClassifier(bb, task.Config{Labels: cfg.Labels.Len(), Seed: seed, Options: map[string]string{"pooling": "mean"}})
	if err != nil {
		return nil, nil, err
	}
	head := h.(*heads.Classifier)
	fc := cfg.Finetune
	wd := fc.WD
	if wd == 0 {
		wd = 0.01
	}
	clip := fc.ClipNorm
	if clip == 0 {
		clip = 1
	}
	batch := fc.BatchSize
	if batch == 0 {
		batch = 16
	}
	tableParams := bb.NamedParameters()
	groups := []*optim.Group{optim.NewGroup("head", head.NamedParameters(), cfg.WordHeadLR, wd)}
	if !cfg.FreezeVectors {
		// No weight decay on the table: it would shrink every word, also
		// those absent from the labeled examples.
		groups = append(groups, optim.NewGroup("vectors", tableParams, cfg.WordLR, 0))
	}
	var params []*tensor.Tensor
	for _, g := range groups {
		g.LRScale = g.LR
		for _, p := range g.Params {
			params = append(params, p.Tensor)
		}
	}
	opt := optim.NewAdamW(groups, optim.DefaultAdam())
	warmup := fc.Warmup
	if warmup == 0 {
		warmup = max(1, cfg.Steps/10)
	}
	sched := optim.WarmupLinear(1, warmup, cfg.Steps, 0)
	headOnly := 0 // steps during which the table's gradient is dropped
	if cfg.Finetune.Strategy == "gradual" && !cfg.FreezeVectors {
		headOnly = max(1, cfg.Steps/4)
	}
	res := &finetune.Result{Total: bb.NumParams() + head.NumParams()}
	best := math.Inf(-1)
	var bestWeights [][]float32
	names := cfg.Labels.Names()
	evaluate := func(step int) {
		if len(evalSeqs) == 0 {
			return
		}
		mt := scoreWords(head, names, evalSeqs, evalLabels, pad)
		res.Curve = append(res.Curve, finetune.EvalPoint{Step: step, Accuracy: mt.Accuracy, MacroF1: mt.MacroF1, Loss: mt.Loss, Elapsed: time.Since(start)})
		if step > 0 && mt.Accuracy > best {
			best, res.BestStep, res.Best = mt.Accuracy, step, mt
			if bestWeights == nil {
				bestWeights = make([][]float32, len(params))
			}
			for i, t := range params {
				bestWeights[i] = append(bestWeights[i][:0], t.Data()...)
			}
		}
	}
	evaluate(0)
	rng := tensor.NewRNG(seed)
	perEpoch := (len(seqs) + batch - 1) / batch
	var order []int
	for step := 0; step < cfg.Steps; step++ {
		if err := ctx.Err(); err != nil {
			return res, head, err
		}
		if step%perEpoch == 0 {
			order = rng.Perm(len(seqs))
		}
		i0 := (step % perEpoch) * batch
		idx := order[i0:min(i0+batch, len(order))]
		bs, ls := make([][]int, len(idx)), make([]int, len(idx))
		for j, k := range idx {
			bs[j], ls[j] = seqs[k], labels[k]
		}
		b := data.PadBatch(bs, 0, pad)
		b.RowLabels = ls
		head.Train(true)
		optim.SetLR(opt, sched.LR(step))
		head.Loss(b).Backward()
		if step < headOnly {
			for _, p := range tableParams {
				p.Tensor.ZeroGrad()
			}
		}
		if n := optim.ClipGradNorm(params, clip); !math.IsNaN(float64(n)) && !math.IsInf(float64(n), 0) {
			opt.Step()
		}
		opt.ZeroGrad()
		res.Steps = step + 1
		if res.Steps%cfg.EvalEvery == 0 || res.Steps == cfg.Steps {
			evaluate(res.Steps)
		}
	}
	if bestWeights != nil {
		for i, t := range params {
			copy(t.Data(), bestWeights[i])
		}
	}
	res.Elapsed = time.Since(start)
	return res, head, nil
}

// scoreWords classifies word-id sequences with a word-vector classifier
// and scores the predictions.
func scoreWords(head *heads.Classifier, names []string, seqs [][]int, labels []int, pad int) finetune.Metrics {
	head.Train(false)
	pred, pTrue := make([]int, len(seqs)), make([]float32, len(seqs))
	noGrad := tensor.NewScope().NoGrad()
	k := len(names)
	for i0 := 0; i0 < len(seqs); i0 += 64 {
		i1 := min(i0+64, len(seqs))
		b := data.PadBatch(seqs[i0:i1], 0, pad)
		b.Scope = noGrad
		y := head.Predict(b).Softmax(-1).Float32s()
		for r := 0; r < i1-i0; r++ {
			row := y[r*k : (r+1)*k]
			arg := 0
			for j, p := range row {
				if p > row[arg] {
					arg = j
				}
			}
			pred[i0+r], pTrue[i0+r] = arg, row[labels[i0+r]]
		}
	}
	return finetune.Score(names, labels, pred, pTrue)
}
