package lm

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/pretrain-go/pretrain/builtin/bert"
	"github.com/pretrain-go/pretrain/builtin/gpt"
	"github.com/pretrain-go/pretrain/builtin/hf"
	"github.com/pretrain-go/pretrain/sdk/checkpoint"
	"github.com/pretrain-go/pretrain/sdk/task"
	"github.com/pretrain-go/pretrain/sdk/tensor"
)

// Checkpoint is a model's weights and configuration read from a directory
// written by the Trainer (model.safetensors and config.json) or from a
// single safetensors file. The head count, which the weights do not
// show, is read from config.json or the file's metadata
// ("num_attention_heads").
type Checkpoint struct {
	Path    string                    // the directory or file read
	Tensors map[string]*tensor.Tensor // by parameter name
	Config  map[string]any            // config.json; empty when absent
	// HF is the model of a Hugging Face directory (see hf.Load), with its
	// tokenizer; GPT and BERT return its model. Nil for the SDK's own
	// checkpoints. Config then holds the SDK's keys (model_type clm or
	// mlm, the head count, the special ids), not the directory's file.
	HF *hf.Model
}

// String names the checkpoint and its size.
func (c *Checkpoint) String() string {
	return fmt.Sprintf("lm.Checkpoint(%s, %d tensors, model_type=%v)", c.Path, len(c.Tensors), c.Config["model_type"])
}

// ReadCheckpoint reads path: a directory holding model.safetensors (and
// config.json, optional), a Hugging Face GPT-2 or BERT directory (see
// hf.IsDir; read by hf.Load), or a .safetensors file (with config.json
// beside it, optional).
func ReadCheckpoint(path string) (*Checkpoint, error) {
	file, dir := path, filepath.Dir(path)
	if st, err := os.Stat(path); err != nil {
		return nil, err
	} else if st.IsDir() {
		if hf.IsDir(path) {
			return readHF(path)
		}
		file, dir = filepath.Join(path, checkpoint.ModelFile), path
	}
	ts, meta, err := checkpoint.Load(file)
	if err != nil {
		return nil, err
	}
	c := &Checkpoint{Path: path, Tensors: ts, Config: map[string]any{}}
	raw, err := os.ReadFile(filepath.Join(dir, checkpoint.ConfigFile))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if err == nil {
		if err := json.Unmarshal(raw, &c.Config); err != nil {
			return nil, fmt.Errorf("%s: %w", filepath.Join(dir, checkpoint.ConfigFile), err)
		}
	}
	for k, v := range meta { // the file's own metadata fills what config.json lacks
		if _, ok := c.Config[k]; !ok {
			c.Config[k] = v
		}
	}
	return c, nil
}

// Int returns an integer setting of config.json (the first of keys
// present), or def.
func (c *Checkpoint) Int(def int, keys ...string) int {
	for _, k := range keys {
		switch v := c.Config[k].(type) {
		case float64:
			return int(v)
		case string:
			if n, err := strconv.Atoi(v); err == nil {
				return n
			}
		}
	}
	return def
}

// Stripped returns the tensors whose names start with prefix, with the
// prefix removed (e.g. "disc." for an ELECTRA discriminator).
func (c *Checkpoint) Stripped(prefix string) map[string]*tensor.Tensor {
	out := make(map[string]*tensor.Tensor)
	for k, v := range c.Tensors {
		if strings.HasPrefix(k, prefix) {
			out[k[len(prefix):]] = v
		}
	}
	return out
}

// shapeFromTensors infers vocabulary, context, width, layers and MLP width
// from the parameter shapes of a gpt or bert state dict.
func shapeFromTensors(sd map[string]*tensor.Tensor, where string) (vocab, ctx, dim, layers, mlp int, err error) {
	wte, wpe := sd["wte.weight"], sd["wpe.weight"]
	if wte == nil || wpe == nil || wte.Dims() != 2 || wpe.Dims() != 2 {
		return 0, 0, 0, 0, 0, fmt.Errorf("%s: no wte.weight and wpe.weight matrices (not a gpt or bert model)", where)
	}
	vocab, dim, ctx = wte.Size(0), wte.Size(1), wpe.Size(0)
	for sd["blocks."+strconv.Itoa(layers)+".ln1.weight"] != nil {
		layers++
	}
	if fc1 := sd["blocks.0.mlp.fc1.weight"]; fc1 != nil {
		mlp = fc1.Size(0)
	}
	if layers == 0 {
		return 0, 0, 0, 0, 0, fmt.Errorf("%s: no transformer blocks", where)
	}
	return vocab, ctx, dim, layers, mlp, nil
}

