package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	clipobj "github.com/pretrain-go/pretrain/builtin/clip"
	"github.com/pretrain-go/pretrain/builtin/corpus"
	_ "github.com/pretrain-go/pretrain/builtin/elmo" // registers bilm
	"github.com/pretrain-go/pretrain/builtin/glove"
	"github.com/pretrain-go/pretrain/builtin/lm" // registers clm, mlm, electra, contrastive
	"github.com/pretrain-go/pretrain/builtin/presets"
	_ "github.com/pretrain-go/pretrain/builtin/t5" // registers span, dae
	"github.com/pretrain-go/pretrain/builtin/vectors"
	"github.com/pretrain-go/pretrain/builtin/word2vec"
	"github.com/pretrain-go/pretrain/kernels"
	"github.com/pretrain-go/pretrain/sdk/checkpoint"
	"github.com/pretrain-go/pretrain/sdk/data"
	"github.com/pretrain-go/pretrain/sdk/optim"
	"github.com/pretrain-go/pretrain/sdk/task"
	"github.com/pretrain-go/pretrain/sdk/tensor"
	"github.com/pretrain-go/pretrain/sdk/tokenizer"
	"github.com/pretrain-go/pretrain/sdk/train"
)

func init() {
	register(&command{
		Name:    "train",
		Summary: "pretrain a model (no flags: skip-gram word vectors on the embedded Austen corpus)",
		Run:     runTrain,
	})
}

const trainSynopsis = `[flags]

With no flags, trains skip-gram word vectors on the embedded Jane Austen
corpus and prints the nearest neighbours of a few words.

Objectives: skipgram, cbow, glove (word vectors), and every objective of the
task registry (transformer and LSTM objectives: ` + "`pretrain train --objective list`" + `).
Objective settings go in --opt key=value (word vectors: dim, window, negative,
hs, sample, min-count, alpha, max-vocab, normalize; registry objectives:
seq-len, batch, lr, accum, clip, and the objective's own options).`

// listFlag collects a repeated string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(s string) error { *l = append(*l, s); return nil }

// trainArgs holds the parsed flags of `pretrain train`.
type trainArgs struct {
	objective, model, out string
	data, plugins, opts   listFlag
	allow                 listFlag
	evalData              listFlag
	evalEvery             int
	tokenizer             string
	bf16                  bool // mixed-precision training
	saveDType             string
	formats               listFlag
	steps, epochs         int
	resume                bool
	threads               int
	seed                  uint64
	saveEvery, logEvery   int
	options               map[string]string
	dist                  distArgs // mpirun: data-parallel processes (dist.go)
}

