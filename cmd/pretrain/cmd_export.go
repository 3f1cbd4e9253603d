package main

import (
	"context"
	"fmt"
	"io"

	"github.com/pretrain-go/pretrain/builtin/hf"
	"github.com/pretrain-go/pretrain/builtin/lm"
	"github.com/pretrain-go/pretrain/sdk/tensor"
)

func init() {
	register(&command{
		Name:    "export",
		Summary: "write a trained model (or a Hugging Face directory) as a Hugging Face transformers directory",
		Run:     runExport,
	})
}

const exportSynopsis = `--hf OUT [flags] SOURCE

Writes SOURCE as a Hugging Face directory OUT that transformers'
from_pretrained loads with no missing or unexpected keys: config.json
(model_type, architectures), model.safetensors with transformers' names, and
tokenizer.json + tokenizer_config.json when SOURCE has a tokenizer.json.
SOURCE is a directory written by ` + "`pretrain train`" + ` (clm: GPT2LMHeadModel;
mlm with --opt arch=bert: BertForMaskedLM) or a Hugging Face GPT-2/BERT
directory (re-saved, e.g. from F16 shards to one F32 file). OUT must not
exist or be empty; nothing is written unless every file can be.`

func runExport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("export", exportSynopsis, stderr)
	out := fs.String("hf", "", "the Hugging Face directory to write (required)")
	dtype := fs.String("dtype", "f32", "weights dtype: f32 or bf16")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if fs.NArg() != 1 || *out == "" {
		fs.Usage()
		return errUsage
	}
	opt := hf.SaveOptions{DType: tensor.F32}
	switch *dtype {
	case "f32":
	case "bf16":
		opt.DType = tensor.BF16
	default:
		return fmt.Errorf("--dtype %q: want f32 or bf16", *dtype)
	}
	src := fs.Arg(0)
	var m *hf.Model
	var err error
	if hf.IsDir(src) {
		m, err = hf.Load(src)
	} else {
		var ck *lm.Checkpoint
		if ck, err = lm.ReadCheckpoint(src); err == nil {
			m, err = ck.HFModel()
		}
	}
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	for _, n := range m.Notes {
		fmt.Fprintln(stderr, "note:", n)
	}
	if err := hf.Save(*out, m, opt); err != nil {
		return err
	}
	ts, arch, _ := m.Tensors()
	tok := "no tokenizer (SOURCE has no tokenizer.json)"
	if m.Tokenizer != nil {
		tok = "tokenizer.json"
	}
	fmt.Fprintf(stdout, "wrote %s: %s, %d tensors (%s), %s\n", *out, arch, len(ts), *dtype, tok)
	return nil
}
