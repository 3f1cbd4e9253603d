package lm

import (
	"fmt"
	"math"

	"github.com/pretrain-go/pretrain/builtin/bert"
	"github.com/pretrain-go/pretrain/sdk/data"
	"github.com/pretrain-go/pretrain/sdk/nn"
	"github.com/pretrain-go/pretrain/sdk/task"
	"github.com/pretrain-go/pretrain/sdk/tensor"
)

// ELECTRAModel is a discriminator encoder, a generator that shares its
// embeddings (ELECTRA's tied-embedding setup), and the discriminator's
// per-token classifier. Parameter names: "disc.*" (a bert.Model),
// "gen.blocks.N.*", "gen.ln_f.*" and "rtd.weight", "rtd.bias".
type ELECTRAModel struct {
	*nn.Base
	Disc      *bert.Model
	GenBlocks []*nn.TransformerBlock
	GenLN     *nn.LayerNorm
	RTD       *nn.Linear // [1, Dim]: logit of "replaced"
}

// NewELECTRAModel builds the discriminator for c and a generator of
// genLayers blocks of the same width.
func NewELECTRAModel(c bert.Config, genLayers int, rng *tensor.RNG) (*ELECTRAModel, error) {
	if genLayers <= 0 {
		return nil, fmt.Errorf("electra: the generator needs at least one layer, got %d", genLayers)
	}
	disc, err := bert.New(c, rng)
	if err != nil {
		return nil, err
	}
	m := &ELECTRAModel{Base: nn.NewBase(), Disc: disc}
	m.AddModule("disc", disc)
	gen, list := nn.NewBase(), nn.NewModuleList()
	for i := 0; i < genLayers; i++ {
		b := nn.NewTransformerBlock(nn.BlockConfig{Embed: c.Dim, Heads: c.Heads, Hidden: c.MLPHidden, Dropout: c.Dropout}, rng)
		list.Append(b)
		m.GenBlocks = append(m.GenBlocks, b)
	}
	gen.AddModule("blocks", list)
	m.GenLN = nn.NewLayerNorm(c.Dim)
	gen.AddModule("ln_f", m.GenLN)
	m.AddModule("gen", gen)
	nn.InitGPT2(gen, genLayers, rng)
	m.RTD = nn.NewLinear(c.Dim, 1, true, rng)
	m.AddModule("rtd", m.RTD)
	return m, nil
}

// String prints the sizes.
func (m *ELECTRAModel) String() string {
	return fmt.Sprintf("ELECTRA(disc=%v, gen_layers=%d, params=%d)", m.Disc, len(m.GenBlocks), m.NumParams())
}

// ELECTRA is the replaced-token-detection objective.
type ELECTRA struct {
	model     *ELECTRAModel
	collator  *data.MLMCollator
	weight    float32 // discriminator loss weight (50)
	rng       *tensor.RNG
	pad       int
	rows, tgt []int
	corrupt   []int
	rtdLabels []int
}

// NewELECTRA builds the "electra" objective. The discriminator comes from
// cfg.Model (default bert-tiny) with the shape options; the generator has
// Options["gen-layers"] blocks (default 1) of the same width over the
// shared embeddings; Options["disc-weight"] is λ (default 50). Masking is
// data.MLMCollator's (special ids "mask", required, and "pad").
func NewELECTRA(cfg task.Config) (task.Objective, error) {
	if err := needSeqLen("electra", cfg); err != nil {
		return nil, err
	}
	col, err := mlmCollator("electra", cfg)
	if err != nil {
		return nil, err
	}
	mc, err := BERTConfig(cfg, 0)
	if err != nil {
		return nil, err
	}
	gl, err := cfg.Int("gen-layers", 1)
	if err != nil {
		return nil, err
	}
	w, err := cfg.Float("disc-weight", 50)
	if err != nil {
		return nil, err
	}
	rng := cfg.Rand()
	m, err := NewELECTRAModel(mc, gl, rng)
	if err != nil {
		return nil, err
	}
	return &ELECTRA{model: m, collator: col, weight: float32(w), rng: tensor.NewRNG(cfg.Seed ^ 0xe1ec7a), pad: cfg.SpecialID("pad", 0)}, nil
}

