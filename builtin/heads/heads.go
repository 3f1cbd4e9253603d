// Package heads holds the built-in fine-tuning heads, registered by name in
// the task registry: "classify" (sequence classification), "tokens" (token
// classification) and "regress" (sequence regression). Each sits on a
// task.Backbone; WordVectors turns a table of pretrained word vectors into
// such a backbone, so word2vec and GloVe checkpoints fine-tune too.
package heads

import (
	"fmt"

	"github.com/pretrain-go/pretrain/sdk/data"
	"github.com/pretrain-go/pretrain/sdk/nn"
	"github.com/pretrain-go/pretrain/sdk/task"
	"github.com/pretrain-go/pretrain/sdk/tensor"
)

func init() {
	for _, r := range []struct {
		name, doc string
		f         task.HeadFactory
	}{
		{"classify", "sequence classification: pooled backbone states (mean, cls or last), dropout, linear", NewClassifier},
		{"tokens", "token classification: a linear layer over every position's state", NewTokenClassifier},
		{"regress", "sequence regression: pooled states, dropout, linear to one value (targets are RowLabels / scale)", NewRegressor},
	} {
		if err := task.RegisterHead(r.name, r.doc, r.f); err != nil {
			panic(err)
		}
	}
}

// Pooling selects how a sequence's states become one vector.
type Pooling int

const (
	// PoolMean averages the states of real (unpadded) tokens.
	PoolMean Pooling = iota
	// PoolCLS takes the first position, as BERT does with [CLS].
	PoolCLS
	// PoolLast takes the last real token, for causal backbones whose last
	// state has seen the whole sequence.
	PoolLast
)

// String returns "mean", "cls" or "last".
func (p Pooling) String() string {
	switch p {
	case PoolCLS:
		return "cls"
	case PoolLast:
		return "last"
	}
	return "mean"
}

// ParsePooling reads "mean", "cls" or "last".
func ParsePooling(s string) (Pooling, error) {
	switch s {
	case "mean", "":
		return PoolMean, nil
	case "cls":
		return PoolCLS, nil
	case "last":
		return PoolLast, nil
	}
	return PoolMean, fmt.Errorf("unknown pooling %q (want mean, cls or last)", s)
}

// Pool reduces states [B, T, D] to [B, D] using the batch's attention mask
// (absent means every position is real).
func Pool(h *tensor.Tensor, b *data.Batch, p Pooling) *tensor.Tensor {
	bs, t, d := h.Size(0), h.Size(1), h.Size(2)
	switch p {
	case PoolCLS:
		return h.Narrow(1, 0, 1).Reshape(bs, d)
	case PoolLast:
		idx := make([]int, bs)
		for r := range idx {
			idx[r] = r*t + rowLen(b, r, t) - 1
		}
		return tensor.Embedding(h.Reshape(bs*t, d), idx)
	}
	if b.AttentionMask == nil {
		return h.Mean(1)
	}
	w := make([]float32, bs*t)
	for r := range bs {
		n := float32(rowLen(b, r, t))
		for j, m := range data.Row(b.AttentionMask, t, r) {
			if m != 0 {
				w[r*t+j] = 1 / n
			}
		}
	}
	return h.Mul(tensor.FromFloat32s(w, bs, t, 1)).Sum(1)
}

// rowLen counts row r's real tokens (at least 1).
func rowLen(b *data.Batch, r, t int) int {
	if b.AttentionMask == nil {
		return t
	}
	n := 0
	for _, m := range data.Row(b.AttentionMask, t, r) {
		n += m
	}
	return max(n, 1)
}

// Classifier is the "classify" head: Pool, Dropout, Linear "out"
// [Labels, Dim].
type Classifier struct {
	*nn.Base
	Backbone task.Backbone
	Pooling  Pooling
	Drop     *nn.Dropout
	Out      *nn.Linear
	Labels   int
}

