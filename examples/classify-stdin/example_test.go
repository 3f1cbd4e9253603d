package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/pretrain-go/pretrain/builtin/finetune"
	"github.com/pretrain-go/pretrain/builtin/gpt"
	"github.com/pretrain-go/pretrain/sdk/data"
	"github.com/pretrain-go/pretrain/sdk/tensor"
)

// makeModel fine-tunes a tiny byte-level GPT on a toy task (the label is
// the animal named) and saves it, standing in for `pretrain finetune`.
func makeModel(dir string) error {
	g, err := gpt.New(gpt.Config{VocabSize: finetune.ByteVocab, ContextLen: 32, Dim: 32, Layers: 1, Heads: 2, TiedEmbeddings: true}, tensor.NewRNG(1))
	if err != nil {
		return err
	}
	labels := data.NewLabelMap("cat", "dog", "owl")
	m, err := finetune.NewModel(finetune.NewGPT(g), finetune.ByteTokens(), "classify", map[string]string{"dropout": "0"}, labels, 32, 1)
	if err != nil {
		return err
	}
	var ex []data.Example
	for i := 0; i < 90; i++ {
		ex = append(ex, data.Example{Text: fmt.Sprintf("the %s sat near house %d", labels.Name(i%3), i%7), LabelID: i % 3})
	}
	if _, err := finetune.Run(context.Background(), m, ex, nil, finetune.Config{LR: 3e-3, HeadLR: 3e-2, Steps: 60, Seed: 1}); err != nil {
		return err
	}
	return m.Save(dir)
}

// Example classifies lines of text with a saved fine-tuned model.
func Example() {
	tmp, _ := os.MkdirTemp("", "classify-stdin")
	defer os.RemoveAll(tmp)
	dir := filepath.Join(tmp, "model")
	if err := makeModel(dir); err != nil {
		panic(err)
	}
	var out strings.Builder
	if err := Classify(dir, strings.NewReader("the owl sat near house 3\n\nthe dog sat near house 1\n"), &out); err != nil {
		panic(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		f := strings.Split(line, "\t")
		fmt.Println(f[0], f[2])
	}
	// Output:
	// owl the owl sat near house 3
	// dog the dog sat near house 1
}
