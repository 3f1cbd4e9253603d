package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/pretrain-go/pretrain/builtin/finetune"
)

func init() {
	register(&command{
		Name:    "predict",
		Summary: "classify text with a fine-tuned model (arguments, or one text per line of --file or stdin)",
		Run:     runPredict,
	})
}

func runPredict(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var modelDir, file string
	var probs bool
	fs := newFlagSet("predict", "--model DIR [--file FILE | TEXT...]", stderr)
	fs.StringVar(&modelDir, "model", "", "fine-tuned model directory (from pretrain finetune; required)")
	fs.StringVar(&file, "file", "", "read one text per line from FILE (\"-\" or no TEXT: stdin)")
	fs.BoolVar(&probs, "probs", false, "print every label's probability")
	if err := parseFlags(fs, "predict", args, stderr); err != nil {
		return err
	}
	if modelDir == "" {
		fmt.Fprintln(stderr, "pretrain predict: --model is required (see pretrain predict -h)")
		return errUsage
	}
	m, err := finetune.Load(modelDir)
	if err != nil {
		return err
	}
	texts := fs.Args()
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
		sc := bufio.NewScanner(in)
		sc.Buffer(make([]byte, 1<<20), 1<<24)
		for sc.Scan() {
			if t := strings.TrimSpace(sc.Text()); t != "" {
				texts = append(texts, t)
			}
		}
		if err := sc.Err(); err != nil {
			return fmt.Errorf("%s: %v", name, err)
		}
		if len(texts) == 0 {
			return fmt.Errorf("%s: no text to classify", name)
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