// Name returns "electra".
func (o *ELECTRA) Name() string { return "electra" }

// Module returns the generator and discriminator.
func (o *ELECTRA) Module() nn.Module { return o.model }

// Model returns the model with its concrete type.
func (o *ELECTRA) Model() *ELECTRAModel { return o.model }

// Collator returns the masking collator.
func (o *ELECTRA) Collator() data.Collator { return o.collator }

// Loss is gen + λ·disc: the generator's MLM cross-entropy on the masked
// positions, plus the discriminator's mean sigmoid cross-entropy of
// "replaced" over every real token of the input in which each masked
// position holds a token sampled from the generator. A sampled token equal
// to the original counts as original, as in ELECTRA.
func (o *ELECTRA) Loss(b *data.Batch) *tensor.Tensor {
	m := o.model
	n := b.Size * b.SeqLen
	km := bert.MaskTensor(b.AttentionMask, b.Size, b.SeqLen)
	x := m.Disc.Embed(b.Scope, b.InputIDs, b.TokenTypeIDs, b.Size, b.SeqLen)
	for _, blk := range m.GenBlocks {
		x = blk.Forward(x, km)
	}
	h := m.GenLN.Forward(x)
	o.rows, o.tgt = labelled(o.rows[:0], o.tgt[:0], b.Labels)
	if cap(o.corrupt) < n {
		o.corrupt, o.rtdLabels = make([]int, n), make([]int, n)
	}
	corrupt, rtd := o.corrupt[:n], o.rtdLabels[:n]
	copy(corrupt, b.InputIDs)
	var genLoss *tensor.Tensor
	if len(o.rows) > 0 {
		logits := m.Disc.Logits(bert.GatherRows(h, o.rows))
		genLoss = tensor.CrossEntropy(logits, o.tgt)
		// Sample replacements from the generator without recording.
		probs := logits.Detach().Softmax(-1).Float32s()
		v := logits.Size(1)
		for i, pos := range o.rows {
			corrupt[pos] = sample(probs[i*v:(i+1)*v], o.rng)
		}
	}
	for i := range rtd {
		switch {
		case b.AttentionMask != nil && b.AttentionMask[i] == 0:
			rtd[i] = data.IgnoreIndex
		case b.Labels[i] != data.IgnoreIndex && corrupt[i] != b.Labels[i]:
			rtd[i] = 1 // a sample that differs from the original token
		default:
			rtd[i] = 0
		}
	}
	hd := m.Disc.Hidden(b.Scope, corrupt, b.AttentionMask, b.TokenTypeIDs, b.Size, b.SeqLen)
	z := m.RTD.Forward(hd).Reshape(n, 1)
	// Sigmoid cross-entropy as a two-class softmax over logits (0, z):
	// -log σ(z) for "replaced", -log(1-σ(z)) for "original", stable and
	// with IgnoreIndex on padding.
	two := tensor.Concat(1, tensor.Zeros(n, 1), z)
	discLoss := tensor.CrossEntropy(two, rtd)
	if genLoss == nil {
		return discLoss.MulScalar(o.weight)
	}
	return genLoss.Add(discLoss.MulScalar(o.weight))
}

// String names the objective and its model.
func (o *ELECTRA) String() string {
	return fmt.Sprintf("Objective(electra, λ=%g, %v)", o.weight, o.model)
}

// sample draws an index from the distribution p.
func sample(p []float32, rng *tensor.RNG) int {
	u := rng.Float32()
	var c float32
	for i, v := range p {
		c += v
		if u < c {
			return i
		}
	}
	// Rounding left u above the total: take the last non-zero entry.
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] > 0 && !math.IsNaN(float64(p[i])) {
			return i
		}
	}
	return len(p) - 1
}