func runTrain(ctx context.Context, args []string, stdout, stderr io.Writer) (err error) {
	var a trainArgs
	fs := newFlagSet("train", trainSynopsis, stderr)
	fs.StringVar(&a.objective, "objective", "skipgram", "objective: skipgram, cbow, glove, or a registered one (list: --objective list)")
	fs.StringVar(&a.model, "model", "", "model preset name or config.json path (word vectors: small, base, large)")
	fs.Var(&a.data, "data", "training text: file, folder or glob, .gz allowed (repeatable; default: the embedded Austen corpus)")
	fs.IntVar(&a.steps, "steps", 0, "optimizer steps (registry objectives)")
	fs.IntVar(&a.epochs, "epochs", 0, "passes over the data (word vectors default 5)")
	fs.StringVar(&a.out, "out", "", "output directory (default runs/OBJECTIVE)")
	fs.BoolVar(&a.resume, "resume", false, "continue from the newest checkpoint in --out")
	fs.IntVar(&a.threads, "threads", 0, "worker threads (0: all cores)")
	fs.Uint64Var(&a.seed, "seed", 1, "random seed")
	fs.Var(&a.plugins, "plugin", "plugin folder to load objectives from (repeatable)")
	fs.Var(&a.allow, "allow", "permission granted to plugins: file, network, exec, unsafe (repeatable)")
	fs.Var(&a.opts, "opt", "objective setting key=value (repeatable)")
	fs.IntVar(&a.saveEvery, "save-every", 0, "checkpoint every N steps (registry objectives; 0: at the end)")
	fs.IntVar(&a.logEvery, "log-every", 10, "metrics record every N steps")
	fs.StringVar(&a.tokenizer, "tokenizer", "", "tokenizer.json for registry objectives (default: bytes plus special ids 256-262)")
	fs.BoolVar(&a.bf16, "bf16", false, "mixed-precision training (registry objectives): matrix products in bfloat16 with float32 accumulation; weights, gradients and optimizer state stay float32")
	fs.StringVar(&a.saveDType, "save-dtype", "f32", "dtype of the final model weights, f32 or bf16 (every objective; checkpoints stay float32 so that --resume is exact)")
	fs.Var(&a.formats, "format", "extra vector file: word2vec-text (vectors.txt) or glove (vectors.glove.txt); vectors.bin is always written (repeatable)")
	fs.Var(&a.evalData, "eval-data", "held-out text for evaluation (registry objectives; repeatable)")
	fs.IntVar(&a.evalEvery, "eval-every", 0, "evaluate on --eval-data every N steps (0: at the end)")
	var sb sandboxFlags // plugin containment (cmd_plugin_sandbox.go)
	sb.register(fs, "training with plugins")
	a.dist.register(fs)
	if err := parseFlags(fs, "train", args, stderr); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "pretrain train: unexpected argument %q (data goes in --data; see pretrain train -h)\n", fs.Arg(0))
		return errUsage
	}
	if a.objective == "list" {
		return listObjectives(stdout)
	}
	if stdout, err = a.dist.open(a.objective, a.threads, stdout); err != nil {
		return err
	}
	defer func() { err = a.dist.close(err) }()
	saveDType, err := tensor.ParseDType(a.saveDType)
	if err != nil {
		return fmt.Errorf("--save-dtype: %w", err)
	}
	if a.steps < 0 || a.epochs < 0 {
		return errors.New("--steps and --epochs must not be negative")
	}
	if a.threads < 0 {
		return fmt.Errorf("--threads %d: want ≥ 0 (0: all cores)", a.threads)
	}
	if a.steps > 0 && a.epochs > 0 {
		return errors.New("set --steps or --epochs, not both")
	}
	if usesPlugins(a.plugins) {
		if done, err := sb.supervise(ctx, "train", args, nil, stdout, stderr); done {
			return err
		}
	}
	if err := loadPluginsWith(a.plugins, sb.pluginOptions(a.allow, stdout, stderr)); err != nil {
		return err
	}
	a.options = map[string]string{}
	for _, kv := range a.opts {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return fmt.Errorf("--opt %q: want key=value", kv)
		}
		a.options[k] = v
	}
	if a.out == "" {
		a.out = filepath.Join("runs", a.objective)
	}
	if a.threads > 0 {
		kernels.SetThreads(a.threads)
	}
	switch a.objective {
	case "skipgram", "cbow", "glove":
		if a.bf16 {
			return errors.New("--bf16: word vectors (skipgram, cbow, glove) train in float32 with their own kernels; --save-dtype bf16 writes bfloat16 vectors")
		}
		return trainWordVectors(ctx, &a, saveDType, stdout, stderr)
	}
	return trainObjective(ctx, &a, saveDType, stdout, stderr)
}

func listObjectives(w io.Writer) error {
	fmt.Fprintln(w, "skipgram     word2vec skip-gram word vectors (negative sampling or hierarchical softmax)")
	fmt.Fprintln(w, "cbow         word2vec continuous bag-of-words word vectors")
	fmt.Fprintln(w, "glove        GloVe word vectors (co-occurrence counts, AdaGrad)")
	for _, n := range task.Default.Objectives() {
		fmt.Fprintf(w, "%-12s %s\n", n, task.Default.ObjectiveDoc(n))
	}
	return nil
}

// openData resolves --data (checking that every file can be read) or
// returns the embedded Austen pretraining text.
func openData(paths []string) (*data.Corpus, string, error) {
	if len(paths) == 0 {
		return corpus.AustenPretrainText(), "the embedded Austen corpus", nil
	}
	files, err := data.ExpandPaths(paths)
	if err != nil {
		return nil, "", err
	}
	for _, f := range files {
		h, err := os.Open(f)
		if err != nil {
			return nil, "", err
		}
		h.Close()
	}
	c, err := data.OpenCorpus(data.CorpusOptions{}, files...)
	if err != nil {
		return nil, "", err
	}
	return c, fmt.Sprintf("%d file(s)", len(files)), nil
}

