package hf_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/pretrain-go/pretrain/builtin/hf"
	"github.com/pretrain-go/pretrain/sdk/tensor"
)

// Load a Hugging Face GPT-2 directory and run it on a text encoded with
// the directory's own tokenizer.
func ExampleLoad() {
	m, err := hf.Load(filepath.Join("testdata", "gpt2"))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(m.Architecture, m.GPT.Config.Layers, "layers,", m.GPT.Config.Activation)
	ids := m.Tokenizer.Encode("It is a truth")
	m.GPT.Train(false)
	logits := m.GPT.Forward(tensor.NewScope().NoGrad(), ids, 1, len(ids))
	fmt.Println(ids, logits.Shape())
	// Output:
	// GPT2LMHeadModel 2 layers, gelu_tanh
	// [73 116 275 261 32 296] [1 6 300]
}

// Save writes a model as a directory that transformers' from_pretrained
// loads with no missing or unexpected keys.
func ExampleSave() {
	m, err := hf.Load(filepath.Join("testdata", "bert-cls"))
	if err != nil {
		fmt.Println(err)
		return
	}
	dir, _ := os.MkdirTemp("", "hf-example")
	defer os.RemoveAll(dir)
	out := filepath.Join(dir, "bert")
	if err := hf.Save(out, m, hf.SaveOptions{}); err != nil {
		fmt.Println(err)
		return
	}
	ents, _ := os.ReadDir(out)
	for _, e := range ents {
		fmt.Println(e.Name())
	}
	back, _ := hf.Load(out)
	fmt.Println(back.Architecture, back.Labels)
	// Output:
	// config.json
	// model.safetensors
	// tokenizer.json
	// tokenizer_config.json
	// BertForSequenceClassification [negative neutral positive]
}