// NewClassifier builds the "classify" head. cfg.Labels is the number of
// classes; options pooling (mean|cls|last, default mean) and dropout
// (default 0.1).
func NewClassifier(bb task.Backbone, cfg task.Config) (task.Head, error) {
	if cfg.Labels < 2 {
		return nil, fmt.Errorf("classify: need at least 2 labels, got %d", cfg.Labels)
	}
	pool, err := ParsePooling(cfg.Option("pooling", "mean"))
	if err != nil {
		return nil, fmt.Errorf("classify: %w", err)
	}
	drop, err := cfg.Float("dropout", 0.1)
	if err != nil {
		return nil, err
	}
	rng := cfg.Rand()
	h := &Classifier{Base: nn.NewBase(), Backbone: bb, Pooling: pool, Labels: cfg.Labels,
		Drop: nn.NewDropout(float32(drop), rng), Out: nn.NewLinear(bb.Dim(), cfg.Labels, true, rng)}
	nn.InitNormal(h.Out.Weight, 0.02, rng)
	nn.InitConstant(h.Out.Bias, 0)
	h.AddModule("drop", h.Drop)
	h.AddModule("out", h.Out)
	return h, nil
}

// Name returns "classify".
func (h *Classifier) Name() string { return "classify" }

// Module returns the head's own parameters.
func (h *Classifier) Module() nn.Module { return h }

// Predict returns class logits [B, Labels].
func (h *Classifier) Predict(b *data.Batch) *tensor.Tensor {
	return h.Out.Forward(h.Drop.Forward(Pool(h.Backbone.Encode(b), b, h.Pooling)))
}

// Loss is the cross-entropy of Predict against the batch's RowLabels.
func (h *Classifier) Loss(b *data.Batch) *tensor.Tensor {
	return tensor.CrossEntropy(h.Predict(b), b.RowLabels)
}

// String describes the head.
func (h *Classifier) String() string {
	return fmt.Sprintf("Classifier(labels=%d, pooling=%s, %v)", h.Labels, h.Pooling, h.Out)
}

// TokenClassifier is the "tokens" head: Dropout and Linear "out" at every
// position.
type TokenClassifier struct {
	*nn.Base
	Backbone task.Backbone
	Drop     *nn.Dropout
	Out      *nn.Linear
	Labels   int
}

// NewTokenClassifier builds the "tokens" head; targets are the batch's
// Labels (IgnoreIndex where no label applies).
func NewTokenClassifier(bb task.Backbone, cfg task.Config) (task.Head, error) {
	if cfg.Labels < 2 {
		return nil, fmt.Errorf("tokens: need at least 2 labels, got %d", cfg.Labels)
	}
	drop, err := cfg.Float("dropout", 0.1)
	if err != nil {
		return nil, err
	}
	rng := cfg.Rand()
	h := &TokenClassifier{Base: nn.NewBase(), Backbone: bb, Labels: cfg.Labels,
		Drop: nn.NewDropout(float32(drop), rng), Out: nn.NewLinear(bb.Dim(), cfg.Labels, true, rng)}
	h.AddModule("drop", h.Drop)
	h.AddModule("out", h.Out)
	return h, nil
}

// Name returns "tokens".
func (h *TokenClassifier) Name() string { return "tokens" }

// Module returns the head's own parameters.
func (h *TokenClassifier) Module() nn.Module { return h }

// Predict returns logits [B, T, Labels].
func (h *TokenClassifier) Predict(b *data.Batch) *tensor.Tensor {
	return h.Out.Forward(h.Drop.Forward(h.Backbone.Encode(b)))
}

// Loss is the cross-entropy against the batch's per-token Labels.
func (h *TokenClassifier) Loss(b *data.Batch) *tensor.Tensor {
	return tensor.CrossEntropy(h.Predict(b), b.Labels)
}

// String describes the head.
func (h *TokenClassifier) String() string {
	return fmt.Sprintf("TokenClassifier(labels=%d, %v)", h.Labels, h.Out)
}

