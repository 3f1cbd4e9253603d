package finetune

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/pretrain-go/pretrain/builtin/gpt"
	"github.com/pretrain-go/pretrain/builtin/heads"
	"github.com/pretrain-go/pretrain/builtin/hf"
	"github.com/pretrain-go/pretrain/builtin/lora"
	"github.com/pretrain-go/pretrain/builtin/presets"
	"github.com/pretrain-go/pretrain/sdk/checkpoint"
	"github.com/pretrain-go/pretrain/sdk/data"
	"github.com/pretrain-go/pretrain/sdk/nn"
	"github.com/pretrain-go/pretrain/sdk/tensor"
)

// GPT adapts a gpt.Model to task.Backbone: Encode returns the final hidden
// states [B, T, Dim]. Padding goes on the right, so the causal model's real
// positions never see it. Its parameter names are the GPT's own, so a
// pretraining checkpoint loads into it as is.
type GPT struct {
	*gpt.Model
	// LoRA, when set, holds adapters on the model's linears; Encode
	// refreshes them before each forward pass until they are merged.
	LoRA *lora.LoRA
}

// NewGPT wraps a GPT model as a backbone.
func NewGPT(m *gpt.Model) *GPT { return &GPT{Model: m} }

// Encode returns the hidden states of the batch's InputIDs, under b.Scope.
func (g *GPT) Encode(b *data.Batch) *tensor.Tensor {
	if g.LoRA != nil && !g.LoRA.Merged() {
		g.LoRA.Refresh()
	}
	return g.Hidden(b.Scope, b.InputIDs, b.Size, b.SeqLen)
}

// Dim is the model width.
func (g *GPT) Dim() int { return g.Config.Dim }

// Train switches training mode (dropout) on the model and its adapters.
func (g *GPT) Train(on bool) {
	g.Model.Train(on)
	if g.LoRA != nil {
		g.LoRA.Train(on)
	}
}

// Layers groups the parameters from the bottom up: the embeddings, then
// one group per block, the final LayerNorm joining the top block. Layer-wise
// LR decay and gradual unfreezing work on these groups.
func (g *GPT) Layers() [][]nn.NamedParam {
	groups := make([][]nn.NamedParam, 1+len(g.Blocks))
	for _, p := range g.NamedParameters() {
		i := 0
		if rest, ok := strings.CutPrefix(p.Name, "blocks."); ok {
			var n int
			fmt.Sscanf(rest, "%d", &n)
			i = 1 + n
		} else if strings.HasPrefix(p.Name, "ln_f.") || strings.HasPrefix(p.Name, "head.") {
			i = len(g.Blocks)
		}
		groups[i] = append(groups[i], p)
	}
	return groups
}

// String describes the backbone.
func (g *GPT) String() string {
	if g.LoRA != nil {
		return fmt.Sprintf("GPTBackbone(%v, %v)", g.Model, g.LoRA)
	}
	return fmt.Sprintf("GPTBackbone(%v)", g.Model)
}

// ArchError reports a checkpoint whose architecture the fine-tuner cannot
// use (another model family, or tensors that do not fit).
type ArchError struct {
	Path string
	Msg  string
}

func (e *ArchError) Error() string { return e.Path + ": " + e.Msg }

// Pretrained is a backbone loaded from a checkpoint directory, with the
// tokenization it was trained with.
type Pretrained struct {
	Dir      string
	Backbone Backbone // *GPT for clm checkpoints
	Tokens   *Tokens
	Config   map[string]any // the checkpoint's config.json
}

// String describes what was loaded.
func (p *Pretrained) String() string {
	return fmt.Sprintf("Pretrained(%s, %v, %v)", p.Dir, p.Backbone, p.Tokens)
}

// readConfig reads dir/config.json.
func readConfig(dir string) (map[string]any, error) {
	b, err := os.ReadFile(filepath.Join(dir, checkpoint.ConfigFile))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%s: not a checkpoint directory (no %s)", dir, checkpoint.ConfigFile)
		}
		return nil, err
	}
	var cfg map[string]any
	if err := json.Unmarshal(b, &cfg); err != nil {
		return nil, fmt.Errorf("%s: %v", filepath.Join(dir, checkpoint.ConfigFile), err)
	}
	return cfg, nil
}

