package finetune

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/pretrain-go/pretrain/builtin/heads"
	"github.com/pretrain-go/pretrain/sdk/checkpoint"
	"github.com/pretrain-go/pretrain/sdk/data"
	"github.com/pretrain-go/pretrain/sdk/nn"
	"github.com/pretrain-go/pretrain/sdk/task"
	"github.com/pretrain-go/pretrain/sdk/tensor"
)

// ModelType is config.json's model_type for a fine-tuned model.
const ModelType = "finetune"

// LabelsFile holds a fine-tuned model's label names (a JSON array in id
// order), beside config.json.
const LabelsFile = "labels.json"

// Model is a backbone with a task head, the tokenization and the label
// names: everything needed to classify raw text.
type Model struct {
	Backbone Backbone
	Head     task.Head
	HeadName string            // registry name, e.g. "classify"
	HeadOpts map[string]string // the head's options (pooling, dropout)
	Labels   *data.LabelMap
	Tokens   *Tokens
	// SeqLen is the window length in tokens. A text longer than SeqLen
	// is covered by windows of SeqLen tokens that start Stride tokens
	// apart (the last one ends at the text's end), and the head's logits
	// are averaged over a text's windows: the whole document is read,
	// never only its beginning.
	SeqLen int
	Stride int // window step; SeqLen when 0 (windows that do not overlap)
	// MaxWindows, when positive, caps the windows per text: a longer text
	// is read through MaxWindows windows spread evenly over it (Windows
	// reports how many a text needs). 0 reads every window.
	MaxWindows int
}

// SeqLenError reports a window length the backbone cannot take.
type SeqLenError struct {
	SeqLen, Context int
}

func (e *SeqLenError) Error() string {
	return fmt.Sprintf("finetune: --seq-len %d exceeds the backbone's context of %d tokens (long texts are read in windows of at most %d; use --seq-len %d or less)", e.SeqLen, e.Context, e.Context, e.Context)
}

// NewModel puts a registered head over a backbone for the given labels.
//
// seqLen is the window length: 0 takes the backbone's context (for a
// backbone without a limit, such as word vectors or the bilm, a text is
// then one window however long); more than the context is a
// *SeqLenError.
func NewModel(bb Backbone, tokens *Tokens, headName string, opts map[string]string, labels *data.LabelMap, seqLen int, seed uint64) (*Model, error) {
	if c := bb.Context(); c > 0 && seqLen > c {
		return nil, &SeqLenError{seqLen, c}
	}
	if seqLen <= 0 {
		seqLen = bb.Context()
	}
	if opts == nil {
		opts = map[string]string{}
	}
	h, err := task.NewHead(headName, bb, task.Config{VocabSize: tokens.Vocab, SeqLen: seqLen, Seed: seed,
		Labels: labels.Len(), Options: opts, Special: map[string]int{"pad": tokens.Pad}})
	if err != nil {
		return nil, err
	}
	return &Model{Backbone: bb, Head: h, HeadName: headName, HeadOpts: opts, Labels: labels, Tokens: tokens, SeqLen: seqLen}, nil
}

// Module returns backbone and head as one module: "backbone.*", "head.*".
func (m *Model) Module() nn.Module {
	b := nn.NewBase()
	b.AddModule("backbone", m.Backbone)
	b.AddModule("head", m.Head.Module())
	return b
}

// Train switches dropout on or off in backbone and head.
func (m *Model) Train(on bool) {
	m.Backbone.Train(on)
	m.Head.Module().Train(on)
}

// Batch encodes texts into a padded batch of one row per window (see
// SeqLen); labels, when given, become RowLabels (one per text). Windows
// returns, for each text, its rows.
func (m *Model) Batch(texts []string, labels []int) (*data.Batch, [][]int) {
	docs := make([][][]int, len(texts))
	for i, t := range texts {
		docs[i] = m.encode(t)
	}
	return m.batchOf(docs, labels)
}

// Windows returns the number of SeqLen-token windows text needs (before
// any MaxWindows cap).
func (m *Model) Windows(text string) int {
	if m.SeqLen <= 0 {
		return 1
	}
	return len(windows(m.Tokens.Encode(text), m.SeqLen, m.stride(), 0))
}

func (m *Model) stride() int {
	if m.SeqLen <= 0 {
		return 0
	}
	if m.Stride <= 0 || m.Stride > m.SeqLen {
		return m.SeqLen
	}
	return m.Stride
}

// encode returns the windows of text's ids.
func (m *Model) encode(text string) [][]int {
	ids := m.Tokens.Encode(text)
	if len(ids) == 0 {
		ids = []int{m.Tokens.Pad}
	}
	return windows(ids, m.SeqLen, m.stride(), m.MaxWindows)
}

