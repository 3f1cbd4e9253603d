package t5

import (
	"fmt"

	"github.com/pretrain-go/pretrain/sdk/data"
	"github.com/pretrain-go/pretrain/sdk/nn"
	"github.com/pretrain-go/pretrain/sdk/task"
	"github.com/pretrain-go/pretrain/sdk/tensor"
)

func init() {
	mustRegister(task.RegisterObjective("span", "T5 span corruption: 15% of tokens in spans of mean length 3 replaced by sentinels, an encoder-decoder predicts them", NewSpanObjective))
	mustRegister(task.RegisterObjective("dae", "BART-style denoising autoencoder: span infilling and token deletion, an encoder-decoder reconstructs the text", NewDenoisingObjective))
}

func mustRegister(err error) {
	if err != nil {
		panic(err)
	}
}

// Objective trains a Model on encoder-decoder batches from its collator.
type Objective struct {
	name     string
	model    *Model
	collator data.Collator
}

// Name returns "span" or "dae".
func (o *Objective) Name() string { return o.name }

// Module returns the encoder-decoder.
func (o *Objective) Module() nn.Module { return o.model }

// Model returns the encoder-decoder with its concrete type.
func (o *Objective) Model() *Model { return o.model }

// Collator returns the corruption collator.
func (o *Objective) Collator() data.Collator { return o.collator }

// Loss is the decoder's mean cross-entropy.
func (o *Objective) Loss(b *data.Batch) *tensor.Tensor { return o.model.Loss(b) }

// String names the objective and its model.
func (o *Objective) String() string { return fmt.Sprintf("Objective(%s, %v)", o.name, o.model) }

// modelConfig builds the t5-tiny preset, adjusted by options dim, layers,
// heads and dropout, for cfg's vocabulary and sequence length.
func modelConfig(cfg task.Config, decLen int) (Config, error) {
	if cfg.Model != "" && cfg.Model != "t5-tiny" {
		return Config{}, fmt.Errorf("t5: unknown model preset %q (known: t5-tiny)", cfg.Model)
	}
	c := Tiny(cfg.VocabSize)
	if cfg.SeqLen > 0 {
		c.ContextLen = cfg.SeqLen
	}
	c.DecContextLen = decLen
	var err error
	if c.Dim, err = cfg.Int("dim", c.Dim); err != nil {
		return c, err
	}
	layers, err := cfg.Int("layers", c.EncLayers)
	if err != nil {
		return c, err
	}
	c.EncLayers, c.DecLayers = layers, layers
	if c.Heads, err = cfg.Int("heads", c.Heads); err != nil {
		return c, err
	}
	d, err := cfg.Float("dropout", 0)
	c.Dropout = float32(d)
	return c, err
}

// NewSpanObjective builds the "span" objective. Special ids: "pad" (default
// 0) and "eos" (default none); the sentinels are the top
// Options["sentinels"] ids of the vocabulary (default 100, at least 1),
// counting down from VocabSize-1 as in T5.
func NewSpanObjective(cfg task.Config) (task.Objective, error) {
	n, err := cfg.Int("sentinels", 100)
	if err != nil {
		return nil, err
	}
	if n < 1 || n >= cfg.VocabSize {
		return nil, fmt.Errorf("span: %d sentinels do not fit a vocabulary of %d", n, cfg.VocabSize)
	}
	sc := data.DefaultSpanCorruptionConfig(cfg.VocabSize, n, cfg.SpecialID("eos", -1), cfg.SpecialID("pad", 0))
	if sc.NoiseDensity, err = cfg.Float("noise", sc.NoiseDensity); err != nil {
		return nil, err
	}
	if sc.MeanSpanLength, err = cfg.Float("span", sc.MeanSpanLength); err != nil {
		return nil, err
	}
	sc.SeqLen = cfg.SeqLen
	// Targets hold about density·n tokens plus one sentinel per span.
	decLen := max(8, int(float64(cfg.SeqLen)*sc.NoiseDensity*(1+1/sc.MeanSpanLength))+4)
	sc.DecSeqLen = decLen
	col, err := data.NewSpanCorruptionCollator(sc)
	if err != nil {
		return nil, err
	}
	return newObjective("span", cfg, decLen, col)
}

// NewDenoisingObjective builds the "dae" objective: span infilling (30% of
// tokens, Poisson(3) spans, each replaced by one "mask" id) and token
// deletion (Options["delete"], default 0.1). Special ids: "pad" (default
// 0), "mask" (required).
func NewDenoisingObjective(cfg task.Config) (task.Objective, error) {
	maskID, ok := cfg.Special["mask"]
	if !ok {
		return nil, fmt.Errorf("dae: the config names no \"mask\" special id")
	}
	dc := data.DenoisingConfig{InfillRatio: 0.3, InfillLambda: 3, MaskID: maskID, DeleteProb: 0.1,
		PadID: cfg.SpecialID("pad", 0), DecoderStartID: cfg.SpecialID("bos", cfg.SpecialID("pad", 0)),
		SeqLen: cfg.SeqLen, DecSeqLen: cfg.SeqLen}
	var err error
	if dc.InfillRatio, err = cfg.Float("infill", dc.InfillRatio); err != nil {
		return nil, err
	}
	if dc.DeleteProb, err = cfg.Float("delete", dc.DeleteProb); err != nil {
		return nil, err
	}
	for _, id := range cfg.Special {
		dc.SpecialIDs = append(dc.SpecialIDs, id)
	}
	col, err := data.NewDenoisingCollator(dc)
	if err != nil {
		return nil, err
	}
	return newObjective("dae", cfg, dc.DecSeqLen, col)
}

func newObjective(name string, cfg task.Config, decLen int, col data.Collator) (task.Objective, error) {
	if cfg.SeqLen <= 0 {
		return nil, fmt.Errorf("%s: the config needs a positive SeqLen", name)
	}
	mc, err := modelConfig(cfg, decLen)
	if err != nil {
		return nil, err
	}
	m, err := New(mc, cfg.Rand())
	if err != nil {
		return nil, err
	}
	return &Objective{name: name, model: m, collator: col}, nil
}