// corpusText streams a corpus as newline-separated text.
func corpusText(ctx context.Context, c *data.Corpus) io.ReadCloser {
	pr, pw := io.Pipe()
	go func() {
		pw.CloseWithError(c.Scan(ctx, func(r data.Record) error {
			if _, err := io.WriteString(pw, r.Text); err != nil {
				return err
			}
			_, err := io.WriteString(pw, "\n")
			return err
		}))
	}()
	return pr
}

// wvSettings are the word-vector hyper-parameters, named as gensim's
// (config.json keys) and word2vec.c's (--opt keys).
type wvSettings struct {
	Dim       int     `json:"vector_size"`
	Window    int     `json:"window"`
	Negative  int     `json:"negative"`
	HS        bool    `json:"hs"`
	Sample    float64 `json:"sample"`
	MinCount  int     `json:"min_count"`
	Alpha     float64 `json:"alpha"`
	Epochs    int     `json:"epochs"`
	MaxVocab  int     `json:"max_vocab"`
	Normalize bool    `json:"normalize"`
}

// wvPresets are the word-vector model presets.
var wvPresets = map[string]int{"small": 50, "base": 100, "large": 300}

// wordVectorSettings resolves --model and --opt into settings.
func wordVectorSettings(a *trainArgs) (wvSettings, error) {
	s := wvSettings{Dim: 100, Window: 5, Negative: 5, Sample: 1e-3, MinCount: 5, Epochs: 5, Normalize: true}
	if a.objective == "glove" {
		s.Window, s.Epochs, s.Sample, s.Negative = 10, 25, 0, 0
	}
	switch m := a.model; {
	case m == "":
	case strings.HasSuffix(m, ".json"):
		b, err := os.ReadFile(m)
		if err != nil {
			return s, err
		}
		dec := json.NewDecoder(strings.NewReader(string(b)))
		if err := dec.Decode(&s); err != nil {
			return s, fmt.Errorf("%s: %v", m, err)
		}
	default:
		dim, ok := wvPresets[m]
		if !ok {
			return s, fmt.Errorf("unknown model preset %q for %s (known: small, base, large, or a config.json)", m, a.objective)
		}
		s.Dim = dim
	}
	keys := make([]string, 0, len(a.options))
	for k := range a.options {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := a.options[k]
		var err error
		switch k {
		case "dim", "size":
			s.Dim, err = strconv.Atoi(v)
		case "window":
			s.Window, err = strconv.Atoi(v)
		case "negative":
			s.Negative, err = strconv.Atoi(v)
		case "hs":
			s.HS, err = strconv.ParseBool(v)
		case "sample":
			s.Sample, err = strconv.ParseFloat(v, 64)
		case "min-count":
			s.MinCount, err = strconv.Atoi(v)
		case "alpha":
			s.Alpha, err = strconv.ParseFloat(v, 64)
		case "max-vocab":
			s.MaxVocab, err = strconv.Atoi(v)
		case "normalize":
			s.Normalize, err = strconv.ParseBool(v)
		default:
			return s, fmt.Errorf("--opt %s: unknown setting for %s (dim, window, negative, hs, sample, min-count, alpha, max-vocab, normalize)", k, a.objective)
		}
		if err != nil {
			return s, fmt.Errorf("--opt %s=%q: %v", k, v, err)
		}
	}
	if a.epochs > 0 {
		s.Epochs = a.epochs
	}
	if s.Dim <= 0 || s.Window <= 0 || s.Epochs <= 0 || s.Negative < 0 {
		return s, fmt.Errorf("dim, window and epochs must be positive and negative not below 0")
	}
	if !s.HS && s.Negative == 0 && a.objective != "glove" {
		return s, errors.New("negative=0 needs hs=true")
	}
	return s, nil
}

