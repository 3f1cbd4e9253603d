package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/pretrain-go/pretrain/builtin/finetune"
	"github.com/pretrain-go/pretrain/sdk/data"
)

func init() {
	register(&command{
		Name:    "evaluate",
		Summary: "score a fine-tuned model on labeled data: accuracy, macro-F1, confusion matrix",
		Run:     runEvaluate,
	})
}

func runEvaluate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var modelDir, path string
	var cols labeledFlags
	var asJSON bool
	fs := newFlagSet("evaluate", "--model DIR --data FILE [flags]", stderr)
	fs.BoolVar(&asJSON, "json", false, "print the metrics as one JSON object: accuracy, macro_f1, loss, n, labels, confusion, per_class (precision, recall, f1, support)")
	fs.StringVar(&modelDir, "model", "", "fine-tuned model directory (from pretrain finetune; required)")
	fs.StringVar(&path, "data", "", "labeled examples: .jsonl, .csv or .tsv (required)")
	fs.StringVar(&cols.text, "text-column", "text", "column or JSON key of the text")
	fs.StringVar(&cols.label, "label-column", "label", "column or JSON key of the label")
	if err := parseFlags(fs, "evaluate", args, stderr); err != nil {
		return err
	}
	if modelDir == "" || path == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "pretrain evaluate: need --model and --data, and no other argument (see pretrain evaluate -h)")
		return errUsage
	}
	m, err := finetune.Load(modelDir)
	if err != nil {
		return err
	}
	ex, _, err := data.ReadLabeled(path, cols.options(m.Labels))
	if err != nil {
		return err
	}
	mt := finetune.Evaluate(m, ex)
	if asJSON {
		b, err := json.Marshal(struct {
			Model string `json:"model"`
			Data  string `json:"data"`
			finetune.Metrics
		}{modelDir, path, mt})
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(stdout, "%s\n", b)
		return err
	}
	fmt.Fprintf(stdout, "%s on %s: %v\n\n", modelDir, path, mt)
	mt.WritePerClass(stdout)
	fmt.Fprintln(stdout)
	mt.WriteConfusion(stdout)
	return nil
}
