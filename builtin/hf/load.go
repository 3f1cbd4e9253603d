package hf

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/pretrain-go/pretrain/builtin/bert"
	"github.com/pretrain-go/pretrain/builtin/gpt"
	"github.com/pretrain-go/pretrain/sdk/checkpoint"
	"github.com/pretrain-go/pretrain/sdk/nn"
	"github.com/pretrain-go/pretrain/sdk/tensor"
	"github.com/pretrain-go/pretrain/sdk/tokenizer"
)

// File names of a Hugging Face model directory.
const (
	ConfigFile          = "config.json"
	WeightsFile         = "model.safetensors"
	WeightsIndexFile    = "model.safetensors.index.json"
	TokenizerFile       = "tokenizer.json"
	TokenizerConfigFile = "tokenizer_config.json"
	VocabJSONFile       = "vocab.json"
	MergesFile          = "merges.txt"
	VocabTxtFile        = "vocab.txt"
)

// Error is a problem with one file of a model directory, and with one
// tensor of it when Tensor is set. Its message is one line.
type Error struct {
	File   string // the file's path
	Tensor string // the tensor concerned, or ""
	Msg    string
}

// Error formats the problem as "FILE: tensor NAME: MSG".
func (e *Error) Error() string {
	if e.Tensor != "" {
		return fmt.Sprintf("%s: tensor %s: %s", e.File, e.Tensor, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

// Model is a Hugging Face GPT-2 or BERT model in SDK form: the backbone,
// the task head that the architecture has beyond the backbone's own
// (BertForSequenceClassification's classifier), the tokenizer and what was
// read. Exactly one of GPT and BERT is set.
type Model struct {
	ModelType    string // "gpt2" or "bert"
	Architecture string // e.g. "GPT2LMHeadModel", "BertForMaskedLM"

	GPT  *gpt.Model  // GPT2LMHeadModel / GPT2Model
	BERT *bert.Model // BertModel / BertForMaskedLM / BertForSequenceClassification

	// Classifier is BertForSequenceClassification's "classifier" over the
	// pooled output [len(Labels), Dim]; nil for the other architectures.
	Classifier *nn.Linear
	Labels     []string // id2label in id order, with Classifier

	Tokenizer tokenizer.Tokenizer // nil when the directory has none
	// Special maps roles ("bos", "eos", "pad", "cls", "sep", "mask", "unk")
	// to token ids, from tokenizer_config.json and config.json.
	Special map[string]int
	// MaxLength is tokenizer_config.json's model_max_length (0 if absent).
	MaxLength int

	// Notes lists what Load skipped on purpose: buffers such as
	// position_ids (I64) and attention masks, and tied aliases.
	Notes []string
	Dir   string // the directory read, empty for a model built in memory
}

// String summarises the model.
func (m *Model) String() string {
	var b string
	switch {
	case m.GPT != nil:
		b = m.GPT.String()
	case m.BERT != nil:
		b = m.BERT.String()
	}
	tok := "none"
	if m.Tokenizer != nil {
		tok = m.Tokenizer.String()
	}
	return fmt.Sprintf("hf.Model(%s, %s, tokenizer=%s)", m.Architecture, b, tok)
}

// Module returns the backbone as an nn.Module (for parameter counts, bf16
// compute and state dicts).
func (m *Model) Module() nn.Module {
	if m.GPT != nil {
		return m.GPT
	}
	return m.BERT
}

// IsDir reports whether dir looks like a Hugging Face model directory: a
// config.json whose model_type is one this package reads and weights in
// model.safetensors or a sharded index. It does not validate them; Load does.
func IsDir(dir string) bool {
	raw, err := os.ReadFile(filepath.Join(dir, ConfigFile))
	if err != nil {
		return false
	}
	var c struct {
		ModelType string `json:"model_type"`
	}
	if json.Unmarshal(raw, &c) != nil {
		return false
	}
	if _, ok := architectures[c.ModelType]; !ok {
		return false
	}
	for _, f := range []string{WeightsFile, WeightsIndexFile} {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			return true
		}
	}
	return false
}

// Load reads a Hugging Face GPT-2 (GPT2LMHeadModel, GPT2Model) or BERT
// (BertForMaskedLM, BertModel, BertForSequenceClassification) directory
// written by save_pretrained: config.json, model.safetensors or the shards
// of model.safetensors.index.json (F32, F16 or BF16 tensors; integer
// buffers such as position_ids are skipped with a note), and the tokenizer
// when there is one (tokenizer.json, else vocab.json + merges.txt or
// vocab.txt, with tokenizer_config.json). It returns an *Error naming the
// file (and the tensor) for an unknown model_type, architecture or
// activation, a config value the SDK does not implement, a missing or
// unexpected tensor, a wrong shape or a malformed file.
func Load(dir string) (*Model, error) {
	cfgPath := filepath.Join(dir, ConfigFile)
	raw, err := os.ReadFile(cfgPath)
	if err != nil {
		return nil, &Error{File: cfgPath, Msg: fsMsg(err)}
	}
	c, err := parseConfig(cfgPath, raw)
	if err != nil {
		return nil, err
	}
	mt, arch, err := c.architecture()
	if err != nil {
		return nil, err
	}
	m := &Model{ModelType: mt, Architecture: arch, Dir: dir, Special: map[string]int{}}
	var sdkCfg any
	switch mt {
	case "gpt2":
		g, err := c.gpt2Config()
		if err != nil {
			return nil, err
		}
		sdkCfg = g
	case "bert":
		b, err := c.bertConfig(arch)
		if err != nil {
			return nil, err
		}
		sdkCfg = b
		if arch == "BertForSequenceClassification" {
			if m.Labels, err = c.labels(); err != nil {
				return nil, err
			}
		}
	}
	w, err := openWeights(dir)
	if err != nil {
		return nil, err
	}
	defer w.close()
	prefix, base := prefixOf(arch)
	names := canonical(w.names(), base, prefix != "")
	var maps []mapping
	switch cfg := sdkCfg.(type) {
	case gpt.Config:
		maps = gpt2Mappings(prefix, cfg.Layers, !cfg.TiedEmbeddings)
		if m.GPT, err = gpt.New(cfg, tensor.NewRNG(0)); err != nil {
			return nil, &Error{File: cfgPath, Msg: err.Error()}
		}
	case bert.Config:
		if arch == "BertForMaskedLM" {
			// Some BertForMaskedLM files keep the pooler of the model they
			// came from (from_pretrained ignores it); keep it too.
			if _, ok := names[prefix+"pooler.dense.weight"]; ok {
				cfg.Pooler = true
			}
		}
		maps = bertMappings(prefix, cfg.Layers, cfg.Pooler, cfg.MLMHead, arch == "BertForSequenceClassification")
		if m.BERT, err = bert.New(cfg, tensor.NewRNG(0)); err != nil {
			return nil, &Error{File: cfgPath, Msg: err.Error()}
		}
		if arch == "BertForSequenceClassification" {
			m.Classifier = nn.NewLinear(cfg.Dim, len(m.Labels), true, tensor.NewRNG(0))
		}
	}
	want := m.stateDict()
	sd := make(map[string]*tensor.Tensor, len(want))
	used := map[string]bool{}
	for _, mp := range maps {
		shape := want[mp.sdk].Shape()
		parts := make([]*tensor.Tensor, len(mp.hf))
		for i, h := range mp.hf {
			fileName, ok := names[h]
			if !ok {
				return nil, &Error{File: w.fileOf(""), Tensor: h, Msg: fmt.Sprintf("missing (%s per %s)", describe(arch, layersOf(sdkCfg)), ConfigFile)}
			}
			used[fileName] = true
			hs := hfShape(shape, len(mp.hf), mp.conv)
			t, err := w.tensor(fileName, hs)
			if err != nil {
				return nil, err
			}
			parts[i] = t
		}
		sd[mp.sdk] = toSDK(parts, mp.conv)
	}
	for _, n := range w.names() {
		if used[n] {
			continue
		}
		info := w.info(n)
		switch {
		case !checkpoint.IsFloat(info.DType):
			m.Notes = append(m.Notes, fmt.Sprintf("%s: skipped %s buffer %s%v", w.fileOf(n), info.DType, n, info.Shape))
		case ignorable.MatchString(n):
			m.Notes = append(m.Notes, fmt.Sprintf("%s: skipped %s (a buffer or a tied alias)", w.fileOf(n), n))
		default:
			return nil, &Error{File: w.fileOf(n), Tensor: n, Msg: fmt.Sprintf("unexpected: not a parameter of %s", describe(arch, layersOf(sdkCfg)))}
		}
	}
	if err := m.loadStateDict(sd); err != nil {
		return nil, &Error{File: w.fileOf(""), Msg: err.Error()}
	}
	if err := m.readTokenizer(dir, c); err != nil {
		return nil, err
	}
	return m, nil
}

func layersOf(cfg any) int {
	switch c := cfg.(type) {
	case gpt.Config:
		return c.Layers
	case bert.Config:
		return c.Layers
	}
	return 0
}

// stateDict is the SDK state of the model with the classifier under
// "classifier.".
func (m *Model) stateDict() map[string]*tensor.Tensor {
	sd := m.Module().StateDict()
	if m.Classifier != nil {
		for k, v := range m.Classifier.StateDict() {
			sd["classifier."+k] = v
		}
	}
	return sd
}

func (m *Model) loadStateDict(sd map[string]*tensor.Tensor) error {
	cls := map[string]*tensor.Tensor{}
	for k, v := range sd {
		if strings.HasPrefix(k, "classifier.") {
			cls[strings.TrimPrefix(k, "classifier.")] = v
			delete(sd, k)
		}
	}
	if err := m.Module().LoadStateDict(sd); err != nil {
		return err
	}
	if m.Classifier != nil {
		return m.Classifier.LoadStateDict(cls)
	}
	return nil
}

// hfShape is the shape an HF tensor must have for an SDK parameter of shape
// s: transposed for Conv1D, a third of the rows for each of q, k and v.
func hfShape(s []int, parts int, conv bool) []int {
	out := append([]int(nil), s...)
	if parts > 1 {
		out[0] /= parts
	}
	if conv {
		out[0], out[1] = out[1], out[0]
	}
	return out
}

// toSDK converts HF tensors to one SDK parameter: transposes a Conv1D
// weight, stacks q, k and v.
func toSDK(parts []*tensor.Tensor, conv bool) *tensor.Tensor {
	if conv {
		return transpose2D(parts[0])
	}
	if len(parts) == 1 {
		return parts[0]
	}
	var data []float32
	rows := 0
	for _, p := range parts {
		data = append(data, p.Float32s()...)
		rows += p.Size(0)
	}
	shape := append([]int{rows}, parts[0].Shape()[1:]...)
	return tensor.FromFloat32s(data, shape...)
}

// transpose2D returns the transpose of a matrix as a new F32 tensor.
func transpose2D(t *tensor.Tensor) *tensor.Tensor {
	r, c := t.Size(0), t.Size(1)
	src := t.Float32s()
	dst := make([]float32, len(src))
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			dst[j*r+i] = src[i*c+j]
		}
	}
	return tensor.FromFloat32s(dst, c, r)
}