// heads reads the head count from config.json ("num_attention_heads" or
// "n_head"), else assumes the presets' head width of 32.
func (c *Checkpoint) heads(dim int) int {
	h := c.Int(0, "num_attention_heads", "n_head", "heads")
	if h <= 0 || dim%h != 0 {
		h = max(1, dim/32)
		for dim%h != 0 {
			h--
		}
	}
	return h
}

// GPT builds the GPT of a clm checkpoint and loads its weights.
func (c *Checkpoint) GPT() (*gpt.Model, error) {
	if c.HF != nil {
		if c.HF.GPT == nil {
			return nil, fmt.Errorf("%s: a Hugging Face %s, not a GPT-2", c.Path, c.HF.Architecture)
		}
		return c.HF.GPT, nil
	}
	v, ctx, d, l, mlp, err := shapeFromTensors(c.Tensors, c.Path)
	if err != nil {
		return nil, err
	}
	_, untied := c.Tensors["head.weight"]
	m, err := gpt.New(gpt.Config{VocabSize: v, ContextLen: ctx, Dim: d, Layers: l, Heads: c.heads(d), MLPHidden: mlp, TiedEmbeddings: !untied}, tensor.NewRNG(0))
	if err != nil {
		return nil, err
	}
	if err := m.LoadStateDict(c.Tensors); err != nil {
		return nil, fmt.Errorf("%s: %w", c.Path, err)
	}
	return m, nil
}

// BERT builds the encoder of an mlm, contrastive or electra checkpoint
// (whose discriminator is under "disc.") and loads its weights.
func (c *Checkpoint) BERT() (*bert.Model, error) {
	if c.HF != nil {
		if c.HF.BERT == nil {
			return nil, fmt.Errorf("%s: a Hugging Face %s, not a BERT", c.Path, c.HF.Architecture)
		}
		return c.HF.BERT, nil
	}
	sd := c.Tensors
	if _, ok := sd["wte.weight"]; !ok {
		sd = c.Stripped("disc.")
	}
	v, ctx, d, l, mlp, err := shapeFromTensors(sd, c.Path)
	if err != nil {
		return nil, err
	}
	types := 0
	if t := sd["tte.weight"]; t != nil {
		types = t.Size(0)
	}
	bc := bert.Config{VocabSize: v, ContextLen: ctx, Dim: d, Layers: l, Heads: c.heads(d), MLPHidden: mlp, TypeVocab: types}
	// The original-BERT layout (option arch=bert) shows in its parameters.
	bc.PostLN, bc.Pooler, bc.MLMHead = sd["emb_ln.weight"] != nil, sd["pooler.weight"] != nil, sd["mlm.bias"] != nil
	if eps, ok := c.Config["layer_norm_eps"].(float64); ok && eps > 0 {
		bc.Eps = float32(eps)
	}
	m, err := bert.New(bc, tensor.NewRNG(0))
	if err != nil {
		return nil, err
	}
	if err := m.LoadStateDict(sd); err != nil {
		return nil, fmt.Errorf("%s: %w", c.Path, err)
	}
	return m, nil
}

// Candidate is a token proposed for a masked position.
type Candidate struct {
	ID   int
	Prob float32
}

// String prints the id and probability.
func (c Candidate) String() string { return fmt.Sprintf("%d (%.3f)", c.ID, c.Prob) }

// FillMask runs the encoder over ids (one sequence, no padding) and returns,
// for each position holding maskID in order, the k most probable tokens.
func FillMask(m *bert.Model, ids []int, maskID, k int) [][]Candidate {
	var rows []int
	for i, id := range ids {
		if id == maskID {
			rows = append(rows, i)
		}
	}
	if len(rows) == 0 {
		return nil
	}
	training := m.Training()
	m.Train(false)
	defer m.Train(training)
	h := m.Hidden(tensor.NewScope().NoGrad(), ids, nil, nil, 1, len(ids))
	probs := m.Logits(bert.GatherRows(h, rows)).Softmax(-1).Float32s()
	v := m.Config.VocabSize
	out := make([][]Candidate, 0, len(rows))
	for r := range rows {
		p := probs[r*v : (r+1)*v]
		order := make([]int, v)
		for i := range order {
			order[i] = i
		}
		sort.SliceStable(order, func(a, b int) bool { return p[order[a]] > p[order[b]] })
		n := min(k, v)
		cs := make([]Candidate, n)
		for i := 0; i < n; i++ {
			cs[i] = Candidate{ID: order[i], Prob: p[order[i]]}
		}
		out = append(out, cs)
	}
	return out
}