// trainWordVectors trains skip-gram, CBOW or GloVe vectors and writes them
// to the output directory, built under a temporary name and renamed into
// place so that a failed or interrupted run leaves nothing behind.
func trainWordVectors(ctx context.Context, a *trainArgs, saveDType tensor.DType, stdout, stderr io.Writer) error {
	if a.steps > 0 {
		return fmt.Errorf("--steps does not apply to %s; use --epochs", a.objective)
	}
	if a.resume {
		return fmt.Errorf("--resume is not supported for %s (a run takes about a minute; start it again)", a.objective)
	}
	s, err := wordVectorSettings(a)
	if err != nil {
		return err
	}
	extra := map[string]vectors.Format{}
	for _, f := range a.formats {
		format, err := vectors.ParseFormat(f)
		if err != nil {
			return fmt.Errorf("--format: %v", err)
		}
		if name := vectorFileNames[format]; name != vectorsFile {
			extra[name] = format
		}
	}
	c, what, err := openData(a.data)
	if err != nil {
		return err
	}
	start := time.Now()
	text := corpusText(ctx, c)
	wc, err := tokenizer.ReadWordCorpus(ctx, text, what, tokenizer.WordCorpusOptions{
		MinCount: s.MinCount, MaxVocab: s.MaxVocab, Normalize: s.Normalize, MaxSentence: 1000})
	text.Close()
	if err != nil {
		return err
	}
	if wc.Vocab.Len() == 0 {
		return fmt.Errorf("%s: no word occurs %d times or more (lower --opt min-count)", what, s.MinCount)
	}
	fmt.Fprintf(stdout, "pretrain train: %s on %s: %d words read in %s, vocabulary %d (min-count %d); dim %d, window %d, %d epochs\n",
		a.objective, what, wc.Tokens, time.Since(start).Round(100*time.Millisecond), wc.Vocab.Len(), s.MinCount, s.Dim, s.Window, s.Epochs)
	start = time.Now()
	bar := newStatus(stderr)
	var vec *vectors.Vectors
	var speed float64
	var mu sync.Mutex
	if a.objective == "glove" {
		vec, err = glove.TrainCorpus(ctx, glove.Config{Dim: s.Dim, Window: s.Window, MinCount: s.MinCount, Epochs: s.Epochs,
			Eta: s.Alpha, Threads: a.threads, Seed: a.seed,
			Progress: func(p glove.Progress) { bar.show(p.String()) }}, wc)
	} else {
		vec, err = word2vec.TrainCorpus(ctx, word2vec.Config{CBOW: a.objective == "cbow", Dim: s.Dim, Window: s.Window,
			Negative: s.Negative, NoNegative: s.Negative == 0, HS: s.HS, Sample: s.Sample, Epochs: s.Epochs, Alpha: s.Alpha,
			Threads: a.threads, Seed: a.seed, Progress: func(p word2vec.Progress) {
				// The last report may come from another goroutine than
				// the periodic ones.
				mu.Lock()
				defer mu.Unlock()
				speed = p.WordsPerSec
				bar.show(p.String())
			}}, wc)
	}
	mu.Lock()
	bar.done()
	mu.Unlock()
	if err != nil {
		if ctx.Err() != nil {
			fmt.Fprintln(stdout, "pretrain train: interrupted; nothing written")
			return nil
		}
		return err
	}
	elapsed := time.Since(start)
	if speed > 0 {
		fmt.Fprintf(stdout, "trained in %s (%.0f corpus words/s over all epochs)\n", elapsed.Round(100*time.Millisecond), speed)
	} else {
		fmt.Fprintf(stdout, "trained in %s\n", elapsed.Round(100*time.Millisecond))
	}
	cfg := map[string]any{
		"model_type": "word2vec", "architecture": a.objective, "vector_size": s.Dim, "window": s.Window,
		"negative": s.Negative, "hs": s.HS, "sample": s.Sample, "min_count": s.MinCount, "epochs": s.Epochs,
		"vocab_size": vec.Len(), "normalize": s.Normalize, "seed": a.seed, "corpus_words": wc.Tokens,
	}
	if a.objective == "glove" {
		cfg["model_type"] = "glove"
	}
	if err := writeVectorsDir(a.out, vec, cfg, saveDType, extra); err != nil {
		return err
	}
	files := []string{vectorsFile}
	for name := range extra {
		files = append(files, name)
	}
	sort.Strings(files[1:])
	files = append(files, checkpoint.ModelFile, vocabFile, checkpoint.ConfigFile)
	fmt.Fprintf(stdout, "wrote %s (%s)\n\n", a.out, strings.Join(files, ", "))
	showNeighbors(stdout, vec, 8)
	return nil
}

