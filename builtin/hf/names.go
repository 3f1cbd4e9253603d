package hf

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// A mapping ties one SDK parameter to its Hugging Face tensor(s).
type mapping struct {
	sdk string   // SDK parameter name, e.g. "blocks.0.attn.qkv.weight"
	hf  []string // the HF tensor, or query, key and value stacked along dim 0
	// conv marks GPT-2's Conv1D weights, stored [in, out]: the transpose
	// of the SDK's (and nn.Linear's) [out, in].
	conv bool
}

// gpt2Mappings lists every parameter of a GPT-2 with the given layers;
// prefix is "transformer." for GPT2LMHeadModel and "" for GPT2Model.
func gpt2Mappings(prefix string, layers int, untiedHead bool) []mapping {
	ms := []mapping{
		{sdk: "wte.weight", hf: []string{prefix + "wte.weight"}},
		{sdk: "wpe.weight", hf: []string{prefix + "wpe.weight"}},
	}
	for i := 0; i < layers; i++ {
		s, h := "blocks."+strconv.Itoa(i)+".", prefix+"h."+strconv.Itoa(i)+"."
		for _, p := range [][3]string{
			{"ln1", "ln_1", ""}, {"attn.qkv", "attn.c_attn", "conv"}, {"attn.proj", "attn.c_proj", "conv"},
			{"ln2", "ln_2", ""}, {"mlp.fc1", "mlp.c_fc", "conv"}, {"mlp.fc2", "mlp.c_proj", "conv"},
		} {
			ms = append(ms,
				mapping{sdk: s + p[0] + ".weight", hf: []string{h + p[1] + ".weight"}, conv: p[2] != ""},
				mapping{sdk: s + p[0] + ".bias", hf: []string{h + p[1] + ".bias"}})
		}
	}
	ms = append(ms, mapping{sdk: "ln_f.weight", hf: []string{prefix + "ln_f.weight"}},
		mapping{sdk: "ln_f.bias", hf: []string{prefix + "ln_f.bias"}})
	if untiedHead {
		ms = append(ms, mapping{sdk: "head.weight", hf: []string{"lm_head.weight"}})
	}
	return ms
}

// bertMappings lists every parameter of a post-LN BERT; prefix is "bert."
// for the models with a head and "" for BertModel.
func bertMappings(prefix string, layers int, pooler, mlm bool, classifier bool) []mapping {
	e := prefix + "embeddings."
	ms := []mapping{
		{sdk: "wte.weight", hf: []string{e + "word_embeddings.weight"}},
		{sdk: "wpe.weight", hf: []string{e + "position_embeddings.weight"}},
		{sdk: "tte.weight", hf: []string{e + "token_type_embeddings.weight"}},
		{sdk: "emb_ln.weight", hf: []string{e + "LayerNorm.weight"}},
		{sdk: "emb_ln.bias", hf: []string{e + "LayerNorm.bias"}},
	}
	for i := 0; i < layers; i++ {
		s, h := "blocks."+strconv.Itoa(i)+".", prefix+"encoder.layer."+strconv.Itoa(i)+"."
		a := h + "attention.self."
		for _, wb := range []string{".weight", ".bias"} {
			ms = append(ms,
				mapping{sdk: s + "attn.qkv" + wb, hf: []string{a + "query" + wb, a + "key" + wb, a + "value" + wb}},
				mapping{sdk: s + "attn.proj" + wb, hf: []string{h + "attention.output.dense" + wb}},
				mapping{sdk: s + "ln1" + wb, hf: []string{h + "attention.output.LayerNorm" + wb}},
				mapping{sdk: s + "mlp.fc1" + wb, hf: []string{h + "intermediate.dense" + wb}},
				mapping{sdk: s + "mlp.fc2" + wb, hf: []string{h + "output.dense" + wb}},
				mapping{sdk: s + "ln2" + wb, hf: []string{h + "output.LayerNorm" + wb}})
		}
	}
	if pooler {
		ms = append(ms, mapping{sdk: "pooler.weight", hf: []string{prefix + "pooler.dense.weight"}},
			mapping{sdk: "pooler.bias", hf: []string{prefix + "pooler.dense.bias"}})
	}
	if mlm {
		t := "cls.predictions.transform."
		ms = append(ms, mapping{sdk: "mlm.dense.weight", hf: []string{t + "dense.weight"}},
			mapping{sdk: "mlm.dense.bias", hf: []string{t + "dense.bias"}},
			mapping{sdk: "mlm.ln.weight", hf: []string{t + "LayerNorm.weight"}},
			mapping{sdk: "mlm.ln.bias", hf: []string{t + "LayerNorm.bias"}},
			mapping{sdk: "mlm.bias", hf: []string{"cls.predictions.bias"}})
	}
	if classifier {
		ms = append(ms, mapping{sdk: "classifier.weight", hf: []string{"classifier.weight"}},
			mapping{sdk: "classifier.bias", hf: []string{"classifier.bias"}})
	}
	return ms
}