// Regressor is the "regress" head: Pool, Dropout, Linear to one value.
// Batches carry integer RowLabels, so targets are RowLabels/Scale (e.g. a
// rating of 37 with Scale 10 is 3.7).
type Regressor struct {
	*nn.Base
	Backbone task.Backbone
	Pooling  Pooling
	Scale    float32
	Drop     *nn.Dropout
	Out      *nn.Linear
}

// NewRegressor builds the "regress" head; options pooling, dropout and
// scale (default 1).
func NewRegressor(bb task.Backbone, cfg task.Config) (task.Head, error) {
	pool, err := ParsePooling(cfg.Option("pooling", "mean"))
	if err != nil {
		return nil, fmt.Errorf("regress: %w", err)
	}
	drop, err := cfg.Float("dropout", 0.1)
	if err != nil {
		return nil, err
	}
	scale, err := cfg.Float("scale", 1)
	if err != nil || scale == 0 {
		return nil, fmt.Errorf("regress: option scale must be a non-zero number")
	}
	rng := cfg.Rand()
	h := &Regressor{Base: nn.NewBase(), Backbone: bb, Pooling: pool, Scale: float32(scale),
		Drop: nn.NewDropout(float32(drop), rng), Out: nn.NewLinear(bb.Dim(), 1, true, rng)}
	h.AddModule("drop", h.Drop)
	h.AddModule("out", h.Out)
	return h, nil
}

// Name returns "regress".
func (h *Regressor) Name() string { return "regress" }

// Module returns the head's own parameters.
func (h *Regressor) Module() nn.Module { return h }

// Predict returns one value per row, [B].
func (h *Regressor) Predict(b *data.Batch) *tensor.Tensor {
	out := h.Out.Forward(h.Drop.Forward(Pool(h.Backbone.Encode(b), b, h.Pooling)))
	return out.Reshape(b.Size)
}

// Loss is the mean squared error against RowLabels/Scale.
func (h *Regressor) Loss(b *data.Batch) *tensor.Tensor {
	y := make([]float32, len(b.RowLabels))
	for i, v := range b.RowLabels {
		y[i] = float32(v) / h.Scale
	}
	d := h.Predict(b).Sub(tensor.FromFloat32s(y))
	return d.Mul(d).Mean()
}

// String describes the head.
func (h *Regressor) String() string {
	return fmt.Sprintf("Regressor(pooling=%s, scale=%g)", h.Pooling, h.Scale)
}

// WordVectors is a backbone over a fixed table of word vectors [V, D]: a
// token's state is its vector. With the "classify" head's mean pooling it
// is the classic "average of word vectors + linear" classifier. The table
// is frozen unless Trainable is set.
type WordVectors struct {
	*nn.Base
	Table *tensor.Tensor
}

// NewWordVectors wraps a vector table as a backbone; trainable decides
// whether fine-tuning updates the vectors.
func NewWordVectors(table *tensor.Tensor, trainable bool) *WordVectors {
	if table.Dims() != 2 {
		panic(&tensor.ShapeError{Op: "heads.NewWordVectors", Shapes: [][]int{table.Shape()}, Msg: "table must be [vocab, dim]"})
	}
	w := &WordVectors{Base: nn.NewBase(), Table: table}
	if trainable {
		w.AddParam("weight", table.SetRequiresGrad(true))
	}
	return w
}

// Encode looks up every input id's vector under b.Scope: [B, T, D].
func (w *WordVectors) Encode(b *data.Batch) *tensor.Tensor {
	return b.Scope.Embedding(w.Table, b.InputIDs, b.Size, b.SeqLen)
}

// Dim is the vector width.
func (w *WordVectors) Dim() int { return w.Table.Size(1) }

// String describes the backbone.
func (w *WordVectors) String() string {
	return fmt.Sprintf("WordVectors(vocab=%d, dim=%d, trainable=%t)", w.Table.Size(0), w.Dim(), w.NumParams() > 0)
}