// weights is the set of safetensors files of a model.
type weights struct {
	files map[string]*checkpoint.File // by path
	where map[string]string           // tensor → path
	all   []string
}

func fsMsg(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// openWeights opens model.safetensors, or every shard named by
// model.safetensors.index.json, checking that each tensor the index lists
// is in its shard.
func openWeights(dir string) (*weights, error) {
	w := &weights{files: map[string]*checkpoint.File{}, where: map[string]string{}}
	idxPath := filepath.Join(dir, WeightsIndexFile)
	raw, err := os.ReadFile(idxPath)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		p := filepath.Join(dir, WeightsFile)
		f, err := checkpoint.Open(p)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil, &Error{File: p, Msg: "missing (and no " + WeightsIndexFile + ")"}
			}
			return nil, wrapFileErr(p, err)
		}
		w.files[p] = f
		for _, n := range f.Names() {
			w.where[n] = p
		}
	case err != nil:
		return nil, &Error{File: idxPath, Msg: fsMsg(err)}
	default:
		var idx struct {
			WeightMap map[string]string `json:"weight_map"`
		}
		if err := json.Unmarshal(raw, &idx); err != nil || len(idx.WeightMap) == 0 {
			msg := "no weight_map"
			if err != nil {
				msg = err.Error()
			}
			return nil, &Error{File: idxPath, Msg: msg}
		}
		for name, shard := range idx.WeightMap {
			if shard != filepath.Base(shard) || shard == "" {
				w.close()
				return nil, &Error{File: idxPath, Tensor: name, Msg: fmt.Sprintf("shard %q is not a file name in the directory", shard)}
			}
			p := filepath.Join(dir, shard)
			f, ok := w.files[p]
			if !ok {
				f, err = checkpoint.Open(p)
				if err != nil {
					w.close()
					if errors.Is(err, fs.ErrNotExist) {
						return nil, &Error{File: p, Msg: "missing (listed in " + WeightsIndexFile + ")"}
					}
					return nil, wrapFileErr(p, err)
				}
				w.files[p] = f
			}
			if _, ok := f.Info(name); !ok {
				w.close()
				return nil, &Error{File: p, Tensor: name, Msg: "missing (" + WeightsIndexFile + " places it in this shard)"}
			}
			w.where[name] = p
		}
		for p, f := range w.files {
			for _, n := range f.Names() {
				if _, ok := idx.WeightMap[n]; !ok {
					w.close()
					return nil, &Error{File: p, Tensor: n, Msg: "not listed in " + WeightsIndexFile}
				}
			}
		}
	}
	for n := range w.where {
		w.all = append(w.all, n)
	}
	sort.Strings(w.all)
	return w, nil
}