// LoadPretrained loads the backbone of a checkpoint directory: the output
// of `pretrain train` for any registry objective (clm gives the GPT; mlm,
// contrastive and electra's discriminator a BERT encoder; span and dae
// the T5 encoder; bilm the biLSTM), of `pretrain train --objective
// word2vec/glove` or `pretrain transfer --backbone word2vec` (word
// vectors; a vector file works too), any GPT checkpoint (model_type
// "gpt"), or a fine-tuned model, whose backbone is taken and its head
// dropped. The tokenizer is the directory's own (TokenizerPath). Any
// other architecture is an *ArchError.
func LoadPretrained(dir string) (*Pretrained, error) {
	if st, err := os.Stat(dir); err == nil && !st.IsDir() {
		return loadVectorBackbone(dir)
	}
	if _, err := os.Stat(filepath.Join(dir, checkpoint.ConfigFile)); errors.Is(err, os.ErrNotExist) {
		for _, n := range vectorFiles {
			if _, err := os.Stat(filepath.Join(dir, n)); err == nil {
				return loadVectorBackbone(dir)
			}
		}
	}
	if hf.IsDir(dir) {
		return loadHF(dir)
	}
	cfg, err := readConfig(dir)
	if err != nil {
		return nil, err
	}
	mt, _ := cfg["model_type"].(string)
	prefix := ""
	switch mt {
	case "clm", "gpt", "gpt2":
	case "word2vec", "glove":
		return loadVectorBackbone(dir)
	case ModelType:
		prefix = "backbone."
		spec, _ := cfg["backbone"].(map[string]any)
		if fam, _ := spec["family"].(string); fam != "gpt" && fam != "" {
			return loadSavedBackbone(dir, cfg, spec)
		}
		for k, v := range spec {
			if _, set := cfg[k]; !set {
				cfg[k] = v
			}
		}
	default:
		for _, o := range registryObjectives {
			if mt == o {
				return loadEncoder(dir, cfg)
			}
		}
		return nil, &ArchError{dir, fmt.Sprintf("checkpoint holds a %q model; fine-tuning reads %s", mt, knownTypes())}
	}
	tokens, err := loadTokens(dir, cfg)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, checkpoint.ModelFile)
	sd, err := loadPrefixed(path, prefix)
	if err != nil {
		return nil, err
	}
	gc, err := inferGPT(path, sd, cfg)
	if err != nil {
		return nil, err
	}
	if gc.VocabSize < tokens.Vocab {
		return nil, &ArchError{dir, fmt.Sprintf("embedding has %d rows but the tokenizer has %d ids", gc.VocabSize, tokens.Vocab)}
	}
	m, err := gpt.New(gc, tensor.NewRNG(1))
	if err != nil {
		return nil, &ArchError{path, err.Error()}
	}
	if err := m.LoadStateDict(sd); err != nil {
		return nil, &ArchError{path, err.Error()}
	}
	return &Pretrained{Dir: dir, Backbone: NewGPT(m), Tokens: tokens, Config: cfg}, nil
}

// inferGPT reads a GPT's shape from its tensors (and the head count from
// the config, or the preset of that width).
func inferGPT(path string, sd map[string]*tensor.Tensor, cfg map[string]any) (gpt.Config, error) {
	wte, wpe := sd["wte.weight"], sd["wpe.weight"]
	if wte == nil || wpe == nil || wte.Dims() != 2 || wpe.Dims() != 2 {
		names := make([]string, 0, len(sd))
		for k := range sd {
			names = append(names, k)
		}
		sort.Strings(names)
		if len(names) > 3 {
			names = append(names[:3], "...")
		}
		return gpt.Config{}, &ArchError{path, fmt.Sprintf("not a GPT checkpoint: no wte.weight/wpe.weight (tensors: %s)", strings.Join(names, ", "))}
	}
	c := gpt.Config{VocabSize: wte.Size(0), Dim: wte.Size(1), ContextLen: wpe.Size(0), TiedEmbeddings: sd["head.weight"] == nil}
	for sd[fmt.Sprintf("blocks.%d.ln1.weight", c.Layers)] != nil {
		c.Layers++
	}
	if fc := sd["blocks.0.mlp.fc1.weight"]; fc != nil {
		c.MLPHidden = fc.Size(0)
	}
	if a, ok := cfg["activation_function"].(string); ok {
		act, err := nn.ParseActivation(a)
		if err != nil {
			return c, &ArchError{path, err.Error()}
		}
		c.Activation = act
	}
	if eps, ok := cfg["layer_norm_epsilon"].(float64); ok {
		c.Eps = float32(eps)
	}
	for _, k := range []string{"n_head", "num_attention_heads", "heads"} {
		if v, ok := cfg[k].(float64); ok {
			c.Heads = int(v)
		}
	}
	if name, _ := cfg["preset"].(string); c.Heads == 0 && name != "" {
		if p, err := presets.Lookup(name); err == nil && p.GPT != nil && p.GPT.Dim == c.Dim {
			c.Heads = p.GPT.Heads
		}
	}
	if c.Heads == 0 { // the built-in presets' head width
		switch c.Dim {
		case 32:
			c.Heads = 2
		case 128:
			c.Heads = 4
		case 256:
			c.Heads = 8
		default:
			c.Heads = max(1, c.Dim/64)
		}
	}
	if err := c.Validate(); err != nil {
		return c, &ArchError{path, err.Error()}
	}
	return c, nil
}