// windows cuts ids into windows of n tokens starting stride apart, the
// last one ending at the end of ids; with max > 0 and more windows than
// that, max of them spread evenly (first and last included).
func windows(ids []int, n, stride, max int) [][]int {
	if n <= 0 || len(ids) <= n {
		return [][]int{ids}
	}
	var starts []int
	for s := 0; ; s += stride {
		if s+n >= len(ids) {
			starts = append(starts, len(ids)-n)
			break
		}
		starts = append(starts, s)
	}
	if max > 0 && len(starts) > max {
		picked := make([]int, max)
		for i := range picked {
			if max == 1 {
				picked[i] = starts[0]
				continue
			}
			picked[i] = starts[i*(len(starts)-1)/(max-1)]
		}
		starts = picked
	}
	out := make([][]int, len(starts))
	for i, s := range starts {
		out[i] = ids[s : s+n]
	}
	return out
}

// batchOf pads the windows of docs into one batch; rows[i] lists doc i's
// rows.
func (m *Model) batchOf(docs [][][]int, labels []int) (*data.Batch, [][]int) {
	var seqs [][]int
	rows := make([][]int, len(docs))
	for i, d := range docs {
		for _, w := range d {
			rows[i] = append(rows[i], len(seqs))
			seqs = append(seqs, w)
		}
	}
	b := data.PadBatch(seqs, 0, m.Tokens.Pad)
	if len(seqs) == len(docs) {
		b.RowLabels = labels
	}
	return b, rows
}

// docLogits runs the head on a batch of windows and averages the logits
// over each document's windows: [len(rows), classes]. A batch of one
// window per document is the head's output as is.
func (m *Model) docLogits(b *data.Batch, rows [][]int) *tensor.Tensor {
	logits := m.Head.Predict(b)
	if b.Size == len(rows) {
		return logits
	}
	avg := make([]float32, len(rows)*b.Size)
	for i, rs := range rows {
		for _, r := range rs {
			avg[i*b.Size+r] = 1 / float32(len(rs))
		}
	}
	return b.Scope.Use(tensor.FromFloat32s(avg, len(rows), b.Size)).MatMul(logits)
}

// loss is the head's loss of a batch of documents: Head.Loss when every
// document is one window, else the cross-entropy of the window-averaged
// logits.
func (m *Model) loss(b *data.Batch, rows [][]int, labels []int) *tensor.Tensor {
	if b.Size == len(rows) {
		return m.Head.Loss(b)
	}
	return tensor.CrossEntropy(m.docLogits(b, rows), labels)
}

// Logits returns the head's outputs for texts (averaged over each text's
// windows), with dropout off and no gradient recorded, as one row of
// floats per text. On a model already in evaluation mode that nothing
// updates, it changes no state, so any number of goroutines may call it
// (and Predict) at once.
func (m *Model) Logits(texts []string) [][]float32 {
	if m.Backbone.Training() || m.Head.Module().Training() {
		m.Train(false)
	}
	var out [][]float32
	noGrad := tensor.NewScope().NoGrad()
	for start := 0; start < len(texts); start += 32 {
		end := min(start+32, len(texts))
		b, rows := m.Batch(texts[start:end], nil)
		b.Scope = noGrad
		d := m.docLogits(b, rows).Float32s()
		w := len(d) / (end - start)
		for r := 0; r < end-start; r++ {
			out = append(out, d[r*w:(r+1)*w])
		}
	}
	return out
}

// Prediction is one classified text.
type Prediction struct {
	Label string    // the most likely label
	ID    int       // its id
	Probs []float32 // softmax over the labels, in id order
}

// String shows the label and its probability.
func (p Prediction) String() string {
	if p.ID < 0 || p.ID >= len(p.Probs) {
		return p.Label
	}
	return fmt.Sprintf("%s (%.3f)", p.Label, p.Probs[p.ID])
}

// Predict classifies texts.
func (m *Model) Predict(texts []string) []Prediction {
	logits := m.Logits(texts)
	out := make([]Prediction, len(logits))
	for i, l := range logits {
		probs := softmax(l)
		best := 0
		for j, p := range probs {
			if p > probs[best] {
				best = j
			}
		}
		out[i] = Prediction{Label: m.Labels.Name(best), ID: best, Probs: probs}
	}
	return out
}

func softmax(l []float32) []float32 {
	p := make([]float32, len(l))
	mx := l[0]
	for _, v := range l {
		mx = max(mx, v)
	}
	var s float64
	for i, v := range l {
		e := exp32(v - mx)
		p[i] = e
		s += float64(e)
	}
	for i := range p {
		p[i] = float32(float64(p[i]) / s)
	}
	return p
}

// String describes the model.
func (m *Model) String() string {
	return fmt.Sprintf("finetune.Model(%v, head=%s, %d labels, %s, %v)", m.Backbone, m.HeadName, m.Labels.Len(), m.WindowString(), m.Tokens)
}

// WindowString says how texts are read, e.g. "windows of 64 tokens,
// stride 64, logits averaged over all windows".
func (m *Model) WindowString() string {
	if m.SeqLen <= 0 {
		return "whole texts, one row each (the backbone has no context limit)"
	}
	cap := "all windows"
	if m.MaxWindows > 0 {
		cap = fmt.Sprintf("at most %d windows spread over the text", m.MaxWindows)
	}
	return fmt.Sprintf("windows of %d tokens, stride %d, logits averaged over %s", m.SeqLen, m.stride(), cap)
}

