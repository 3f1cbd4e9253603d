package finetune

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/pretrain-go/pretrain/builtin/bert"
	"github.com/pretrain-go/pretrain/builtin/elmo"
	"github.com/pretrain-go/pretrain/builtin/heads"
	"github.com/pretrain-go/pretrain/builtin/lm"
	"github.com/pretrain-go/pretrain/builtin/t5"
	"github.com/pretrain-go/pretrain/builtin/vectors"
	"github.com/pretrain-go/pretrain/sdk/checkpoint"
	"github.com/pretrain-go/pretrain/sdk/data"
	"github.com/pretrain-go/pretrain/sdk/nn"
	"github.com/pretrain-go/pretrain/sdk/task"
	"github.com/pretrain-go/pretrain/sdk/tensor"
	"github.com/pretrain-go/pretrain/sdk/tokenizer"
)

// Backbone is an encoder the fine-tuner trains under a head: the GPT of a
// clm checkpoint, the encoder of any other registry objective (mlm,
// electra's discriminator, contrastive, span/dae's T5 encoder, bilm), or
// a word-vector table.
type Backbone interface {
	task.Backbone
	// Family names the architecture: "gpt", "bert", "t5-encoder",
	// "bilm" or "word-vectors".
	Family() string
	// Context is the most tokens one window may hold; 0 for no limit.
	Context() int
	// Layers groups the parameters from the bottom up (embeddings first,
	// the top block with the final norm last) for llrd and gradual
	// unfreezing.
	Layers() [][]nn.NamedParam
	// Spec is the config.json "backbone" entry that rebuilds the
	// architecture (its weights come from model.safetensors).
	Spec() map[string]any
}

// Family returns "gpt".
func (g *GPT) Family() string { return "gpt" }

// Context is the GPT's context length.
func (g *GPT) Context() int { return g.Config.ContextLen }

// Spec is the GPT's shape under GPT-2's config names.
func (g *GPT) Spec() map[string]any { return gptConfigJSON(g.Config) }

// Encoder is the encoder of a registry objective's model (everything but
// the GPT, which is GPT): an mlm or contrastive BERT, electra's
// discriminator, the encoder half of a span/dae T5 or a bilm. Its config
// spec is the pretraining checkpoint's: the objective, preset, options and
// special ids that rebuild the model through the task registry.
type Encoder struct {
	task.Backbone
	family  string
	context int
	spec    map[string]any
}

// Family names the architecture.
func (e *Encoder) Family() string { return e.family }

// Context is the encoder's context length (0: no limit, the bilm).
func (e *Encoder) Context() int { return e.context }

// Spec rebuilds the encoder.
func (e *Encoder) Spec() map[string]any { return e.spec }

// Layers groups the parameters by transformer block ("blocks.N." in the
// name): group 0 the embeddings, group 1+N block N, the final norm with
// the top block; without blocks, one group.
func (e *Encoder) Layers() [][]nn.NamedParam { return layersByBlock(e.NamedParameters()) }

// String describes the encoder.
func (e *Encoder) String() string { return fmt.Sprintf("Encoder(%s, %v)", e.family, e.Backbone) }

func layersByBlock(ps []nn.NamedParam) [][]nn.NamedParam {
	n := 0
	idx := make([]int, len(ps))
	for i, p := range ps {
		idx[i] = -1
		if _, rest, ok := strings.Cut(p.Name, "blocks."); ok {
			if k, err := strconv.Atoi(strings.SplitN(rest, ".", 2)[0]); err == nil {
				idx[i] = k
				n = max(n, k+1)
			}
		}
	}
	if n == 0 {
		return [][]nn.NamedParam{ps}
	}
	groups := make([][]nn.NamedParam, n+1)
	for i, p := range ps {
		g := 0
		switch {
		case idx[i] >= 0:
			g = 1 + idx[i]
		case strings.Contains(p.Name, "ln_f") || strings.Contains(p.Name, "final"):
			g = n
		}
		groups[g] = append(groups[g], p)
	}
	return groups
}

// bertEncoder adapts a BERT to task.Backbone with its attention mask.
type bertEncoder struct{ *bert.Model }

func (b bertEncoder) Encode(x *data.Batch) *tensor.Tensor {
	return b.Hidden(x.Scope, x.InputIDs, x.AttentionMask, nil, x.Size, x.SeqLen)
}

// t5Encoder is the encoder half of a T5: shared embedding, positions,
// blocks and final norm (the decoder's parameters are not part of it).
type t5Encoder struct {
	*nn.Base
	m *t5.Model
}

func newT5Encoder(m *t5.Model) *t5Encoder {
	e := &t5Encoder{Base: nn.NewBase(), m: m}
	e.AddModule("shared", m.Shared)
	e.AddModule("enc_pos", m.EncPos)
	e.AddModule("drop", m.Drop)
	blocks := nn.NewModuleList()
	for _, b := range m.Encoder {
		blocks.Append(b)
	}
	e.AddModule("blocks", blocks)
	e.AddModule("ln_f", m.EncLN)
	return e
}

