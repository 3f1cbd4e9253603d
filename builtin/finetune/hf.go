package finetune

import (
	"fmt"

	"github.com/pretrain-go/pretrain/builtin/bert"
	"github.com/pretrain-go/pretrain/builtin/hf"
	"github.com/pretrain-go/pretrain/sdk/nn"
	"github.com/pretrain-go/pretrain/sdk/tensor"
)

// hfSource marks a backbone spec whose architecture came from a Hugging
// Face directory (a post-LN BERT described by its own fields, not by a
// registry objective).
const hfSource = "huggingface"

// loadHF loads the backbone of a Hugging Face GPT-2 or BERT directory
// (hf.Load) with the directory's own tokenizer; a directory without one is
// an error. A BertForSequenceClassification's classifier is dropped: the
// fine-tuner puts its own head on the encoder.
func loadHF(dir string) (*Pretrained, error) {
	m, err := hf.Load(dir)
	if err != nil {
		return nil, err
	}
	if m.Tokenizer == nil {
		return nil, &ArchError{dir, "no tokenizer (tokenizer.json, vocab.json + merges.txt or vocab.txt) in the Hugging Face directory"}
	}
	tokens := NewTokens(m.Tokenizer)
	if id, ok := m.Special["pad"]; ok {
		tokens.Pad = id
	}
	cfg := map[string]any{"model_type": m.ModelType, "architectures": []any{m.Architecture}}
	var bb Backbone
	switch {
	case m.GPT != nil:
		bb = NewGPT(m.GPT)
	case m.BERT != nil:
		bb = newHFBERT(m.BERT)
	}
	if bb == nil {
		return nil, &ArchError{dir, "neither a GPT-2 nor a BERT"}
	}
	return &Pretrained{Dir: dir, Backbone: bb, Tokens: tokens, Config: cfg}, nil
}

// newHFBERT wraps a BERT read from a Hugging Face directory as an Encoder
// whose spec rebuilds the same architecture (bertSpec).
func newHFBERT(m *bert.Model) *Encoder {
	return &Encoder{Backbone: bertEncoder{m}, family: "bert", context: m.Config.ContextLen, spec: bertSpec(m.Config)}
}

// bertSpec describes a BERT's shape under BERT's config.json names.
func bertSpec(c bert.Config) map[string]any {
	return map[string]any{"family": "bert", "source": hfSource,
		"vocab_size": c.VocabSize, "max_position_embeddings": c.ContextLen, "hidden_size": c.Dim,
		"num_hidden_layers": c.Layers, "num_attention_heads": c.Heads, "intermediate_size": c.MLPHidden,
		"type_vocab_size": c.TypeVocab, "hidden_act": c.Activation.String(), "layer_norm_eps": float64(c.Eps),
		"post_ln": c.PostLN, "pooler": c.Pooler, "mlm_head": c.MLMHead}
}

// bertFromSpec rebuilds the BERT that bertSpec describes, weights drawn
// from seed.
func bertFromSpec(spec map[string]any, seed uint64) (*Encoder, error) {
	num := func(k string) int {
		switch v := spec[k].(type) {
		case float64:
			return int(v)
		case int:
			return v
		}
		return 0
	}
	flag := func(k string) bool { b, _ := spec[k].(bool); return b }
	act, err := nn.ParseActivation(fmt.Sprint(spec["hidden_act"]))
	if err != nil {
		return nil, err
	}
	eps, _ := spec["layer_norm_eps"].(float64)
	c := bert.Config{VocabSize: num("vocab_size"), ContextLen: num("max_position_embeddings"), Dim: num("hidden_size"),
		Layers: num("num_hidden_layers"), Heads: num("num_attention_heads"), MLPHidden: num("intermediate_size"),
		TypeVocab: num("type_vocab_size"), Activation: act, Eps: float32(eps),
		PostLN: flag("post_ln"), Pooler: flag("pooler"), MLMHead: flag("mlm_head")}
	m, err := bert.New(c, tensor.NewRNG(seed))
	if err != nil {
		return nil, err
	}
	return newHFBERT(m), nil
}

// encoderFromSpec rebuilds a saved encoder spec with weights from seed: a
// Hugging Face BERT from its fields, any other through the registry.
func encoderFromSpec(spec map[string]any, seed uint64) (*Encoder, error) {
	if spec["source"] == hfSource {
		return bertFromSpec(spec, seed)
	}
	enc, _, err := NewEncoder(spec, seed)
	return enc, err
}
