package hf

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/pretrain-go/pretrain/builtin/bert"
	"github.com/pretrain-go/pretrain/builtin/gpt"
	"github.com/pretrain-go/pretrain/sdk/nn"
)

// The architectures Load and Save handle, by model_type.
var architectures = map[string][]string{
	"gpt2": {"GPT2LMHeadModel", "GPT2Model"},
	"bert": {"BertForMaskedLM", "BertModel", "BertForSequenceClassification"},
}

// activations maps transformers' ACT2FN names to the SDK's activations.
// gelu_fast is gelu_new with a rounded constant (3.6e-12 relative).
var activations = map[string]nn.Activation{
	"gelu": nn.GELU, "gelu_new": nn.GELUTanh, "gelu_pytorch_tanh": nn.GELUTanh, "gelu_fast": nn.GELUTanh,
	"relu": nn.ReLU, "silu": nn.SiLU, "swish": nn.SiLU, "tanh": nn.Tanh,
}

// activationName is the config.json name written for an SDK activation.
func activationName(a nn.Activation) (string, error) {
	switch a {
	case nn.GELU:
		return "gelu", nil
	case nn.GELUTanh:
		return "gelu_new", nil
	case nn.ReLU:
		return "relu", nil
	case nn.SiLU:
		return "silu", nil
	case nn.Tanh:
		return "tanh", nil
	}
	return "", fmt.Errorf("activation %s has no transformers name", a)
}