func (e *t5Encoder) Encode(b *data.Batch) *tensor.Tensor {
	return e.m.Encode(b.Scope, b.InputIDs, b.AttentionMask, b.Size, b.SeqLen)
}

func (e *t5Encoder) Dim() int { return e.m.Config.Dim }

func (e *t5Encoder) String() string { return fmt.Sprintf("T5Encoder(%v)", e.m.Config) }

// registryObjectives are the objectives whose encoder NewEncoder extracts.
var registryObjectives = []string{"mlm", "electra", "contrastive", "span", "dae", "bilm"}

// NewEncoder rebuilds a registry objective's model from spec (a `pretrain
// train` config.json: model_type, preset, pretrain_options, vocab_size,
// max_position_embeddings, the *_token_id keys), with weights drawn from
// seed, and returns its encoder and the module whose state dict the
// pretraining checkpoint holds.
func NewEncoder(spec map[string]any, seed uint64) (*Encoder, nn.Module, error) {
	mt, _ := spec["model_type"].(string)
	num := func(k string) int {
		if v, ok := spec[k].(float64); ok {
			return int(v)
		}
		if v, ok := spec[k].(int); ok {
			return v
		}
		return 0
	}
	opts := map[string]string{}
	if po, ok := spec["pretrain_options"].(map[string]any); ok {
		for k, v := range po {
			opts[k] = fmt.Sprint(v)
		}
	} else if po, ok := spec["pretrain_options"].(map[string]string); ok {
		for k, v := range po {
			opts[k] = v
		}
	}
	special := map[string]int{}
	for k := range spec {
		if role, ok := strings.CutSuffix(k, "_token_id"); ok {
			special[role] = num(k)
		}
	}
	preset, _ := spec["preset"].(string)
	obj, err := task.NewObjective(mt, task.Config{VocabSize: num("vocab_size"), SeqLen: num("max_position_embeddings"),
		Seed: seed, Model: preset, Options: opts, Special: special, RNG: tensor.NewRNG(seed)})
	if err != nil {
		return nil, nil, err
	}
	keep := map[string]any{}
	for k, v := range spec {
		switch k {
		case "model_type", "preset", "pretrain_options", "vocab_size", "max_position_embeddings":
			keep[k] = v
		default:
			if strings.HasSuffix(k, "_token_id") {
				keep[k] = v
			}
		}
	}
	e := &Encoder{spec: keep}
	switch o := obj.(type) {
	case *lm.MLM:
		e.Backbone, e.family, e.context = bertEncoder{o.Model()}, "bert", o.Model().Config.ContextLen
	case *lm.Contrastive:
		e.Backbone, e.family, e.context = bertEncoder{o.Model()}, "bert", o.Model().Config.ContextLen
	case *lm.ELECTRA:
		d := o.Model().Disc
		e.Backbone, e.family, e.context = bertEncoder{d}, "bert", d.Config.ContextLen
	case *t5.Objective:
		e.Backbone, e.family, e.context = newT5Encoder(o.Model()), "t5-encoder", o.Model().Config.ContextLen
	case *elmo.Objective:
		e.Backbone, e.family = o.Model(), "bilm"
	default:
		bb, ok := obj.Module().(task.Backbone)
		if !ok {
			return nil, nil, fmt.Errorf("objective %q: its model is not an encoder (no Encode and Dim)", mt)
		}
		e.Backbone, e.family = bb, mt
	}
	e.spec["family"] = e.family
	return e, obj.Module(), nil
}

// wordVectors is a word-vector table as a backbone: WordVectors over the
// table with one extra zero row for padding.
type wordVectors struct {
	*heads.WordVectors
}

func (w *wordVectors) Family() string { return "word-vectors" }
func (w *wordVectors) Context() int   { return 0 }
func (w *wordVectors) Layers() [][]nn.NamedParam {
	return [][]nn.NamedParam{w.NamedParameters()}
}
func (w *wordVectors) Spec() map[string]any {
	return map[string]any{"family": "word-vectors", "vocab_size": w.Table.Size(0) - 1, "dim": w.Table.Size(1)}
}

// NewWordVectors makes a trainable backbone of a vector table (row i the
// vector of word i, one zero padding row added) and the word tokenization
// that indexes it.
func NewWordVectors(v *vectors.Vectors) (Backbone, *Tokens) {
	V, D := v.Len(), v.Dim
	table := make([]float32, (V+1)*D)
	copy(table, v.Data[:V*D])
	bb := &wordVectors{heads.NewWordVectors(tensor.FromFloat32s(table, V+1, D), true)}
	return bb, WordTokens(v.Words)
}