// Save writes the model into dir: model.safetensors ("backbone.*" and
// "head.*"), config.json, labels.json and, for subword models,
// tokenizer.json. LoRA adapters are merged first. The directory is built
// under a temporary name and renamed into place, so a failure leaves
// nothing behind and a reader never sees half a model.
func (m *Model) Save(dir string) error { return m.SaveAs(dir, tensor.F32) }

// SaveAs is Save with the weights stored as dtype (BF16 halves the file;
// Load reads either).
func (m *Model) SaveAs(dir string, dtype tensor.DType) error {
	if g, ok := m.Backbone.(*GPT); ok && g.LoRA != nil {
		g.LoRA.Merge()
	}
	return writeDirAtomic(dir, func(tmp string) error {
		tok, err := m.Tokens.save(tmp)
		if err != nil {
			return err
		}
		sd := m.Module().StateDict()
		for k, v := range sd {
			if v.DType() != dtype {
				sd[k] = v.To(dtype)
			}
		}
		if err := checkpoint.Save(filepath.Join(tmp, checkpoint.ModelFile), sd, map[string]string{"format": "pt"}); err != nil {
			return err
		}
		if err := m.Labels.WriteFile(filepath.Join(tmp, LabelsFile)); err != nil {
			return err
		}
		cfg := map[string]any{"model_type": ModelType, "backbone": m.Backbone.Spec(), "head": m.HeadName,
			"head_options": m.HeadOpts, "labels": m.Labels.Names(), "num_labels": m.Labels.Len(), "seq_len": m.SeqLen,
			"window_stride": m.stride(), "max_windows": m.MaxWindows, "window_pooling": "mean-logits",
			"tokenizer": tok, "pad_token_id": m.Tokens.Pad}
		return checkpoint.WriteJSON(filepath.Join(tmp, checkpoint.ConfigFile), cfg)
	})
}

// writeDirAtomic fills a temporary sibling of dir with fill and renames it
// to dir, replacing an earlier directory of that name.
func writeDirAtomic(dir string, fill func(tmp string) error) (err error) {
	parent := filepath.Dir(filepath.Clean(dir))
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return err
	}
	if st, err := os.Stat(dir); err == nil && !st.IsDir() {
		return fmt.Errorf("%s exists and is not a directory", dir)
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(dir)+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
		}
	}()
	if err := fill(tmp); err != nil {
		return err
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	old := ""
	if _, err := os.Stat(dir); err == nil {
		old = tmp + "-old"
		if err := os.Rename(dir, old); err != nil {
			return err
		}
	}
	if err := os.Rename(tmp, dir); err != nil {
		return err
	}
	if old != "" {
		os.RemoveAll(old)
	}
	return checkpoint.SyncDir(parent)
}

// Load reads a model written by Save. A directory holding another kind of
// checkpoint is an *ArchError.
func Load(dir string) (*Model, error) {
	cfg, err := readConfig(dir)
	if err != nil {
		return nil, err
	}
	if mt, _ := cfg["model_type"].(string); mt != ModelType {
		return nil, &ArchError{dir, fmt.Sprintf("holds a %q checkpoint, not a fine-tuned model (make one with `pretrain finetune`)", mt)}
	}
	pre, err := LoadPretrained(dir)
	if err != nil {
		return nil, err
	}
	labels, err := data.ReadLabelMap(filepath.Join(dir, LabelsFile))
	if err != nil {
		return nil, err
	}
	labels.Freeze()
	headName, _ := cfg["head"].(string)
	opts := map[string]string{}
	if ho, ok := cfg["head_options"].(map[string]any); ok {
		for k, v := range ho {
			opts[k] = fmt.Sprint(v)
		}
	}
	seqLen := 0
	if v, ok := cfg["seq_len"].(float64); ok {
		seqLen = int(v)
	}
	m, err := NewModel(pre.Backbone, pre.Tokens, headName, opts, labels, seqLen, 0)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	if v, ok := cfg["window_stride"].(float64); ok {
		m.Stride = int(v)
	}
	if v, ok := cfg["max_windows"].(float64); ok {
		m.MaxWindows = int(v)
	}
	all, _, err := checkpoint.Load(filepath.Join(dir, checkpoint.ModelFile))
	if err != nil {
		return nil, err
	}
	hsd := map[string]*tensor.Tensor{}
	for k, v := range all {
		if name, ok := strings.CutPrefix(k, "head."); ok {
			hsd[name] = v
		}
	}
	if err := m.Head.Module().LoadStateDict(hsd); err != nil {
		return nil, &ArchError{dir, "head: " + err.Error()}
	}
	return m, nil
}

// Describe writes a short summary of a model (for `pretrain predict -v`).
func (m *Model) Describe(w io.Writer) {
	names := m.Labels.Names()
	sort.Strings(names)
	fmt.Fprintf(w, "%v\nlabels: %s\n", m, strings.Join(names, ", "))
}

var _ = heads.ParsePooling // the built-in heads register in init

// Snippet shortens text to at most n runes with an ellipsis.
func Snippet(text string, n int) string {
	r := []rune(text)
	if len(r) <= n {
		return text
	}
	return string(r[:n-1]) + "…"
}
