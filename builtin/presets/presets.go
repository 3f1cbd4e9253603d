// Package presets names the built-in model sizes, so that `pretrain train
// --model gpt-small`, scripts and objectives find a shape by name.
//
// | preset     | family | vocab | ctx | dim | layers | heads | MLP  | params (tied) |
// |------------|--------|-------|-----|-----|--------|-------|------|---------------|
// | gpt-tiny   | gpt    | 4096  | 128 | 128 | 4      | 4     | 512  | 1,334,016     |
// | gpt-small  | gpt    | 8192  | 256 | 256 | 6      | 8     | 1024 | 6,901,760     |
// | bert-tiny  | bert   | 4096  | 128 | 128 | 4      | 4     | 512  | 1,334,016     |
// | bert-small | bert   | 8192  | 256 | 256 | 6      | 8     | 1024 | 6,901,760     |
// | t5-tiny    | t5     | (tok) | 128/64 | 128 | 2+2 | 4     | 512  | depends on vocab |
// | elmo-tiny  | elmo   | (tok) | -   | 128 | 2×LSTM 256 | - | -  | depends on vocab |
//
// gpt-tiny and gpt-small equal the tiny and small configurations of the
// PyTorch reference benchmark (shared/bench/torch_gpt.py): pre-LN blocks,
// learned positions, GELU (erf) MLP of 4·dim, Linear layers with bias, tied
// input and output embeddings, no dropout. bert-tiny and bert-small are the
// same blocks run bidirectionally (torch_gpt.py --mode mlm), without a
// token-type embedding. An objective replaces the vocabulary by its
// tokenizer's and the context by its sequence length.
package presets

import (
	"fmt"
	"sort"
	"strings"

	"github.com/pretrain-go/pretrain/builtin/bert"
	"github.com/pretrain-go/pretrain/builtin/elmo"
	"github.com/pretrain-go/pretrain/builtin/gpt"
	"github.com/pretrain-go/pretrain/builtin/t5"
)

// Preset is a named model shape. Exactly one of the family configs is set.
type Preset struct {
	Name   string
	Family string // "gpt", "bert", "t5" or "elmo"
	Doc    string
	GPT    *gpt.Config
	BERT   *bert.Config
	T5     *t5.Config   // VocabSize 0: set from the tokenizer
	ELMo   *elmo.Config // VocabSize 0: set from the tokenizer
}

// String names the preset and its shape.
func (p Preset) String() string {
	switch {
	case p.GPT != nil:
		return p.Name + ": " + p.GPT.String()
	case p.BERT != nil:
		return p.Name + ": " + p.BERT.String()
	case p.T5 != nil:
		return p.Name + ": " + p.T5.String()
	case p.ELMo != nil:
		return p.Name + ": " + p.ELMo.String()
	}
	return p.Name
}

// GPTTiny is the gpt-tiny preset (torch_gpt.py's tiny).
func GPTTiny() gpt.Config {
	return gpt.Config{VocabSize: 4096, ContextLen: 128, Dim: 128, Layers: 4, Heads: 4, MLPHidden: 512, TiedEmbeddings: true}
}

// GPTSmall is the gpt-small preset (torch_gpt.py's small).
func GPTSmall() gpt.Config {
	return gpt.Config{VocabSize: 8192, ContextLen: 256, Dim: 256, Layers: 6, Heads: 8, MLPHidden: 1024, TiedEmbeddings: true}
}

var all = map[string]func() Preset{
	"gpt-tiny": func() Preset {
		c := GPTTiny()
		return Preset{Name: "gpt-tiny", Family: "gpt", GPT: &c, Doc: "GPT decoder, 4 layers of 128, 4 heads, ctx 128, vocab 4096 (torch_gpt.py tiny)"}
	},
	"gpt-small": func() Preset {
		c := GPTSmall()
		return Preset{Name: "gpt-small", Family: "gpt", GPT: &c, Doc: "GPT decoder, 6 layers of 256, 8 heads, ctx 256, vocab 8192 (torch_gpt.py small)"}
	},
	"bert-tiny": func() Preset {
		c := bert.Tiny()
		return Preset{Name: "bert-tiny", Family: "bert", BERT: &c, Doc: "bidirectional encoder, gpt-tiny's shape (torch_gpt.py tiny --mode mlm)"}
	},
	"bert-small": func() Preset {
		c := bert.Small()
		return Preset{Name: "bert-small", Family: "bert", BERT: &c, Doc: "bidirectional encoder, gpt-small's shape (torch_gpt.py small --mode mlm)"}
	},
	"t5-tiny": func() Preset {
		c := t5.Tiny(0)
		return Preset{Name: "t5-tiny", Family: "t5", T5: &c, Doc: "encoder-decoder, 2+2 layers of 128, 4 heads, ctx 128/64"}
	},
	"elmo-tiny": func() Preset {
		c := elmo.Tiny(0)
		return Preset{Name: "elmo-tiny", Family: "elmo", ELMo: &c, Doc: "biLM, embeddings 128, 2 LSTM layers of 256 per direction"}
	},
}

// Names lists the presets, sorted.
func Names() []string {
	out := make([]string, 0, len(all))
	for n := range all {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Lookup returns the preset called name (a fresh copy each call).
func Lookup(name string) (Preset, error) {
	f, ok := all[name]
	if !ok {
		return Preset{}, fmt.Errorf("presets: unknown model preset %q (known: %s)", name, strings.Join(Names(), ", "))
	}
	return f(), nil
}

// LookupFamily returns the preset called name and checks that it belongs
// to family; an empty name gives def.
func LookupFamily(name, family, def string) (Preset, error) {
	if name == "" {
		name = def
	}
	p, err := Lookup(name)
	if err != nil {
		return p, err
	}
	if p.Family != family {
		return p, fmt.Errorf("presets: %q is a %s preset; this needs a %s one", name, p.Family, family)
	}
	return p, nil
}
