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
	Backbone *GPT
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
// of `pretrain train --objective clm` (or any GPT checkpoint: config.json
// with model_type "clm" or "gpt" and model.safetensors), or a fine-tuned
// model, whose backbone is taken and its head dropped. Any other
// architecture is an *ArchError.
func LoadPretrained(dir string) (*Pretrained, error) {
	cfg, err := readConfig(dir)
	if err != nil {
		return nil, err
	}
	mt, _ := cfg["model_type"].(string)
	prefix := ""
	switch mt {
	case "clm", "gpt", "gpt2":
	case ModelType:
		prefix = "backbone."
		if bb, ok := cfg["backbone"].(map[string]any); ok {
			for k, v := range bb {
				if _, set := cfg[k]; !set {
					cfg[k] = v
				}
			}
		}
	default:
		return nil, &ArchError{dir, fmt.Sprintf("checkpoint holds a %q model; fine-tuning needs a GPT backbone (model_type clm or gpt, from `pretrain train --objective clm`)", mt)}
	}
	tokens, err := loadTokens(dir, cfg)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, checkpoint.ModelFile)
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
	return map[string]any{"family": "gpt", "vocab_size": c.VocabSize, "n_positions": c.ContextLen, "n_embd": c.Dim,
		"n_layer": c.Layers, "n_head": c.Heads, "n_inner": c.MLPHidden, "tie_word_embeddings": c.TiedEmbeddings}
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
// the same architecture drawn from seed (a from-scratch baseline); the
// tokenization stays.
func (p *Pretrained) Randomize(seed uint64) error {
	m, err := gpt.New(p.Backbone.Config, tensor.NewRNG(seed))
	if err != nil {
		return &ArchError{p.Dir, err.Error()}
	}
	p.Backbone = NewGPT(m)
	return nil
}