// gptConfigJSON is how a GPT's shape is written into config.json (GPT-2's
// Hugging Face names).
func gptConfigJSON(c gpt.Config) map[string]any {
	m := map[string]any{"family": "gpt", "vocab_size": c.VocabSize, "n_positions": c.ContextLen, "n_embd": c.Dim,
		"n_layer": c.Layers, "n_head": c.Heads, "n_inner": c.MLPHidden, "tie_word_embeddings": c.TiedEmbeddings}
	// Written only when not the SDK's defaults (exact GELU, 1e-5), so
	// older configs read the same.
	if c.Activation != nn.GELU {
		m["activation_function"] = c.Activation.String()
	}
	if c.Eps != 0 && c.Eps != 1e-5 {
		m["layer_norm_epsilon"] = float64(c.Eps)
	}
	return m
}

// SavePretrained writes a GPT backbone and its tokenization as a checkpoint
// directory that LoadPretrained (and `pretrain finetune --from`) reads;
// extra entries go into config.json.
func SavePretrained(dir string, bb *GPT, tokens *Tokens, extra map[string]any) error {
	return writeDirAtomic(dir, func(tmp string) error {
		cfg := gptConfigJSON(bb.Config)
		cfg["model_type"] = "gpt"
		cfg["pad_token_id"] = tokens.Pad
		for k, v := range extra {
			cfg[k] = v
		}
		tok, err := tokens.save(tmp)
		if err != nil {
			return err
		}
		cfg["tokenizer"] = tok
		if err := checkpoint.Save(filepath.Join(tmp, checkpoint.ModelFile), bb.StateDict(), map[string]string{"format": "pt"}); err != nil {
			return err
		}
		return checkpoint.WriteJSON(filepath.Join(tmp, checkpoint.ConfigFile), cfg)
	})
}

// Randomize replaces the backbone's weights with a fresh initialisation of
// the same architecture drawn from seed (a from-scratch baseline; see
// NewRandom); the tokenization stays.
func (p *Pretrained) Randomize(seed uint64) error {
	bb, err := p.NewRandom(seed)
	if err != nil {
		return err
	}
	p.Backbone = bb
	return nil
}

// NewRandom returns a new backbone of p's architecture with weights drawn
// from seed (word vectors from a normal distribution of the table's root
// mean square); p is unchanged.
func (p *Pretrained) NewRandom(seed uint64) (Backbone, error) {
	switch bb := p.Backbone.(type) {
	case *GPT:
		m, err := gpt.New(bb.Config, tensor.NewRNG(seed))
		if err != nil {
			return nil, &ArchError{p.Dir, err.Error()}
		}
		return NewGPT(m), nil
	case *wordVectors:
		return &wordVectors{heads.NewWordVectors(randomLike(bb.Table, seed), true)}, nil
	case *Encoder:
		enc, err := encoderFromSpec(bb.spec, seed)
		if err != nil {
			return nil, &ArchError{p.Dir, err.Error()}
		}
		return enc, nil
	}
	return nil, &ArchError{p.Dir, fmt.Sprintf("cannot re-initialise a %T backbone", p.Backbone)}
}

// loadSavedBackbone loads the non-GPT backbone of a fine-tuned model:
// rebuilt from config.json's "backbone" spec, weights from its
// "backbone." tensors.
func loadSavedBackbone(dir string, cfg, spec map[string]any) (*Pretrained, error) {
	tokens, err := loadTokens(dir, cfg)
	if err != nil {
		return nil, err
	}
	bb, err := rebuild(dir, spec)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, checkpoint.ModelFile)
	sd, err := loadPrefixed(path, "backbone.")
	if err != nil {
		return nil, err
	}
	if err := bb.LoadStateDict(sd); err != nil {
		return nil, &ArchError{path, err.Error()}
	}
	return &Pretrained{Dir: dir, Backbone: bb, Tokens: tokens, Config: cfg}, nil
}

// loadPrefixed reads the tensors of a safetensors file whose names start
// with prefix, with the prefix removed.
func loadPrefixed(path, prefix string) (map[string]*tensor.Tensor, error) {
	all, _, err := checkpoint.Load(path)
	if err != nil {
		return nil, err
	}
	sd := map[string]*tensor.Tensor{}
	for k, v := range all {
		if name, ok := strings.CutPrefix(k, prefix); ok {
			sd[name] = v
		}
	}
	return sd, nil
}