func knownActivations() string {
	names := make([]string, 0, len(activations))
	for k := range activations {
		names = append(names, k)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// hfConfig reads config.json values with transformers' defaults, recording
// the first problem; every error names the file and the key.
type hfConfig struct {
	file string
	m    map[string]any
	err  error
}

func parseConfig(file string, data []byte) (*hfConfig, error) {
	c := &hfConfig{file: file}
	if err := json.Unmarshal(data, &c.m); err != nil {
		return nil, &Error{File: file, Msg: fmt.Sprintf("not a JSON object: %v", err)}
	}
	if c.m == nil {
		return nil, &Error{File: file, Msg: "not a JSON object"}
	}
	return c, nil
}

func (c *hfConfig) fail(key, format string, args ...any) {
	if c.err == nil {
		c.err = &Error{File: c.file, Msg: fmt.Sprintf("%s: ", key) + fmt.Sprintf(format, args...)}
	}
}

// lookup returns the first of keys present (aliases such as n_embd and
// hidden_size) and its name.
func (c *hfConfig) lookup(keys ...string) (any, string, bool) {
	for _, k := range keys {
		if v, ok := c.m[k]; ok && v != nil {
			return v, k, true
		}
	}
	return nil, keys[0], false
}

// int reads a positive integer (def when absent; def < 0 makes it required).
func (c *hfConfig) int(def int, keys ...string) int {
	v, k, ok := c.lookup(keys...)
	if !ok {
		if def < 0 {
			c.fail(keys[0], "missing")
		}
		return def
	}
	f, isNum := v.(float64)
	if !isNum || f != math.Trunc(f) || f <= 0 || f > 1<<31 {
		c.fail(k, "%v is not a positive integer", v)
		return def
	}
	return int(f)
}

func (c *hfConfig) float(def float64, keys ...string) float64 {
	v, k, ok := c.lookup(keys...)
	if !ok {
		return def
	}
	f, isNum := v.(float64)
	if !isNum || f < 0 || math.IsInf(f, 0) {
		c.fail(k, "%v is not a non-negative number", v)
		return def
	}
	return f
}

func (c *hfConfig) bool(def bool, key string) bool {
	v, ok := c.m[key]
	if !ok || v == nil {
		return def
	}
	b, isBool := v.(bool)
	if !isBool {
		c.fail(key, "%v is not true or false", v)
		return def
	}
	return b
}

func (c *hfConfig) str(def, key string) string {
	v, ok := c.m[key]
	if !ok || v == nil {
		return def
	}
	s, isStr := v.(string)
	if !isStr {
		c.fail(key, "%v is not a string", v)
		return def
	}
	return s
}

// need fails unless key is absent or has the value this package implements.
func (c *hfConfig) need(key string, want any, why string) {
	v, ok := c.m[key]
	if !ok || v == nil || v == want {
		return
	}
	c.fail(key, "%v is not supported (only %v: %s)", v, want, why)
}

func (c *hfConfig) activation(def string, key string) nn.Activation {
	name := c.str(def, key)
	a, ok := activations[name]
	if !ok {
		c.fail(key, "unknown activation %q (supported: %s)", name, knownActivations())
	}
	return a
}

// dropout is the largest of the dropout probabilities (the SDK has one).
func (c *hfConfig) dropout(def float64, keys ...string) float32 {
	p := 0.0
	for _, k := range keys {
		p = math.Max(p, c.float(def, k))
	}
	if p >= 1 {
		c.fail(keys[0], "dropout %v outside [0, 1)", p)
		return 0
	}
	return float32(p)
}

// architecture returns the config's architecture and model_type, checked.
func (c *hfConfig) architecture() (modelType, arch string, err error) {
	mt, ok := c.m["model_type"].(string)
	if !ok {
		return "", "", &Error{File: c.file, Msg: "model_type: missing (want gpt2 or bert)"}
	}
	archs, ok := architectures[mt]
	if !ok {
		return "", "", &Error{File: c.file, Msg: fmt.Sprintf("model_type: unknown model type %q (supported: gpt2, bert)", mt)}
	}
	arch = archs[0]
	if v, present := c.m["architectures"]; present && v != nil {
		list, ok := v.([]any)
		if !ok || len(list) != 1 {
			return "", "", &Error{File: c.file, Msg: fmt.Sprintf("architectures: %v: want a list of one name", v)}
		}
		name, _ := list[0].(string)
		found := false
		for _, a := range archs {
			found = found || a == name
		}
		if !found {
			return "", "", &Error{File: c.file, Msg: fmt.Sprintf("architectures: %q is not supported for model_type %s (supported: %s)",
				list[0], mt, strings.Join(archs, ", "))}
		}
		arch = name
	}
	return mt, arch, nil
}

// gpt2Config turns a GPT-2 config.json into the SDK configuration, with
// GPT2Config's defaults for absent keys (and its attribute_map aliases).
func (c *hfConfig) gpt2Config() (gpt.Config, error) {
	g := gpt.Config{
		VocabSize:  c.int(50257, "vocab_size"),
		ContextLen: c.int(1024, "n_positions", "max_position_embeddings"),
		Dim:        c.int(768, "n_embd", "hidden_size"),
		Layers:     c.int(12, "n_layer", "num_hidden_layers"),
		Heads:      c.int(12, "n_head", "num_attention_heads"),
		Activation: c.activation("gelu_new", "activation_function"),
		Eps:        float32(c.float(1e-5, "layer_norm_epsilon")),
		Dropout:    c.dropout(0.1, "resid_pdrop", "embd_pdrop", "attn_pdrop"),
	}
	g.MLPHidden = c.int(4*g.Dim, "n_inner")
	g.TiedEmbeddings = c.bool(true, "tie_word_embeddings")
	c.need("scale_attn_weights", true, "attention scores are divided by √head_dim")
	c.need("scale_attn_by_inverse_layer_idx", false, "no per-layer attention scaling")
	c.need("add_cross_attention", false, "decoder-only")
	if g.Eps <= 0 {
		c.fail("layer_norm_epsilon", "%v must be positive", g.Eps)
	}
	if c.err != nil {
		return g, c.err
	}
	if err := g.Validate(); err != nil {
		return g, &Error{File: c.file, Msg: err.Error()}
	}
	return g, nil
}

// bertConfig turns a BERT config.json into the SDK configuration (post-LN,
// token types, BertConfig's defaults for absent keys).
func (c *hfConfig) bertConfig(arch string) (bert.Config, error) {
	b := bert.Config{
		VocabSize:  c.int(30522, "vocab_size"),
		ContextLen: c.int(512, "max_position_embeddings"),
		Dim:        c.int(768, "hidden_size"),
		Layers:     c.int(12, "num_hidden_layers"),
		Heads:      c.int(12, "num_attention_heads"),
		MLPHidden:  c.int(3072, "intermediate_size"),
		TypeVocab:  c.int(2, "type_vocab_size"),
		Activation: c.activation("gelu", "hidden_act"),
		Eps:        float32(c.float(1e-12, "layer_norm_eps")),
		Dropout:    c.dropout(0.1, "hidden_dropout_prob", "attention_probs_dropout_prob"),
		PostLN:     true,
		Pooler:     arch != "BertForMaskedLM",
		MLMHead:    arch == "BertForMaskedLM",
	}
	c.need("position_embedding_type", "absolute", "learned absolute position embeddings")
	c.need("is_decoder", false, "an encoder")
	c.need("add_cross_attention", false, "an encoder")
	if arch == "BertForMaskedLM" {
		c.need("tie_word_embeddings", true, "the MLM decoder is the word embedding")
	}
	if b.Eps <= 0 {
		c.fail("layer_norm_eps", "%v must be positive", b.Eps)
	}
	if c.err != nil {
		return b, c.err
	}
	if err := b.Validate(); err != nil {
		return b, &Error{File: c.file, Msg: err.Error()}
	}
	return b, nil
}

// labels returns id2label in id order, or generic names for num_labels.
func (c *hfConfig) labels() ([]string, error) {
	if raw, ok := c.m["id2label"].(map[string]any); ok && len(raw) > 0 {
		out := make([]string, len(raw))
		for k, v := range raw {
			i, err := strconv.Atoi(k)
			s, isStr := v.(string)
			if err != nil || i < 0 || i >= len(raw) || !isStr || out[i] != "" {
				return nil, &Error{File: c.file, Msg: fmt.Sprintf("id2label: entry %q: %v: want ids 0..%d with names", k, v, len(raw)-1)}
			}
			out[i] = s
		}
		return out, nil
	}
	n := c.int(2, "num_labels")
	if c.err != nil {
		return nil, c.err
	}
	out := make([]string, n)
	for i := range out {
		out[i] = "LABEL_" + strconv.Itoa(i)
	}
	return out, nil
}
