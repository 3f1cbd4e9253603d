package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/pretrain-go/pretrain/builtin/vectors"
	"github.com/pretrain-go/pretrain/sdk/checkpoint"
)

func init() {
	register(&command{Name: "neighbors", Summary: "nearest neighbours of words in trained word vectors", Run: runNeighbors})
	register(&command{Name: "analogy", Summary: "answer \"A is to B as C is to ?\" with trained word vectors", Run: runAnalogy})
	register(&command{Name: "eval-vectors", Summary: "score word vectors: analogy accuracy and similarity correlation, with coverage", Run: runEvalVectors})
}

// evalDir returns the first folder holding questions-words.txt among
// $PRETRAIN_EVAL_DIR, the shared data folder beside a checkout and the
// development machines' copy, or "".
func evalDir() string {
	for _, d := range []string{os.Getenv("PRETRAIN_EVAL_DIR"), filepath.Join("..", "shared", "data", "eval"), "/work/shared/data/eval"} {
		if d != "" && exists(filepath.Join(d, "questions-words.txt")) {
			return d
		}
	}
	return ""
}

// parseFlags parses fs, reporting a bad flag as one line; -h prints the
// usage.
func parseFlags(fs *flag.FlagSet, name string, args []string, stderr io.Writer) error {
	usage := fs.Usage
	fs.Usage = func() {}
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stderr)
			usage()
		} else {
			fmt.Fprintf(stderr, "pretrain %s: %v (see pretrain %s -h)\n", name, err, name)
		}
		return errUsage
	}
	return nil
}

// loadVectors reads word vectors from a vector file (word2vec text or
// binary, GloVe text), a model.safetensors with vocab.txt beside it, or an
// output directory of `pretrain train`.
func loadVectors(path string) (*vectors.Vectors, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		for _, name := range []string{vectorsFile, "vectors.txt", "vectors.glove.txt", checkpoint.ModelFile} {
			p := filepath.Join(path, name)
			if _, err := os.Stat(p); err == nil {
				return loadVectors(p)
			}
		}
		return nil, fmt.Errorf("%s: no %s, vectors.txt or %s inside", path, vectorsFile, checkpoint.ModelFile)
	}
	if !strings.HasSuffix(path, ".safetensors") {
		return vectors.Load(path)
	}
	f, err := checkpoint.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	name := embeddingKey
	if _, ok := f.Info(name); !ok {
		names := f.Names()
		if len(names) != 1 {
			return nil, fmt.Errorf("%s: no tensor %q and not a single table to use (%d tensors)", path, embeddingKey, len(names))
		}
		name = names[0]
	}
	t, err := f.Tensor(name)
	if err != nil {
		return nil, err
	}
	if len(t.Shape()) != 2 {
		return nil, fmt.Errorf("%s: tensor %q has shape %v, want [words, dim]", path, name, t.Shape())
	}
	vocabPath := filepath.Join(filepath.Dir(path), vocabFile)
	b, err := os.ReadFile(vocabPath)
	if err != nil {
		return nil, fmt.Errorf("%s needs its word list: %w", path, err)
	}
	words := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if len(words) != t.Shape()[0] {
		return nil, fmt.Errorf("%s lists %d words for %d rows of %s", vocabPath, len(words), t.Shape()[0], path)
	}
	v := vectors.New(words, t.Shape()[1])
	copy(v.Data, t.Float32s())
	return v, nil
}

func formatNeighbors(ns []vectors.Neighbor) string {
	parts := make([]string, len(ns))
	for i, n := range ns {
		parts[i] = fmt.Sprintf("%s %.3f", n.Word, n.Sim)
	}
	return strings.Join(parts, ", ")
}