// wrapFileErr turns a safetensors parse error into one line naming the file.
func wrapFileErr(path string, err error) error {
	var fe *checkpoint.FormatError
	if errors.As(err, &fe) {
		return &Error{File: path, Msg: strings.TrimPrefix(fe.Error(), fe.File+": ")}
	}
	return &Error{File: path, Msg: fsMsg(err)}
}

func (w *weights) names() []string { return w.all }

func (w *weights) info(name string) checkpoint.TensorInfo {
	i, _ := w.files[w.where[name]].Info(name)
	return i
}

// fileOf names the file holding a tensor, or the weights file (or index)
// in general when name is "" or unknown.
func (w *weights) fileOf(name string) string {
	if p, ok := w.where[name]; ok {
		return p
	}
	if len(w.files) == 1 {
		for p := range w.files {
			return p
		}
	}
	for p := range w.files {
		return filepath.Join(filepath.Dir(p), WeightsIndexFile)
	}
	return WeightsFile
}

// tensor reads a float tensor of the given shape as F32.
func (w *weights) tensor(name string, shape []int) (*tensor.Tensor, error) {
	p := w.where[name]
	info := w.info(name)
	if !checkpoint.IsFloat(info.DType) {
		return nil, &Error{File: p, Tensor: name, Msg: fmt.Sprintf("dtype %s: a parameter must be F32, F16 or BF16", info.DType)}
	}
	if !slices.Equal(info.Shape, shape) {
		return nil, &Error{File: p, Tensor: name, Msg: fmt.Sprintf("shape %v, config.json implies %v", info.Shape, shape)}
	}
	t, err := w.files[p].Tensor(name)
	if err != nil {
		return nil, &Error{File: p, Tensor: name, Msg: fsMsg(err)}
	}
	if t.DType() != tensor.F32 {
		t = t.To(tensor.F32)
	}
	return t, nil
}

func (w *weights) close() {
	for _, f := range w.files {
		f.Close()
	}
}