// Files of a word-vector output directory.
const (
	vectorsFile = "vectors.bin" // word2vec binary format, always written
	vocabFile   = "vocab.txt"   // one word per line, in row order
	// embeddingKey names the vector table in model.safetensors.
	embeddingKey = "embeddings.weight"
)

// vectorFileNames names the vector file of each format in an output
// directory.
var vectorFileNames = map[vectors.Format]string{
	vectors.Word2VecBinary: vectorsFile, vectors.Word2VecText: "vectors.txt", vectors.GloVeText: "vectors.glove.txt",
}

// writeVectorsDir writes vectors.bin, the extra vector files, model.safetensors,
// vocab.txt and config.json into a temporary sibling of out and renames it
// into place, replacing an earlier run's directory.
func writeVectorsDir(out string, vec *vectors.Vectors, cfg map[string]any, dtype tensor.DType, extra map[string]vectors.Format) error {
	parent := filepath.Dir(filepath.Clean(out))
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(parent, filepath.Base(out)+".tmp-*")
	if err != nil {
		return err
	}
	ok := false
	defer func() {
		if !ok {
			os.RemoveAll(tmp)
		}
	}()
	if err := vec.Save(filepath.Join(tmp, vectorsFile), vectors.Word2VecBinary); err != nil {
		return err
	}
	for name, format := range extra {
		if err := vec.Save(filepath.Join(tmp, name), format); err != nil {
			return err
		}
	}
	emb := tensor.FromFloat32s(vec.Data, vec.Len(), vec.Dim)
	if dtype == tensor.BF16 {
		emb = emb.To(tensor.BF16)
	}
	if err := checkpoint.Save(filepath.Join(tmp, checkpoint.ModelFile), map[string]*tensor.Tensor{embeddingKey: emb},
		map[string]string{"format": "pt"}); err != nil {
		return err
	}
	if err := checkpoint.WriteFileAtomic(filepath.Join(tmp, vocabFile), func(w io.Writer) error {
		for _, word := range vec.Words {
			if _, err := io.WriteString(w, word+"\n"); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		return err
	}
	if err := checkpoint.WriteJSON(filepath.Join(tmp, checkpoint.ConfigFile), cfg); err != nil {
		return err
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	if st, err := os.Stat(out); err == nil {
		if !st.IsDir() {
			return fmt.Errorf("--out %s exists and is not a directory", out)
		}
		old := tmp + "-old"
		if err := os.Rename(out, old); err != nil {
			return err
		}
		defer os.RemoveAll(old)
	}
	if err := os.Rename(tmp, out); err != nil {
		return err
	}
	ok = true
	return checkpoint.SyncDir(parent)
}

// showNeighbors prints the nearest neighbours of a few probe words: the
// Austen probes when present, otherwise frequent words past the function
// words.
func showNeighbors(w io.Writer, vec *vectors.Vectors, k int) {
	var probes []string
	for _, p := range []string{"elizabeth", "happy", "house", "sister", "letter"} {
		if vec.Index(p) >= 0 {
			probes = append(probes, p)
		}
	}
	if len(probes) == 0 && vec.Len() > 0 {
		// Frequent words past the function words at the top.
		for _, f := range []float64{0.01, 0.02, 0.05} {
			w := vec.Words[int(f*float64(vec.Len()))]
			if len(probes) == 0 || probes[len(probes)-1] != w {
				probes = append(probes, w)
			}
		}
	}
	fmt.Fprintln(w, "nearest neighbours:")
	for _, p := range probes {
		ns, err := vec.Nearest(p, k)
		if err != nil {
			continue
		}
		parts := make([]string, len(ns))
		for i, n := range ns {
			parts[i] = fmt.Sprintf("%s %.2f", n.Word, n.Sim)
		}
		fmt.Fprintf(w, "  %-10s %s\n", p, strings.Join(parts, ", "))
	}
}

// status redraws one line on a terminal and stays silent otherwise.
type status struct {
	w io.Writer // nil when not a terminal
}

func newStatus(w io.Writer) *status {
	if train.IsTerminal(w) {
		return &status{w: w}
	}
	return &status{}
}

func (s *status) show(line string) {
	if s.w != nil {
		fmt.Fprintf(s.w, "\r%s\x1b[K", line)
	}
}

func (s *status) done() {
	if s.w != nil {
		fmt.Fprintln(s.w)
	}
}

// Byte-level tokenization for registry objectives: ids 0-255 are bytes,
// then the special tokens, then free ids (T5 sentinels count down from the
// top of the vocabulary).
const (
	byteVocab = 384
	padID     = 256
	maskID    = 257
	bosID     = 258
	eosID     = 259
	clsID     = 260
	sepID     = 261
	unkID     = 262
)

// specialRoles finds the special-token roles of a tokenizer by their usual
// spellings (BERT's [PAD], GPT-2's <|endoftext|>, RoBERTa's <s>).
func specialRoles(tok tokenizer.Tokenizer) map[string]int {
	roles := map[string]int{}
	names := map[string]string{
		"[PAD]": "pad", "<pad>": "pad", "[MASK]": "mask", "<mask>": "mask", "[CLS]": "cls", "[SEP]": "sep",
		"[UNK]": "unk", "<unk>": "unk", "<s>": "bos", "</s>": "eos", "<|endoftext|>": "eos",
	}
	for _, t := range tok.SpecialTokens() {
		if role, ok := names[t]; ok {
			if id, ok := tok.TokenID(t); ok {
				if _, dup := roles[role]; !dup {
					roles[role] = id
				}
			}
		}
	}
	return roles
}

// hfNames maps option names to the Hugging Face config keys written in
// config.json (and read back from it).
var hfNames = map[string]string{"dim": "hidden_size", "layers": "num_hidden_layers", "heads": "num_attention_heads",
	"mlp": "intermediate_size", "seq-len": "max_position_embeddings"}

// modelConfig is the config.json of a registry objective's model: Hugging
// Face key names where there is one, plus the preset and every option, so
// that `--model config.json` rebuilds the same model.
func modelConfig(objective, preset string, opts map[string]string, vocab, seqLen int, tok string, special map[string]int, params int) map[string]any {
	m := map[string]any{"model_type": objective, "vocab_size": vocab, "max_position_embeddings": seqLen,
		"tokenizer": tok, "num_parameters": params, "preset": preset, "pretrain_options": opts}
	for role, id := range special {
		m[role+"_token_id"] = id
	}
	for opt, key := range hfNames {
		if v, ok := opts[opt]; ok {
			if n, err := strconv.Atoi(v); err == nil {
				m[key] = n
			}
		}
	}
	return m
}

// withModelShape adds the transformer shape an objective reports (heads,
// layers, widths) to a config, so that checkpoints load without guessing.
func withModelShape(m map[string]any, obj task.Objective) map[string]any {
	for k, v := range lm.ModelConfig(obj) {
		m[k] = v
	}
	return m
}

// readModelConfig reads a config.json written by `pretrain train` (or one
// with Hugging Face key names) into a preset name and options.
func readModelConfig(path string) (string, map[string]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return "", nil, fmt.Errorf("%s: %v", path, err)
	}
	str := func(v any) string {
		if f, ok := v.(float64); ok {
			return strconv.FormatFloat(f, 'g', -1, 64)
		}
		return fmt.Sprint(v)
	}
	opts := map[string]string{}
	if po, ok := m["pretrain_options"].(map[string]any); ok {
		// Our own config.json: the options it was trained with rebuild it
		// exactly; the Hugging Face keys beside them are derived from them.
		for k, v := range po {
			opts[k] = str(v)
		}
	} else {
		for opt, key := range hfNames {
			if v, ok := m[key]; ok {
				opts[opt] = str(v)
			}
		}
	}
	preset, _ := m["preset"].(string)
	return preset, opts, nil
}

// flopsPerToken is the training cost of a token for MFU: 6N for the
// parameters plus 12·L·D·T for attention over T positions (DESIGN.md §7),
// the attention term for the transformer objectives whose preset is known.
func flopsPerToken(objective, preset string, opts map[string]string, seqLen, params int) float64 {
	f := 6 * float64(params)
	defaults := map[string]string{"clm": "gpt-tiny", "mlm": "bert-tiny", "electra": "bert-tiny", "contrastive": "bert-tiny"}
	def, ok := defaults[objective]
	if !ok {
		return f
	}
	if preset == "" {
		preset = def
	}
	p, err := presets.Lookup(preset)
	if err != nil {
		return f
	}
	var layers, dim int
	switch {
	case p.GPT != nil:
		layers, dim = p.GPT.Layers, p.GPT.Dim
	case p.BERT != nil:
		layers, dim = p.BERT.Layers, p.BERT.Dim
	default:
		return f
	}
	if v, err := strconv.Atoi(opts["layers"]); err == nil {
		layers = v
	}
	if v, err := strconv.Atoi(opts["dim"]); err == nil {
		dim = v
	}
	return f + 12*float64(layers)*float64(dim)*float64(seqLen)
}

// encodeBytes maps text to its UTF-8 bytes as ids.
func encodeBytes(s string) []int {
	ids := make([]int, len(s))
	for i := 0; i < len(s); i++ {
		ids[i] = int(s[i])
	}
	return ids
}

// trainObjective trains a registry objective with the Trainer.
func trainObjective(ctx context.Context, a *trainArgs, saveDType tensor.DType, stdout, stderr io.Writer) error {
	intOpt := func(k string, def int) (int, error) {
		v, ok := a.options[k]
		if !ok {
			return def, nil
		}
		delete(a.options, k)
		n, err := strconv.Atoi(v)
		if err != nil {
			return 0, fmt.Errorf("--opt %s=%q: not an integer", k, v)
		}
		return n, nil
	}
	floatOpt := func(k string, def float64) (float64, error) {
		v, ok := a.options[k]
		if !ok {
			return def, nil
		}
		delete(a.options, k)
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return 0, fmt.Errorf("--opt %s=%q: not a number", k, v)
		}
		return f, nil
	}
	preset := a.model
	if strings.HasSuffix(a.model, ".json") {
		p, opts, err := readModelConfig(a.model)
		if err != nil {
			return err
		}
		preset = p
		for k, v := range opts {
			if _, set := a.options[k]; !set {
				a.options[k] = v
			}
		}
	}
	allOpts := make(map[string]string, len(a.options))
	for k, v := range a.options {
		allOpts[k] = v
	}
	seqLen, err := intOpt("seq-len", 128)
	if err != nil {
		return err
	}
	batch, err := intOpt("batch", 16)
	if err != nil {
		return err
	}
	accum, err := intOpt("accum", 1)
	if err != nil {
		return err
	}
	lr, err := floatOpt("lr", 1e-3)
	if err != nil {
		return err
	}
	clip, err := floatOpt("clip", 1)
	if err != nil {
		return err
	}
	if seqLen < 2 || batch < 1 || accum < 1 || lr <= 0 {
		return errors.New("seq-len must be at least 2, batch and accum at least 1, lr positive")
	}
	if a.steps == 0 && a.epochs == 0 {
		a.steps = 200
	}
	vocab, encode, tokName := byteVocab, encodeBytes, "bytes"
	special := map[string]int{"pad": padID, "mask": maskID, "bos": bosID, "eos": eosID, "cls": clsID, "sep": sepID, "unk": unkID}
	var tok tokenizer.Tokenizer
	if a.tokenizer != "" {
		if tok, err = tokenizer.Load(a.tokenizer); err != nil {
			return err
		}
		vocab, encode, tokName, special = tok.VocabSize(), tok.Encode, filepath.Base(a.tokenizer), specialRoles(tok)
	}
	// The objective draws weights and dropout masks from modelRNG; the
	// Trainer checkpoints it so that --resume is bit-exact.
	modelRNG := tensor.NewRNG(a.seed)
	obj, err := task.NewObjective(a.objective, task.Config{
		VocabSize: vocab, SeqLen: seqLen, Seed: a.seed, Model: preset, Options: a.options, Special: special, RNG: modelRNG,
	})
	if err != nil {
		return err
	}
	switch obj.Collator().(type) {
	case *data.ImageCollator, *clipobj.Collator:
		// train reads text; the image objectives run through the image
		// commands (or a script that fills the collator's Set).
		return fmt.Errorf("--objective %s pretrains on images, and train reads text: use pretrain transfer --images DIR|synthetic (mae, image-dae) or pretrain zeroshot --images (clip)", a.objective)
	}
	c, what, err := openData(a.data)
	if err != nil {
		return err
	}
	var evalCorpus *data.Corpus
	if len(a.evalData) > 0 {
		if evalCorpus, _, err = openData(a.evalData); err != nil {
			return err
		}
	}
	module := obj.Module()
	opt := optim.NewAdamW(optim.SplitDecay(module.NamedParameters(), float32(lr), 0.01), optim.DefaultAdam())
	var sched optim.Schedule = optim.Constant(float32(lr))
	if a.steps > 0 {
		sched = optim.WarmupCosine(float32(lr), a.steps/10, a.steps, float32(lr)/10)
	}
	if a.resume {
		if st, err := os.Stat(a.out); err != nil || !st.IsDir() {
			return fmt.Errorf("--resume: no run in %s", a.out)
		}
	} else if l, _ := checkpoint.Latest(filepath.Join(a.out, "checkpoints")); l != "" {
		return fmt.Errorf("%s already holds checkpoints: add --resume to continue, or choose another --out", a.out)
	}
	_, statErr := os.Stat(a.out)
	created := os.IsNotExist(statErr)
	loaderCfg := data.LoaderConfig{
		Corpus: c, Encode: encode,
		BatchSize: batch, PackLen: seqLen, PackSep: special["eos"], DropLast: true, ShuffleBuffer: 1024, Prefetch: 1,
	}
	if _, ok := obj.Collator().(*lm.SpanPairs); ok {
		// clm with contrastive=W: each packed row yields a pair of spans
		// of seqLen tokens with up to seqLen/2 between them.
		loaderCfg.PackLen = 2*seqLen + seqLen/2
	}
	tr := train.New(obj, opt, loaderCfg, train.Config{
		Steps: a.steps, Epochs: a.epochs, GradAccum: accum, Schedule: sched, ClipNorm: float32(clip),
		Precision: precision(a.bf16), FinalDType: saveDType, Comm: a.dist.comm,
		LogEvery: a.logEvery, SaveEvery: a.saveEvery, EvalEvery: a.evalEvery, EvalBatches: 50, Seed: a.seed, Threads: a.threads, OutDir: a.out, Resume: a.resume,
		Progress: stderr, PeakFLOPS: 117e9 * float64(kernels.Threads()), RNGs: map[string]*tensor.RNG{"model": modelRNG},
		FLOPsPerToken: flopsPerToken(a.objective, preset, allOpts, seqLen, module.NumParams()),
		Perplexity:    a.objective == "clm" || a.objective == "mlm" || a.objective == "bilm",
		ModelConfig:   withModelShape(modelConfig(a.objective, preset, allOpts, vocab, seqLen, tokName, special, module.NumParams()), obj),
	})
	if _, ok := special["eos"]; !ok {
		tr.Data.PackSep = -1
	}
	if evalCorpus != nil {
		ev := tr.Data
		ev.Corpus, ev.ShuffleBuffer, ev.Prefetch = evalCorpus, 0, 0
		tr.Eval = &ev
	}
	mode := "float32"
	if a.bf16 {
		mode = "mixed precision (bf16 products, f32 weights)"
	}
	fmt.Fprintf(stdout, "pretrain train: %s on %s, %d parameters, batch %d × %d tokens, %s, %s\n",
		a.objective, what, module.NumParams(), batch, seqLen, sched, mode)
	if n := a.dist.world(); n > 1 {
		fmt.Fprintf(stdout, "  batch %d per process × %d processes = global batch %d\n", batch, n, batch*n)
	}
	res, err := tr.Run(ctx)
	if errors.Is(err, context.Canceled) {
		fmt.Fprintf(stdout, "interrupted at step %d; checkpoint %s (continue with --resume)\n", res.Steps, res.Checkpoint)
		return nil
	}
	if err != nil {
		if created && res.Checkpoint == "" && a.dist.lead() {
			os.RemoveAll(a.out)
		}
		return err
	}
	if tok != nil && a.dist.lead() {
		if err := tok.Save(filepath.Join(a.out, "tokenizer.json")); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "done: %d steps, loss %.4f", res.Steps, res.Loss)
	if !math.IsNaN(res.EvalLoss) {
		fmt.Fprintf(stdout, ", eval loss %.4f", res.EvalLoss)
	}
	fmt.Fprintf(stdout, ", %s; model in %s\n", res.Elapsed.Round(time.Second), a.out)
	return nil
}

// precision is the matrix-product precision that --bf16 selects.
func precision(bf16 bool) tensor.DType {
	if bf16 {
		return tensor.BF16
	}
	return tensor.F32
}