func runNeighbors(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("neighbors", "[flags] VECTORS WORD...\n\nVECTORS is a `pretrain train` output directory, a vector file (word2vec text\nor binary, GloVe text) or a model.safetensors with vocab.txt beside it.", stderr)
	k := fs.Int("k", 10, "neighbours per word")
	if err := parseFlags(fs, "neighbors", args, stderr); err != nil {
		return err
	}
	if fs.NArg() < 2 {
		fmt.Fprintln(stderr, "pretrain neighbors: need VECTORS and at least one WORD (see pretrain neighbors -h)")
		return errUsage
	}
	v, err := loadVectors(fs.Arg(0))
	if err != nil {
		return err
	}
	missing := 0
	for _, w := range fs.Args()[1:] {
		ns, err := v.Nearest(strings.ToLower(w), *k)
		if err != nil {
			ns, err = v.Nearest(w, *k)
		}
		if err != nil {
			fmt.Fprintf(stdout, "%s: not in the vocabulary\n", w)
			missing++
			continue
		}
		fmt.Fprintf(stdout, "%s: %s\n", w, formatNeighbors(ns))
	}
	if missing == fs.NArg()-1 {
		return fmt.Errorf("none of the words is in the vocabulary of %s", fs.Arg(0))
	}
	return nil
}

func runAnalogy(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("analogy", "[flags] VECTORS A B C\n\nAnswers \"A is to B as C is to ?\" (3CosAdd), e.g. man king woman.", stderr)
	k := fs.Int("k", 5, "answers to list")
	if err := parseFlags(fs, "analogy", args, stderr); err != nil {
		return err
	}
	if fs.NArg() != 4 {
		fmt.Fprintln(stderr, "pretrain analogy: need VECTORS A B C (see pretrain analogy -h)")
		return errUsage
	}
	v, err := loadVectors(fs.Arg(0))
	if err != nil {
		return err
	}
	a, b, c := strings.ToLower(fs.Arg(1)), strings.ToLower(fs.Arg(2)), strings.ToLower(fs.Arg(3))
	ns, err := v.Analogy(a, b, c, *k)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s is to %s as %s is to: %s\n", a, b, c, formatNeighbors(ns))
	return nil
}

func runEvalVectors(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("eval-vectors", "[flags] VECTORS\n\nScores vectors on the Google analogy questions (accuracy on the questions whose\nwords are in the vocabulary, with coverage) and on word-similarity sets\n(Spearman correlation, with coverage). Without --questions and --sim it reads\nquestions-words.txt, wordsim353.tsv and simlex999.txt from $PRETRAIN_EVAL_DIR,\n../shared/data/eval or /work/shared/data/eval, the first that has them.", stderr)
	questions := fs.String("questions", "", "analogy questions file (default: questions-words.txt of the evaluation folder)")
	var sims listFlag
	fs.Var(&sims, "sim", "word-similarity file \"w1 w2 score\" (repeatable; default the WordSim353 and SimLex-999 files there)")
	restrict := fs.Int("restrict", 30000, "analogy: use the N most frequent words, as compute-accuracy does (0: all)")
	sections := fs.Bool("sections", false, "print each analogy section")
	if err := parseFlags(fs, "eval-vectors", args, stderr); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "pretrain eval-vectors: need one VECTORS argument (see pretrain eval-vectors -h)")
		return errUsage
	}
	if *questions == "" && len(sims) == 0 {
		dir := evalDir()
		if dir == "" {
			return errors.New("no evaluation files: pass --questions or --sim, or set PRETRAIN_EVAL_DIR")
		}
		*questions = filepath.Join(dir, "questions-words.txt")
		for _, n := range []string{"wordsim353.tsv", "simlex999.txt"} {
			if p := filepath.Join(dir, n); exists(p) {
				sims = append(sims, p)
			}
		}
	}
	v, err := loadVectors(fs.Arg(0))
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: %d words, dim %d\n", fs.Arg(0), v.Len(), v.Dim)
	if *questions != "" {
		f, err := os.Open(*questions)
		if err != nil {
			return err
		}
		res, err := v.EvalAnalogy(ctx, f, *questions, *restrict)
		f.Close()
		if err != nil {
			return err
		}
		if *sections {
			for _, s := range res.Sections {
				fmt.Fprintf(stdout, "  %v\n", s)
			}
		}
		fmt.Fprintf(stdout, "analogy %s: %v\n", filepath.Base(*questions), res.All)
		fmt.Fprintf(stdout, "  semantic  %v\n  syntactic %v\n", res.Semantic, res.Syntactic)
	}
	for _, p := range sims {
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		res, err := v.EvalSimilarity(f, p)
		f.Close()
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "similarity %s: %v\n", filepath.Base(p), res)
	}
	return nil
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
