package main

import (
	"bufio"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/pretrain-go/pretrain/sdk/tokenizer"
)

func init() {
	register(&command{Name: "tokenizer", Summary: "train a BPE or WordPiece tokenizer, encode, decode, convert", Run: runTokenizer})
}

const tokenizerUsage = `Usage: pretrain tokenizer train|encode|decode [flags] ARGS

  train  [flags] FILE...     learn a tokenizer from text files (.gz allowed), write tokenizer.json
  encode -t TOK [TEXT...]    print the ids of each TEXT, or of each input line
  decode -t TOK [ID...]      print the text of the ids, or of each input line of ids
  convert -t TOK -o OUT      write TOK as a Hugging Face tokenizer.json

TOK is a tokenizer.json, a .tiktoken rank file, a BERT vocab.txt, or
"encoder.json,vocab.bpe" (GPT-2); .gz allowed. Run with -h for flags.
`

func runTokenizer(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stderr, tokenizerUsage)
		return errUsage
	}
	switch args[0] {
	case "train":
		return tokenizerTrain(ctx, args[1:], stdout, stderr)
	case "encode", "decode":
		return tokenizerCode(args[0], args[1:], stdout, stderr)
	case "convert":
		return tokenizerConvert(args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "pretrain tokenizer: unknown subcommand %q\n\n%s", args[0], tokenizerUsage)
	return errUsage
}

func tokenizerTrain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("tokenizer train", "[flags] FILE...", stderr)
	kind := fs.String("kind", "bpe", "bpe (byte-level, GPT-2 style) or wordpiece (BERT style)")
	vocab := fs.Int("vocab", 16000, "vocabulary size, special tokens and alphabet included")
	minFreq := fs.Int("min-freq", 2, "stop when the most frequent pair is rarer than this")
	special := fs.String("special", "", "comma-separated special tokens, first ids (wordpiece default: [PAD],[UNK],[CLS],[SEP],[MASK])")
	split := fs.String("split", tokenizer.SplitGPT2, "bpe pre-tokenization: gpt2, cl100k, o200k")
	lower := fs.Bool("lowercase", true, "wordpiece: lower-case and strip accents")
	out := fs.String("o", "tokenizer.json", "output tokenizer.json")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return errUsage
	}
	r, closeAll, err := openCorpus(fs.Args())
	if err != nil {
		return err
	}
	defer closeAll()
	opt := tokenizer.TrainOptions{VocabSize: *vocab, MinFrequency: *minFreq, Split: *split, Lowercase: *lower}
	if *special != "" {
		opt.SpecialTokens = strings.Split(*special, ",")
	}
	var tok tokenizer.Tokenizer
	switch *kind {
	case "bpe":
		tok, err = tokenizer.TrainBPE(ctx, r, opt)
	case "wordpiece":
		tok, err = tokenizer.TrainWordPiece(ctx, r, opt)
	default:
		fmt.Fprintf(stderr, "pretrain tokenizer train: -kind must be bpe or wordpiece, not %q\n", *kind)
		return errUsage
	}
	if err != nil {
		return err
	}
	if err := tok.Save(*out); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%v -> %s\n", tok, *out)
	return nil
}

// openCorpus concatenates the files, gunzipping .gz ones, with a newline
// between files.
func openCorpus(paths []string) (io.Reader, func(), error) {
	var readers []io.Reader
	var closers []io.Closer
	closeAll := func() {
		for _, c := range closers {
			c.Close()
		}
	}
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			closeAll()
			return nil, nil, err
		}
		closers = append(closers, f)
		var r io.Reader = f
		if strings.HasSuffix(p, ".gz") {
			zr, err := gzip.NewReader(f)
			if err != nil {
				closeAll()
				return nil, nil, fmt.Errorf("%s: %w", p, err)
			}
			r = &namedReader{zr, p}
		}
		readers = append(readers, r, strings.NewReader("\n"))
	}
	return io.MultiReader(readers...), closeAll, nil
}

// namedReader adds the file name to read errors (a truncated .gz).
type namedReader struct {
	r    io.Reader
	name string
}

func (n *namedReader) Read(p []byte) (int, error) {
	k, err := n.r.Read(p)
	if err != nil && err != io.EOF {
		err = fmt.Errorf("%s: %w", n.name, err)
	}
	return k, err
}

func tokenizerCode(sub string, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("tokenizer "+sub, "-t TOK [flags] [ARGS...]", stderr)
	path := fs.String("t", "", "tokenizer: tokenizer.json, .tiktoken, vocab.txt or encoder.json,vocab.bpe")
	enc := fs.String("encoding", "", "tiktoken encoding (r50k_base, p50k_base, cl100k_base, o200k_base)")
	in := fs.String("i", "", "read input lines from this file (- for stdin); default: ARGS, else stdin")
	tokens := fs.Bool("tokens", false, "encode: print tokens instead of ids")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if *path == "" {
		fmt.Fprintf(stderr, "pretrain tokenizer %s: -t is required\n", sub)
		fs.Usage()
		return errUsage
	}
	tok, err := tokenizer.Open(*path, *enc)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(stdout)
	defer w.Flush()
	do := func(line string, where string) error {
		if sub == "decode" {
			ids, err := parseIDs(line)
			if err != nil {
				return fmt.Errorf("%s: %w", where, err)
			}
			fmt.Fprintln(w, tok.Decode(ids))
			return nil
		}
		ids := tok.Encode(line)
		for i, id := range ids {
			if i > 0 {
				w.WriteByte(' ')
			}
			if *tokens {
				t, _ := tok.Token(id)
				w.WriteString(strconv.Quote(t))
			} else {
				w.WriteString(strconv.Itoa(id))
			}
		}
		return w.WriteByte('\n')
	}
	if *in == "" && fs.NArg() > 0 {
		if sub == "decode" {
			return do(strings.Join(fs.Args(), " "), "arguments")
		}
		for _, a := range fs.Args() {
			if err := do(a, "arguments"); err != nil {
				return err
			}
		}
		return nil
	}
	var r io.Reader = os.Stdin
	name := "stdin"
	if *in != "" && *in != "-" {
		f, err := os.Open(*in)
		if err != nil {
			return err
		}
		defer f.Close()
		r, name = f, *in
	}
	br := bufio.NewReader(r)
	for n := 1; ; n++ {
		line, err := br.ReadString('\n')
		if line != "" {
			if e := do(strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r"), fmt.Sprintf("%s:%d", name, n)); e != nil {
				return e
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
}

func parseIDs(s string) ([]int, error) {
	fields := strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' || r == '\t' || r == '[' || r == ']' })
	ids := make([]int, len(fields))
	for i, f := range fields {
		id, err := strconv.Atoi(f)
		if err != nil || id < 0 {
			return nil, fmt.Errorf("id %d: %q is not a non-negative integer", i+1, f)
		}
		ids[i] = id
	}
	return ids, nil
}

func tokenizerConvert(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("tokenizer convert", "-t TOK [-encoding E] -o OUT", stderr)
	path := fs.String("t", "", "tokenizer: tokenizer.json, .tiktoken, vocab.txt or encoder.json,vocab.bpe")
	enc := fs.String("encoding", "", "tiktoken encoding (r50k_base, p50k_base, cl100k_base, o200k_base)")
	out := fs.String("o", "", "output tokenizer.json")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if *path == "" || *out == "" || fs.NArg() > 0 {
		fs.Usage()
		return errUsage
	}
	tok, err := tokenizer.Open(*path, *enc)
	if err != nil {
		return err
	}
	if err := tok.Save(*out); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%v -> %s\n", tok, *out)
	return nil
}
