// Package lm holds the transformer language-model pretraining objectives,
// registered by name in the task registry:
//
//   - clm: GPT causal language modelling over packed sequences; the labels
//     are the inputs, shifted by one inside the loss. With the option
//     contrastive=W each packed row becomes two nearby spans (SpanPairs)
//     and W × InfoNCE over their mean input token embeddings is added, so
//     that the embeddings learn which words share a passage.
//   - mlm: BERT masked language modelling with dynamic masking
//     (data.MLMCollator: 15% of tokens, 80/10/10), a bidirectional encoder
//     with a key padding mask, loss on masked positions only.
//   - electra: replaced-token detection. A small generator (MLM, sharing
//     the discriminator's embeddings) fills the masked positions with
//     sampled tokens; the discriminator classifies every real token as
//     original or replaced with a sigmoid; loss = gen + 50·disc.
//   - contrastive: SimCSE-style InfoNCE with in-batch negatives. Two
//     dropout views of each sentence (or explicit pairs from
//     data.ContrastiveCollator), mean-pooled, cosine similarity divided by
//     a temperature of 0.05.
//
// Every objective reads its model shape from a preset (task.Config.Model:
// gpt-tiny, gpt-small for clm; bert-tiny, bert-small for the others) with
// the vocabulary of the tokenizer, the context of Config.SeqLen, and the
// options "dim", "layers", "heads", "mlp" and "dropout" overriding the
// preset.
package lm

import (
	"fmt"

	"github.com/pretrain-go/pretrain/builtin/bert"
	"github.com/pretrain-go/pretrain/builtin/gpt"
	"github.com/pretrain-go/pretrain/builtin/presets"
	"github.com/pretrain-go/pretrain/sdk/task"
)

func init() {
	mustRegister(task.RegisterObjective("clm", "GPT causal language modelling: predict each next token of packed sequences (gpt-tiny, gpt-small); option contrastive=W adds passage-contrastive embeddings", NewCLM))
	mustRegister(task.RegisterObjective("mlm", "BERT masked language modelling with dynamic 80/10/10 masking of 15% of tokens (bert-tiny, bert-small)", NewMLM))
	mustRegister(task.RegisterObjective("electra", "ELECTRA replaced-token detection: a small MLM generator fills masks, the encoder spots replaced tokens", NewELECTRA))
	mustRegister(task.RegisterObjective("contrastive", "SimCSE InfoNCE: two dropout views (or adjacent pairs) per sentence, in-batch negatives, temperature 0.05", NewContrastive))
}

func mustRegister(err error) {
	if err != nil {
		panic(err)
	}
}

// shape holds the preset fields that options can override.
type shape struct {
	dim, layers, heads, mlp, ctx int
	dropout                      float32
}

func overrideShape(cfg task.Config, s *shape, defDropout float32) error {
	var err error
	if s.dim, err = cfg.Int("dim", s.dim); err != nil {
		return err
	}
	if s.layers, err = cfg.Int("layers", s.layers); err != nil {
		return err
	}
	if s.heads, err = cfg.Int("heads", s.heads); err != nil {
		return err
	}
	mlp := s.mlp
	if cfg.Options["dim"] != "" && cfg.Options["mlp"] == "" {
		mlp = 4 * s.dim // keep the preset's ratio when only the width changes
	}
	if s.mlp, err = cfg.Int("mlp", mlp); err != nil {
		return err
	}
	d, err := cfg.Float("dropout", float64(defDropout))
	if err != nil {
		return err
	}
	s.dropout = float32(d)
	if cfg.SeqLen > 0 {
		s.ctx = cfg.SeqLen
	}
	return nil
}

// GPTConfig resolves cfg.Model (default gpt-tiny) and the shape options
// into a GPT configuration with cfg's vocabulary and sequence length.
func GPTConfig(cfg task.Config) (gpt.Config, error) {
	p, err := presets.LookupFamily(cfg.Model, "gpt", "gpt-tiny")
	if err != nil {
		return gpt.Config{}, err
	}
	c := *p.GPT
	s := shape{dim: c.Dim, layers: c.Layers, heads: c.Heads, mlp: c.MLPHidden, ctx: c.ContextLen}
	if err := overrideShape(cfg, &s, 0); err != nil {
		return c, err
	}
	c.Dim, c.Layers, c.Heads, c.MLPHidden, c.ContextLen, c.Dropout = s.dim, s.layers, s.heads, s.mlp, s.ctx, s.dropout
	if cfg.VocabSize > 0 {
		c.VocabSize = cfg.VocabSize
	}
	return c, c.Validate()
}

// BERTConfig resolves cfg.Model (default bert-tiny) and the shape options
// (plus "types", the token-type vocabulary, and "arch": prenorm, the
// default, or bert for the original post-LN BERT) into an encoder configuration
// with cfg's vocabulary and sequence length; defDropout is the dropout
// when the "dropout" option is unset.
func BERTConfig(cfg task.Config, defDropout float32) (bert.Config, error) {
	p, err := presets.LookupFamily(cfg.Model, "bert", "bert-tiny")
	if err != nil {
		return bert.Config{}, err
	}
	c := *p.BERT
	s := shape{dim: c.Dim, layers: c.Layers, heads: c.Heads, mlp: c.MLPHidden, ctx: c.ContextLen}
	if err := overrideShape(cfg, &s, defDropout); err != nil {
		return c, err
	}
	c.Dim, c.Layers, c.Heads, c.MLPHidden, c.ContextLen, c.Dropout = s.dim, s.layers, s.heads, s.mlp, s.ctx, s.dropout
	if c.TypeVocab, err = cfg.Int("types", c.TypeVocab); err != nil {
		return c, err
	}
	switch a := cfg.Option("arch", "prenorm"); a {
	case "prenorm":
	case "bert": // the original BERT, exportable with `pretrain export --hf`
		c.PostLN, c.Eps = true, 1e-12
	default:
		return c, fmt.Errorf("option arch=%q: want prenorm (pre-LN with ln_f, the default) or bert (post-LN with embedding LayerNorm, as Hugging Face's BertModel)", a)
	}
	if cfg.VocabSize > 0 {
		c.VocabSize = cfg.VocabSize
	}
	return c, c.Validate()
}

func needSeqLen(name string, cfg task.Config) error {
	if cfg.SeqLen <= 0 {
		return fmt.Errorf("%s: the config needs a positive SeqLen", name)
	}
	if cfg.VocabSize <= 0 {
		return fmt.Errorf("%s: the config needs a positive VocabSize", name)
	}
	return nil
}

// specialIDs lists the configured special ids, which masking never picks.
func specialIDs(cfg task.Config) []int {
	var out []int
	for _, id := range cfg.Special {
		out = append(out, id)
	}
	return out
}