// randomLike draws a table of t's shape from a normal distribution of
// t's root mean square (the padding row stays zero).
func randomLike(t *tensor.Tensor, seed uint64) *tensor.Tensor {
	d := t.Data()
	V, D := t.Size(0)-1, t.Size(1)
	var ss float64
	for _, x := range d[:V*D] {
		ss += float64(x) * float64(x)
	}
	rms := float32(math.Sqrt(ss / float64(max(1, V*D))))
	out := make([]float32, len(d))
	rng := tensor.NewRNG(seed)
	for i := range out[:V*D] {
		out[i] = rng.NormFloat32() * rms
	}
	return tensor.FromFloat32s(out, V+1, D)
}

// WordTokens is the word tokenization of a vector vocabulary: words are
// split on white space and normalised as word2vec's corpus reader does
// (tokenizer.NormalizeWord); unknown words are skipped; the padding id is
// len(words), a zero row.
func WordTokens(words []string) *Tokens {
	index := make(map[string]int, len(words))
	for i, w := range words {
		if _, dup := index[w]; !dup {
			index[w] = i
		}
	}
	return &Tokens{Kind: "words", Vocab: len(words) + 1, Pad: len(words), words: words, index: index}
}

// WordsFile holds a word-vector model's vocabulary, one word per line in
// row order.
const WordsFile = "vocab.txt"

func loadWordTokens(dir string) (*Tokens, error) {
	b, err := os.ReadFile(filepath.Join(dir, WordsFile))
	if err != nil {
		return nil, fmt.Errorf("%s: word tokenization needs %s: %w", dir, WordsFile, err)
	}
	words := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	return WordTokens(words), nil
}

func encodeWords(t *Tokens, text string) []int {
	var ids []int
	for _, f := range strings.Fields(text) {
		if w := tokenizer.NormalizeWord(f); w != "" {
			if id, ok := t.index[w]; ok {
				ids = append(ids, id)
			}
		}
	}
	return ids
}

// vectorFiles are the names a word-vector directory may hold its table
// under: `pretrain train --objective word2vec/glove` writes vectors.bin,
// `pretrain transfer --backbone word2vec` vectors.txt.
var vectorFiles = []string{"vectors.bin", "vectors.txt", "vectors.glove.txt"}

// loadVectorBackbone reads a vector file, or a directory holding one.
func loadVectorBackbone(path string) (*Pretrained, error) {
	file := path
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		file = ""
		for _, n := range vectorFiles {
			if _, err := os.Stat(filepath.Join(path, n)); err == nil {
				file = filepath.Join(path, n)
				break
			}
		}
		if file == "" {
			return nil, &ArchError{path, "word-vector directory without " + strings.Join(vectorFiles, ", ")}
		}
	}
	v, err := vectors.Load(file)
	if err != nil {
		return nil, err
	}
	bb, tokens := NewWordVectors(v)
	return &Pretrained{Dir: path, Backbone: bb, Tokens: tokens, Config: map[string]any{"model_type": "word-vectors"}}, nil
}

// loadEncoder loads the encoder of a `pretrain train` checkpoint of a
// registry objective other than clm.
func loadEncoder(dir string, cfg map[string]any) (*Pretrained, error) {
	tokens, err := loadTokens(dir, cfg)
	if err != nil {
		return nil, err
	}
	enc, module, err := NewEncoder(cfg, 1)
	if err != nil {
		return nil, &ArchError{dir, err.Error()}
	}
	path := filepath.Join(dir, checkpoint.ModelFile)
	sd, _, err := checkpoint.Load(path)
	if err != nil {
		return nil, err
	}
	if err := module.LoadStateDict(sd); err != nil {
		return nil, &ArchError{path, err.Error()}
	}
	if v, ok := cfg["vocab_size"].(float64); ok && int(v) < tokens.Vocab {
		return nil, &ArchError{dir, fmt.Sprintf("the model has %d token ids but the tokenizer %d", int(v), tokens.Vocab)}
	}
	return &Pretrained{Dir: dir, Backbone: enc, Tokens: tokens, Config: cfg}, nil
}

// rebuild makes a backbone of the architecture a saved spec describes,
// with fresh weights (the caller loads the saved ones).
func rebuild(dir string, spec map[string]any) (Backbone, error) {
	switch fam, _ := spec["family"].(string); fam {
	case "word-vectors":
		v, _ := spec["vocab_size"].(float64)
		d, _ := spec["dim"].(float64)
		if v <= 0 || d <= 0 {
			return nil, &ArchError{dir, "word-vectors backbone without vocab_size and dim"}
		}
		return &wordVectors{heads.NewWordVectors(tensor.Zeros(int(v)+1, int(d)), true)}, nil
	case "gpt", "":
		return nil, nil // the GPT path
	default:
		enc, err := encoderFromSpec(spec, 1)
		if err != nil {
			return nil, &ArchError{dir, err.Error()}
		}
		return enc, nil
	}
}

// knownTypes lists what LoadPretrained reads, for its error message.
func knownTypes() string {
	names := append([]string{"clm", "gpt", ModelType, "word2vec", "glove"}, registryObjectives...)
	sort.Strings(names)
	return strings.Join(names, ", ")
}