// ignorable matches the tensors of real checkpoints that carry no
// parameter: GPT-2's causal-mask buffers (attn.bias, attn.masked_bias) and
// BERT's position_ids / token_type_ids buffers of older saves, and the tied
// aliases that from_pretrained re-ties (lm_head.weight, the MLM decoder).
// BERT's next-sentence head (cls.seq_relationship, kept by BertForPreTraining
// checkpoints such as bert-base-uncased) is not part of the supported
// architectures and is skipped too, as from_pretrained does.
var ignorable = regexp.MustCompile(`(^|\.)h\.\d+\.attn\.(masked_)?bias$|(^|\.)embeddings\.(position_ids|token_type_ids)$|^lm_head\.weight$|^cls\.predictions\.decoder\.(weight|bias)$|^cls\.seq_relationship\.(weight|bias)$`)

// headKey reports whether an HF tensor name belongs to a task head, which
// keeps its name whatever the base-model prefix.
func headKey(name string) bool {
	return strings.HasPrefix(name, "lm_head.") || strings.HasPrefix(name, "cls.") || strings.HasPrefix(name, "classifier.")
}

// canonical rewrites a checkpoint's names to the architecture's: a
// base-model checkpoint ("h.0...", "embeddings...") loaded into a model
// with a head gains the base prefix ("transformer." or "bert."), and a head
// model's checkpoint loaded as the base model loses it, as from_pretrained
// does; LayerNorm.gamma / LayerNorm.beta become .weight / .bias. withPrefix
// tells whether the architecture's names carry the prefix.
// It returns canonical name → name in the file.
func canonical(names []string, base string, withPrefix bool) map[string]string {
	has := false
	for _, n := range names {
		has = has || strings.HasPrefix(n, base)
	}
	out := make(map[string]string, len(names))
	for _, n := range names {
		c := n
		switch {
		case withPrefix && !has && !headKey(n):
			c = base + n
		case !withPrefix && has:
			c = strings.TrimPrefix(n, base)
		}
		// TensorFlow-era names of LayerNorm parameters, renamed as
		// from_pretrained does.
		if strings.HasSuffix(c, "LayerNorm.gamma") {
			c = strings.TrimSuffix(c, "gamma") + "weight"
		} else if strings.HasSuffix(c, "LayerNorm.beta") {
			c = strings.TrimSuffix(c, "beta") + "bias"
		}
		out[c] = n
	}
	return out
}

// prefixOf is the base-model prefix of an architecture's names ("" for
// the base models themselves) and the prefix of its family.
func prefixOf(arch string) (prefix, base string) {
	switch arch {
	case "GPT2LMHeadModel":
		return "transformer.", "transformer."
	case "GPT2Model":
		return "", "transformer."
	case "BertForMaskedLM", "BertForSequenceClassification":
		return "bert.", "bert."
	}
	return "", "bert."
}

func describe(arch string, layers int) string {
	return fmt.Sprintf("%s with %d layers", arch, layers)
}
