// Command wordvec is the Go side of bench/wordvec/run.sh: it trains word2vec
// (skip-gram, CBOW) or GloVe vectors with this project and prints one
// RESULT line of timings, scores vector files from any tool with the same
// evaluator, and normalises raw text the way the benchmark feeds every tool.
//
//	wordvec train -corpus brown.txt -model sg -threads 2 -out vec.bin
//	wordvec eval -questions questions-words.txt -wordsim wordsim353.tsv vec.bin ...
//	wordvec normalize < austen-raw.txt > austen.txt
//	wordvec austen > austen.txt   (the embedded corpus, normalised)
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/pretrain-go/pretrain/builtin/corpus"
	"github.com/pretrain-go/pretrain/builtin/glove"
	"github.com/pretrain-go/pretrain/builtin/vectors"
	"github.com/pretrain-go/pretrain/builtin/word2vec"
	"github.com/pretrain-go/pretrain/sdk/tokenizer"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: wordvec train|eval|normalize [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "train":
		err = train(os.Args[2:])
	case "eval":
		err = eval(os.Args[2:])
	case "normalize":
		err = normalize(os.Stdin)
	case "austen":
		err = austen()
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "wordvec:", err)
		os.Exit(1)
	}
}

func train(args []string) error {
	fs := flag.NewFlagSet("train", flag.ExitOnError)
	corpusPath := fs.String("corpus", "", "corpus text, one sentence per line")
	modelName := fs.String("model", "sg", "sg, cbow or glove")
	threads := fs.Int("threads", 1, "threads")
	epochs := fs.Int("epochs", 0, "epochs (default: 5 for word2vec, 25 for GloVe)")
	hs := fs.Bool("hs", false, "hierarchical softmax instead of negative sampling")
	out := fs.String("out", "", "vector file to write (.bin = word2vec binary, else word2vec text)")
	seed := fs.Uint64("seed", 1, "seed")
	fs.Parse(args)
	ctx := context.Background()
	t0 := time.Now()
	f, err := os.Open(*corpusPath)
	if err != nil {
		return err
	}
	defer f.Close()
	minCount := 5
	maxSentence := 1000
	corpus, err := tokenizer.ReadWordCorpus(ctx, f, *corpusPath, tokenizer.WordCorpusOptions{MinCount: minCount, MaxSentence: maxSentence})
	if err != nil {
		return err
	}
	t1 := time.Now()
	var vec *vectors.Vectors
	ep := *epochs
	switch *modelName {
	case "sg", "cbow":
		if ep == 0 {
			ep = 5
		}
		cfg := word2vec.Config{CBOW: *modelName == "cbow", Dim: 100, Window: 5, Negative: 5, Sample: 1e-3,
			MinCount: minCount, Epochs: ep, Threads: *threads, Seed: *seed, HS: *hs}
		if *hs {
			cfg.NoNegative = true
		}
		vec, err = word2vec.TrainCorpus(ctx, cfg, corpus)
	case "glove":
		if ep == 0 {
			ep = 25
		}
		var last glove.Progress
		vec, err = glove.TrainCorpus(ctx, glove.Config{Dim: 100, Window: 10, MinCount: minCount, Epochs: ep, Threads: *threads, Seed: *seed,
			Progress: func(p glove.Progress) { last = p }}, corpus)
		if err == nil {
			fmt.Printf("glove: %v\n", last)
		}
	default:
		return fmt.Errorf("unknown model %q", *modelName)
	}
	if err != nil {
		return err
	}
	t2 := time.Now()
	trainS, totalS := t2.Sub(t1).Seconds(), t2.Sub(t0).Seconds()
	raw := float64(corpus.Tokens) * float64(ep)
	fmt.Printf("RESULT ours model=%s threads=%d vocab=%d raw_words=%d epochs=%d read_s=%.3f train_s=%.3f words_per_s=%.0f words_per_s_incl_read=%.0f loadavg=%s\n",
		*modelName, *threads, corpus.Vocab.Len(), corpus.Tokens, ep, t1.Sub(t0).Seconds(), trainS, raw/trainS, raw/totalS, loadavg())
	if *out != "" {
		format := vectors.Word2VecText
		if strings.HasSuffix(*out, ".bin") {
			format = vectors.Word2VecBinary
		}
		return vec.Save(*out, format)
	}
	return nil
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Fields(string(b))[0]
}

func eval(args []string) error {
	fs := flag.NewFlagSet("eval", flag.ExitOnError)
	questions := fs.String("questions", "", "Google analogy file")
	wordsim := fs.String("wordsim", "", "WordSim353 file")
	simlex := fs.String("simlex", "", "SimLex-999 file")
	restrict := fs.Int("restrict", 30000, "analogy vocabulary: the first N words")
	fs.Parse(args)
	for _, path := range fs.Args() {
		v, err := vectors.Load(path)
		if err != nil {
			return err
		}
		line := fmt.Sprintf("RESULT eval %s vocab=%d", path, v.Len())
		if *questions != "" {
			f, err := os.Open(*questions)
			if err != nil {
				return err
			}
			res, err := v.EvalAnalogy(context.Background(), f, *questions, *restrict)
			f.Close()
			if err != nil {
				return err
			}
			line += fmt.Sprintf(" analogy=%.2f%% (%d/%d) coverage=%.1f%% semantic=%.2f%% syntactic=%.2f%%",
				100*res.All.Accuracy(), res.All.Correct, res.All.Answered, 100*res.All.Coverage(),
				100*res.Semantic.Accuracy(), 100*res.Syntactic.Accuracy())
		}
		for _, s := range []struct{ name, path string }{{"wordsim353", *wordsim}, {"simlex999", *simlex}} {
			if s.path == "" {
				continue
			}
			f, err := os.Open(s.path)
			if err != nil {
				return err
			}
			res, err := v.EvalSimilarity(f, s.path)
			f.Close()
			if err != nil {
				return err
			}
			line += fmt.Sprintf(" %s=%.4f (%d/%d)", s.name, res.Spearman, res.Used, res.Total)
		}
		fmt.Println(line)
		for _, w := range []string{"man", "said", "money", "house", "good"} {
			if nn, err := v.Nearest(w, 6); err == nil {
				parts := make([]string, len(nn))
				for i, n := range nn {
					parts[i] = n.Word
				}
				fmt.Printf("   NN %s: %s\n", w, strings.Join(parts, ", "))
			}
		}
	}
	return nil
}

// austen writes the embedded Austen novels (builtin/corpus), normalised.
func austen() error {
	var all strings.Builder
	for _, novel := range corpus.AustenNovels() {
		text, err := corpus.AustenText(novel)
		if err != nil {
			return err
		}
		all.WriteString(text)
		if !strings.HasSuffix(text, "\n") {
			all.WriteByte('\n')
		}
	}
	return normalize(strings.NewReader(all.String()))
}

// normalize lowercases and trims punctuation from every token, keeping one
// line per input line and dropping tokens that become empty.
func normalize(r io.Reader) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	w := bufio.NewWriter(os.Stdout)
	for sc.Scan() {
		first := true
		for _, tok := range strings.Fields(sc.Text()) {
			if n := tokenizer.NormalizeWord(tok); n != "" {
				if !first {
					w.WriteByte(' ')
				}
				w.WriteString(n)
				first = false
			}
		}
		w.WriteByte('\n')
	}
	if err := sc.Err(); err != nil {
		return err
	}
	return w.Flush()
}
