package hf

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"

	"github.com/pretrain-go/pretrain/sdk/checkpoint"
	"github.com/pretrain-go/pretrain/sdk/tensor"
)

// SaveOptions tune Save.
type SaveOptions struct {
	// DType of the weights written: tensor.F32 (the default) or tensor.BF16.
	DType tensor.DType
}

// Save writes m as a Hugging Face directory that transformers'
// from_pretrained loads with no missing and no unexpected keys:
// config.json (model_type, architectures and the shape), model.safetensors
// with transformers' names (tied aliases left out, as save_pretrained does,
// and metadata format "pt"), and, when m has a tokenizer, tokenizer.json
// and tokenizer_config.json.
//
// The architecture follows the model: a GPT is GPT2LMHeadModel (GPT2Model
// when m.Architecture says so, as Load sets it); a post-LN
// BERT (bert.Config.PostLN) with a Classifier is
// BertForSequenceClassification (it needs the pooler), with an MLM head
// BertForMaskedLM, else BertModel (it needs the pooler). A pre-LN encoder
// has no BERT equivalent and is an error. m.Architecture, when set, must
// be the one the model implies.
//
// dir must not exist or be empty. Everything is written into a temporary
// sibling directory, synced and renamed into place, so a failure leaves
// nothing behind.
func Save(dir string, m *Model, opt SaveOptions) error {
	if opt.DType != tensor.F32 && opt.DType != tensor.BF16 {
		return fmt.Errorf("hf.Save: dtype %s: want F32 or BF16", opt.DType)
	}
	files, err := m.export(opt.DType)
	if err != nil {
		return err
	}
	if ents, err := os.ReadDir(dir); err == nil && len(ents) > 0 {
		return fmt.Errorf("hf.Save: %s exists and is not empty", dir)
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("hf.Save: %w", err)
	}
	parent := filepath.Dir(filepath.Clean(dir))
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return fmt.Errorf("hf.Save: %w", err)
	}
	tmp, err := os.MkdirTemp(parent, filepath.Base(filepath.Clean(dir))+".tmp-")
	if err != nil {
		return fmt.Errorf("hf.Save: %w", err)
	}
	ok := false
	defer func() {
		if !ok {
			os.RemoveAll(tmp)
		}
	}()
	for _, f := range files {
		if err := f.write(filepath.Join(tmp, f.name)); err != nil {
			return fmt.Errorf("hf.Save: %s: %w", f.name, err)
		}
	}
	if err := checkpoint.SyncDir(tmp); err != nil {
		return fmt.Errorf("hf.Save: %w", err)
	}
	os.Remove(dir) // an empty directory in the way
	if err := os.Rename(tmp, dir); err != nil {
		return fmt.Errorf("hf.Save: %w", err)
	}
	ok = true
	return checkpoint.SyncDir(parent)
}

// outFile is one file of an exported directory.
type outFile struct {
	name    string
	tensors map[string]*tensor.Tensor // a safetensors file, or
	json    any                       // a JSON file, or
	tok     bool                      // the tokenizer
	m       *Model
}

func (f outFile) write(path string) error {
	switch {
	case f.tensors != nil:
		return checkpoint.Save(path, f.tensors, map[string]string{"format": "pt"})
	case f.tok:
		return f.m.Tokenizer.Save(path)
	}
	return checkpoint.WriteJSON(path, f.json)
}