// HiddenFunc maps a padded batch (ids, attention mask, rows, columns) to
// hidden states [rows, columns, Dim], such as bert.Model.Hidden with no
// token types or a GPT's Hidden, computed under scope s.
type HiddenFunc func(s *tensor.Scope, ids, mask []int, batch, seqLen int) *tensor.Tensor

// Embed returns one vector per sequence: pooling "mean" averages the
// hidden states of the real tokens, "cls" takes the first position's and
// "last" the last real token's (the natural choice for a causal model).
// Sequences longer than maxLen are truncated; batches hold batchSize
// sequences padded with padID. Run it with the model in evaluation mode.
func Embed(hidden HiddenFunc, seqs [][]int, padID, maxLen, batchSize int, pooling string) ([][]float32, error) {
	if pooling != "mean" && pooling != "cls" && pooling != "last" {
		return nil, fmt.Errorf("embed: pooling %q: want mean, cls or last", pooling)
	}
	if batchSize <= 0 || maxLen <= 0 {
		return nil, fmt.Errorf("embed: batch size %d and length %d must be positive", batchSize, maxLen)
	}
	out := make([][]float32, 0, len(seqs))
	eval := tensor.NewScope().NoGrad()
	for lo := 0; lo < len(seqs); lo += batchSize {
		chunk := seqs[lo:min(lo+batchSize, len(seqs))]
		cols := 1
		for _, s := range chunk {
			cols = max(cols, min(len(s), maxLen))
		}
		ids, mask := make([]int, len(chunk)*cols), make([]int, len(chunk)*cols)
		for r, s := range chunk {
			s = s[:min(len(s), maxLen)]
			for j := 0; j < cols; j++ {
				if j < len(s) {
					ids[r*cols+j], mask[r*cols+j] = s[j], 1
				} else {
					ids[r*cols+j] = padID
				}
			}
			if len(s) == 0 {
				return nil, fmt.Errorf("embed: sequence %d is empty", lo+r)
			}
		}
		h := hidden(eval, ids, mask, len(chunk), cols)
		d := h.Size(2)
		var pooled []float32
		switch pooling {
		case "mean":
			pooled = MeanPool(h, mask).Float32s()
		default:
			all := h.Float32s()
			pooled = make([]float32, len(chunk)*d)
			for r, s := range chunk {
				j := 0
				if pooling == "last" {
					j = min(len(s), maxLen) - 1
				}
				copy(pooled[r*d:(r+1)*d], all[(r*cols+j)*d:(r*cols+j+1)*d])
			}
		}
		for r := range chunk {
			out = append(out, pooled[r*d:(r+1)*d])
		}
	}
	return out, nil
}

// ModelConfig returns the Hugging Face-style configuration of an
// objective's transformer ("num_attention_heads", "hidden_size",
// "num_hidden_layers", "intermediate_size", "max_position_embeddings",
// "vocab_size", "type_vocab_size"), for config.json next to a checkpoint, so
// that ReadCheckpoint does not have to guess the head count. It returns nil
// for objectives not defined in this package.
func ModelConfig(obj task.Objective) map[string]any {
	var c bert.Config
	switch o := obj.(type) {
	case *CLM:
		g := o.model.Config
		c = bert.Config{VocabSize: g.VocabSize, ContextLen: g.ContextLen, Dim: g.Dim, Layers: g.Layers, Heads: g.Heads, MLPHidden: g.MLPHidden}
	case *MLM:
		c = o.model.Config
	case *ELECTRA:
		c = o.model.Disc.Config
	case *Contrastive:
		c = o.model.Config
	default:
		return nil
	}
	mlp := c.MLPHidden
	if mlp == 0 {
		mlp = 4 * c.Dim
	}
	m := map[string]any{"num_attention_heads": c.Heads, "hidden_size": c.Dim, "num_hidden_layers": c.Layers,
		"intermediate_size": mlp, "max_position_embeddings": c.ContextLen, "vocab_size": c.VocabSize, "type_vocab_size": c.TypeVocab}
	if c.Eps != 0 {
		m["layer_norm_eps"] = c.Eps
	}
	return m
}
