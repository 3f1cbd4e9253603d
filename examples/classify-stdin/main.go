// Command classify-stdin is a small host program: it loads a model made by
// `pretrain finetune` and prints the label of each line of standard input,
// compiled Go all the way (no interpreter, no Python).
//
//	pretrain finetune --from runs/transfer/pretrained --data train.jsonl --eval eval.jsonl --out mymodel
//	echo "It is a truth universally acknowledged" | go run ./examples/classify-stdin -model mymodel
//
// Output: one line per input line, "LABEL<TAB>PROBABILITY<TAB>TEXT".
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/pretrain-go/pretrain/builtin/finetune"
)

// Classify reads texts from in, one per line (blank lines skipped),
// classifies them in batches with the model in modelDir and writes
// "label<TAB>probability<TAB>text" lines to out.
func Classify(modelDir string, in io.Reader, out io.Writer) error {
	m, err := finetune.Load(modelDir)
	if err != nil {
		return err
	}
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	var batch []string
	flush := func() {
		for i, p := range m.Predict(batch) {
			fmt.Fprintf(out, "%s\t%.3f\t%s\n", p.Label, p.Probs[p.ID], batch[i])
		}
		batch = batch[:0]
	}
	for sc.Scan() {
		if t := strings.TrimSpace(sc.Text()); t != "" {
			batch = append(batch, t)
			if len(batch) == 64 {
				flush()
			}
		}
	}
	flush()
	return sc.Err()
}

func main() {
	model := flag.String("model", "", "fine-tuned model directory (from pretrain finetune)")
	flag.Parse()
	if *model == "" {
		fmt.Fprintln(os.Stderr, "usage: classify-stdin -model DIR < texts.txt")
		os.Exit(2)
	}
	w := bufio.NewWriter(os.Stdout)
	err := Classify(*model, os.Stdin, w)
	w.Flush()
	if err != nil {
		fmt.Fprintln(os.Stderr, "classify-stdin:", err)
		os.Exit(1)
	}
}
