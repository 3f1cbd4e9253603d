// Package task defines the contracts between models, pretraining
// objectives, fine-tuning heads and the training loop, and the registry
// where built-in, script and plugin objectives and heads are found by name.
//
// The contracts follow the rules that make them implementable from yaegi
// scripts: small interfaces of exported methods, adapter structs with func
// fields (ObjectiveFuncs, HeadFuncs) where a script would otherwise need a
// named type, and typed factories instead of any.
package task

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/pretrain-go/pretrain/sdk/data"
	"github.com/pretrain-go/pretrain/sdk/nn"
	"github.com/pretrain-go/pretrain/sdk/tensor"
)

// Objective is a self-supervised pretraining task: it owns the module it
// trains (a backbone plus any objective-specific parameters such as an LM
// head), the collator that corrupts or pairs token sequences, and the loss.
type Objective interface {
	// Name is the registry name, e.g. "clm".
	Name() string
	// Module holds every parameter the objective trains.
	Module() nn.Module
	// Collator turns token sequences into the objective's batches.
	Collator() data.Collator
	// Loss returns the scalar training loss of a batch.
	Loss(b *data.Batch) *tensor.Tensor
}

// Backbone is a pretrained network that a Head adapts: it maps the token
// fields of a batch to hidden states [batch, seqLen, Dim()].
type Backbone interface {
	nn.Module
	// Encode returns hidden states for the batch's InputIDs (and
	// AttentionMask where the backbone uses one).
	Encode(b *data.Batch) *tensor.Tensor
	// Dim is the width of the hidden states.
	Dim() int
}

// Head is a fine-tuning task on a backbone: a loss over labeled batches and
// a prediction for new ones.
type Head interface {
	// Name is the registry name, e.g. "classify".
	Name() string
	// Module holds the head's own parameters (the backbone's are separate).
	Module() nn.Module
	// Loss returns the scalar loss of a labeled batch.
	Loss(b *data.Batch) *tensor.Tensor
	// Predict returns the head's outputs for a batch, e.g. class logits
	// [batch, classes].
	Predict(b *data.Batch) *tensor.Tensor
}

// Config is what a factory gets to build an objective or a head. Options
// holds objective-specific settings as strings (from --opt key=value flags,
// a config file or a script); the typed getters parse them.
type Config struct {
	VocabSize int            // tokenizer vocabulary size
	SeqLen    int            // tokens per training row
	Seed      uint64         // seeds initialisation and corruption
	Model     string         // model preset name or config path, "" for the default
	Special   map[string]int // special token ids by role: "pad", "mask", "bos", "eos", "sep", "cls", "unk"
	Labels    int            // number of classes, for heads
	Options   map[string]string
	// RNG, when set, is the generator a factory draws initial weights and
	// dropout masks from, so that a Trainer can checkpoint and restore it
	// and a resumed run stays bit-exact; nil means a new generator seeded
	// with Seed. Factories get it through Rand.
	RNG *tensor.RNG
}

// Rand returns RNG, or a new generator seeded with Seed when RNG is nil.
func (c Config) Rand() *tensor.RNG {
	if c.RNG != nil {
		return c.RNG
	}
	return tensor.NewRNG(c.Seed)
}

// String lists the settings, for logs and the REPL.
func (c Config) String() string {
	var opts []string
	for k, v := range c.Options {
		opts = append(opts, k+"="+v)
	}
	sort.Strings(opts)
	return fmt.Sprintf("task.Config{vocab=%d seqLen=%d seed=%d model=%q labels=%d special=%v options=[%s]}",
		c.VocabSize, c.SeqLen, c.Seed, c.Model, c.Labels, c.Special, strings.Join(opts, " "))
}

// SpecialID returns the id of a special token role, or def if it is unset.
func (c Config) SpecialID(role string, def int) int {
	if id, ok := c.Special[role]; ok {
		return id
	}
	return def
}

// Int returns an integer option, def when unset; a malformed value is an
// error naming the option.
func (c Config) Int(name string, def int) (int, error) {
	s, ok := c.Options[name]
	if !ok {
		return def, nil
	}
	v, err := strconv.Atoi(s)
	if err != nil {
		return def, fmt.Errorf("option %s=%q: not an integer", name, s)
	}
	return v, nil
}

// Float returns a floating-point option, def when unset.
func (c Config) Float(name string, def float64) (float64, error) {
	s, ok := c.Options[name]
	if !ok {
		return def, nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return def, fmt.Errorf("option %s=%q: not a number", name, s)
	}
	return v, nil
}

// Option returns a string option, def when unset.
func (c Config) Option(name, def string) string {
	if s, ok := c.Options[name]; ok {
		return s
	}
	return def
}
