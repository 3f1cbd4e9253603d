package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/pretrain-go/pretrain/builtin/finetune"
)

func init() {
	register(&command{
		Name:    "predict",
		Summary: "classify text with a fine-tuned model (arguments, or the texts of --file or stdin)",
		Run:     runPredict,
	})
}

const predictSynopsis = `--model DIR [--file FILE | TEXT...] [flags]

Classifies each TEXT argument, or the texts of --file (stdin when "-" or
when no TEXT is given): a .jsonl file gives the --text-column key of each
line, a .csv/.tsv file (header row) that column, any other file one text
per non-blank line. Flags may come before or after the texts; "--" ends
the flags. Long texts are read whole, in the model's windows.`

func runPredict(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var modelDir, file, column string
	var probs bool
	fs := newFlagSet("predict", predictSynopsis, stderr)
	fs.StringVar(&modelDir, "model", "", "fine-tuned model directory (from pretrain finetune; required)")
	fs.StringVar(&file, "file", "", "read the texts from FILE (.jsonl, .csv, .tsv, or one text per line; \"-\": stdin)")
	fs.StringVar(&column, "text-column", "text", "column or JSON key of the text in a .jsonl/.csv/.tsv --file")
	fs.BoolVar(&probs, "probs", false, "print every label's probability")
	texts, err := parseInterspersed(fs, "predict", args, stderr)
	if err != nil {
		return err
	}
	if modelDir == "" {
		fmt.Fprintln(stderr, "pretrain predict: --model is required (see pretrain predict -h)")
		return errUsage
	}
	if file != "" && len(texts) > 0 {
		fmt.Fprintln(stderr, "pretrain predict: give --file or TEXT arguments, not both (see pretrain predict -h)")
		return errUsage
	}
	m, err := finetune.Load(modelDir)
	if err != nil {
		return err
	}
	if len(texts) == 0 {
		in := io.Reader(os.Stdin)
		name := "stdin"
		if file != "" && file != "-" {
			f, err := os.Open(file)
			if err != nil {
				return err
			}
			defer f.Close()
			in, name = f, file
		}
		if texts, err = finetune.ReadTexts(in, name, column); err != nil {
			return err
		}
	}
	for i, p := range m.Predict(texts) {
		if err := ctx.Err(); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s\t%.3f", p.Label, p.Probs[p.ID])
		if probs {
			for j, q := range p.Probs {
				fmt.Fprintf(stdout, "\t%s=%.3f", m.Labels.Name(j), q)
			}
		}
		fmt.Fprintf(stdout, "\t%s\n", finetune.Snippet(texts[i], 60))
	}
	return nil
}

// parseInterspersed parses flags placed anywhere among the positional
// arguments (up to a "--", after which everything is positional) and
// returns the positional ones in order.
func parseInterspersed(fs *flag.FlagSet, name string, args []string, stderr io.Writer) ([]string, error) {
	var pos []string
	for {
		if err := parseFlags(fs, name, args, stderr); err != nil {
			return nil, err
		}
		rest := fs.Args()
		// flag stops at the first non-flag, or after consuming "--".
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			return append(pos, rest...), nil
		}
		if len(rest) == 0 {
			return pos, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}