// Tensors returns the weights of m under transformers' names, as Save
// writes them (F32), and the architecture. Tied aliases (lm_head.weight,
// the MLM decoder) are left out.
func (m *Model) Tensors() (map[string]*tensor.Tensor, string, error) {
	arch, maps, err := m.plan()
	if err != nil {
		return nil, "", err
	}
	sd := m.stateDict()
	out := map[string]*tensor.Tensor{}
	for _, mp := range maps {
		t, ok := sd[mp.sdk]
		if !ok {
			if mp.sdk == "tte.weight" { // no token types: one all-zero type
				out[mp.hf[0]] = tensor.Zeros(1, m.BERT.Config.Dim)
				continue
			}
			return nil, "", fmt.Errorf("hf: the model has no parameter %s for %s", mp.sdk, mp.hf[0])
		}
		if t.DType() != tensor.F32 {
			t = t.To(tensor.F32)
		}
		if mp.conv {
			out[mp.hf[0]] = transpose2D(t)
			continue
		}
		if len(mp.hf) == 1 {
			out[mp.hf[0]] = t
			continue
		}
		data, rows := t.Float32s(), t.Size(0)/len(mp.hf)
		per := len(data) / len(mp.hf)
		shape := append([]int{rows}, t.Shape()[1:]...)
		for i, h := range mp.hf {
			out[h] = tensor.FromFloat32s(append([]float32(nil), data[i*per:(i+1)*per]...), shape...)
		}
	}
	return out, arch, nil
}

// plan chooses the architecture and the name mappings of m.
func (m *Model) plan() (string, []mapping, error) {
	var arch string
	var maps []mapping
	switch {
	case m.GPT != nil && m.BERT != nil:
		return "", nil, errors.New("hf: the model has both a GPT and a BERT")
	case m.GPT != nil:
		if m.Classifier != nil {
			return "", nil, errors.New("hf: a GPT with a classifier has no supported architecture")
		}
		prefix := "transformer."
		arch = "GPT2LMHeadModel"
		if m.Architecture == "GPT2Model" { // the base model, as it was loaded
			if m.GPT.Head != nil {
				return "", nil, errors.New("hf: a GPT2Model has no untied head")
			}
			arch, prefix = "GPT2Model", ""
		}
		maps = gpt2Mappings(prefix, m.GPT.Config.Layers, m.GPT.Head != nil)
	case m.BERT != nil:
		c := m.BERT.Config
		if !c.PostLN {
			return "", nil, errors.New("hf: a pre-LN encoder (with ln_f) has no Hugging Face BERT equivalent; train it with --opt arch=bert (bert.Config.PostLN: post-LN with embedding LayerNorm)")
		}
		switch {
		case m.Classifier != nil:
			if m.BERT.Pool == nil {
				return "", nil, errors.New("hf: BertForSequenceClassification needs the pooler (bert.Config.Pooler)")
			}
			arch = "BertForSequenceClassification"
		case m.BERT.MLM != nil:
			arch = "BertForMaskedLM"
		default:
			if m.BERT.Pool == nil {
				return "", nil, errors.New("hf: a BERT without MLM head needs the pooler to be a BertModel (bert.Config.Pooler)")
			}
			arch = "BertModel"
		}
		prefix, _ := prefixOf(arch)
		pool := m.BERT.Pool != nil && arch != "BertForMaskedLM" // BertForMaskedLM has no pooler
		maps = bertMappings(prefix, c.Layers, pool, m.BERT.MLM != nil && arch == "BertForMaskedLM", m.Classifier != nil)
	default:
		return "", nil, errors.New("hf: the model has neither a GPT nor a BERT")
	}
	if m.Architecture != "" && m.Architecture != arch {
		return "", nil, fmt.Errorf("hf: the model is a %s, not a %s", arch, m.Architecture)
	}
	return arch, maps, nil
}

// export builds the files of the directory.
func (m *Model) export(dt tensor.DType) ([]outFile, error) {
	ts, arch, err := m.Tensors()
	if err != nil {
		return nil, err
	}
	if dt == tensor.BF16 {
		for k, v := range ts {
			ts[k] = v.To(tensor.BF16)
		}
	}
	dtName := map[tensor.DType]string{tensor.F32: "float32", tensor.BF16: "bfloat16"}[dt]
	cfg := map[string]any{"architectures": []string{arch}, "torch_dtype": dtName}
	if m.GPT != nil {
		c := m.GPT.Config
		act, err := activationName(c.Activation)
		if err != nil {
			return nil, fmt.Errorf("hf: %w", err)
		}
		mlp := c.MLPHidden
		if mlp == 0 {
			mlp = 4 * c.Dim
		}
		for k, v := range map[string]any{
			"model_type": "gpt2", "vocab_size": c.VocabSize, "n_positions": c.ContextLen, "n_embd": c.Dim,
			"n_layer": c.Layers, "n_head": c.Heads, "n_inner": mlp, "activation_function": act,
			"layer_norm_epsilon": m.GPT.LNF.Eps, "resid_pdrop": c.Dropout, "embd_pdrop": c.Dropout, "attn_pdrop": c.Dropout,
			"tie_word_embeddings": m.GPT.Head == nil, "scale_attn_weights": true,
			"scale_attn_by_inverse_layer_idx": false, "reorder_and_upcast_attn": false, "initializer_range": 0.02,
			"use_cache": true,
		} {
			cfg[k] = v
		}
	} else {
		c := m.BERT.Config
		act, err := activationName(c.Activation)
		if err != nil {
			return nil, fmt.Errorf("hf: %w", err)
		}
		mlp := c.MLPHidden
		if mlp == 0 {
			mlp = 4 * c.Dim
		}
		types := c.TypeVocab
		if types == 0 {
			types = 1
		}
		for k, v := range map[string]any{
			"model_type": "bert", "vocab_size": c.VocabSize, "max_position_embeddings": c.ContextLen,
			"hidden_size": c.Dim, "num_hidden_layers": c.Layers, "num_attention_heads": c.Heads,
			"intermediate_size": mlp, "hidden_act": act, "type_vocab_size": types,
			"layer_norm_eps": m.BERT.Blocks[0].LN1.Eps, "hidden_dropout_prob": c.Dropout,
			"attention_probs_dropout_prob": c.Dropout, "position_embedding_type": "absolute",
			"initializer_range": 0.02, "classifier_dropout": nil, "use_cache": true,
		} {
			cfg[k] = v
		}
		if m.Classifier != nil {
			labels := m.Labels
			if len(labels) != m.Classifier.Out {
				labels = make([]string, m.Classifier.Out)
				for i := range labels {
					labels[i] = "LABEL_" + strconv.Itoa(i)
				}
			}
			id2, to := map[string]string{}, map[string]int{}
			for i, l := range labels {
				id2[strconv.Itoa(i)] = l
				to[l] = i
			}
			cfg["id2label"], cfg["label2id"] = id2, to
		}
	}
	for _, role := range []string{"bos", "eos", "pad"} {
		if id, ok := m.Special[role]; ok {
			cfg[role+"_token_id"] = id
		}
	}
	files := []outFile{{name: ConfigFile, json: cfg}, {name: WeightsFile, tensors: ts}}
	if m.Tokenizer != nil {
		if m.Tokenizer.VocabSize() > m.vocabSize() {
			return nil, fmt.Errorf("hf: the tokenizer has %d tokens, more than the model's vocabulary %d", m.Tokenizer.VocabSize(), m.vocabSize())
		}
		files = append(files, outFile{name: TokenizerFile, tok: true, m: m}, outFile{name: TokenizerConfigFile, json: m.tokenizerConfig()})
	}
	return files, nil
}

// tokenizerConfig is the tokenizer_config.json of an export: the fast
// tokenizer class, the length limit and the special tokens.
func (m *Model) tokenizerConfig() map[string]any {
	tc := map[string]any{}
	if m.GPT != nil {
		tc["tokenizer_class"] = "GPT2TokenizerFast"
		tc["model_max_length"] = m.GPT.Config.ContextLen
		tc["add_prefix_space"] = false
	} else {
		tc["tokenizer_class"] = "BertTokenizerFast"
		tc["model_max_length"] = m.BERT.Config.ContextLen
	}
	for _, sk := range specialKeys {
		if id, ok := m.Special[sk[0]]; ok {
			if s, ok := m.Tokenizer.Token(id); ok && s != "" {
				tc[sk[1]] = s
			} else if sp := m.Tokenizer.SpecialTokens(); len(sp) > 0 {
				for _, t := range sp {
					if tid, ok := m.Tokenizer.TokenID(t); ok && tid == id {
						tc[sk[1]] = t
					}
				}
			}
		}
	}
	return tc
}
