package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/pretrain-go/pretrain/builtin/lm"
	"github.com/pretrain-go/pretrain/sdk/checkpoint"
	"github.com/pretrain-go/pretrain/sdk/tensor"
)

func init() {
	register(&command{
		Name:    "embed",
		Summary: "embed lines of text with a trained encoder or GPT (mean-pooled or CLS vectors to JSONL or safetensors)",
		Run:     runEmbed,
	})
}

const embedSynopsis = `[flags] CHECKPOINT [FILE]

Embeds each non-empty line of FILE (default: standard input; or --text) with
the checkpoint's model: an encoder (mlm, contrastive, electra) or a GPT (clm;
"last" pooling suits it best). Writes one JSON object per line
{"text": ..., "vector": [...]} to --out or standard output, or a
safetensors file with one tensor "embeddings" [lines, dim] when --out ends
in .safetensors.`

func runEmbed(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("embed", embedSynopsis, stderr)
	pooling := fs.String("pooling", "mean", "mean (over real tokens), cls (first position) or last (last token)")
	out := fs.String("out", "", "output file: .jsonl (default: standard output) or .safetensors")
	text := fs.String("text", "", "embed this text instead of reading lines")
	batch := fs.Int("batch", 32, "lines per forward pass")
	tokPath := fs.String("tokenizer", "", "tokenizer file, or bytes (default: the one the checkpoint names, relative to it, else its tokenizer.json; none is an error)")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if fs.NArg() < 1 || fs.NArg() > 2 || (*text != "" && fs.NArg() == 2) {
		fs.Usage()
		return errUsage
	}
	lines, err := embedInput(fs.Args()[1:], *text)
	if err != nil {
		return err
	}
	ck, err := lm.ReadCheckpoint(fs.Arg(0))
	if err != nil {
		return err
	}
	cd, err := newCodec(ck, *tokPath)
	if err != nil {
		return err
	}
	var hidden lm.HiddenFunc
	maxLen := 0
	if ck.Config["model_type"] == "clm" {
		g, err := ck.GPT()
		if err != nil {
			return err
		}
		g.Train(false)
		hidden, maxLen = func(s *tensor.Scope, ids, _ []int, b, n int) *tensor.Tensor { return g.Hidden(s, ids, b, n) }, g.Config.ContextLen
	} else {
		m, err := ck.BERT()
		if err != nil {
			return err
		}
		m.Train(false)
		hidden, maxLen = func(s *tensor.Scope, ids, mask []int, b, n int) *tensor.Tensor {
			return m.Hidden(s, ids, mask, nil, b, n)
		}, m.Config.ContextLen
	}
	seqs := make([][]int, len(lines))
	for i, l := range lines {
		if seqs[i] = cd.encode(l); len(seqs[i]) == 0 {
			return fmt.Errorf("line %d encodes to no tokens", i+1)
		}
	}
	vecs, err := lm.Embed(hidden, seqs, cd.padID, maxLen, *batch, *pooling)
	if err != nil {
		return err
	}
	if strings.HasSuffix(*out, ".safetensors") {
		d := len(vecs[0])
		flat := make([]float32, 0, len(vecs)*d)
		for _, v := range vecs {
			flat = append(flat, v...)
		}
		if err := checkpoint.Save(*out, map[string]*tensor.Tensor{"embeddings": tensor.FromFloat32s(flat, len(vecs), d)},
			map[string]string{"pooling": *pooling, "source": fs.Arg(0)}); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "wrote %d vectors of %d to %s\n", len(vecs), d, *out)
		return ctx.Err()
	}
	w := stdout
	var f *os.File
	if *out != "" {
		if f, err = os.Create(*out); err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	for i, v := range vecs {
		if err := enc.Encode(struct {
			Text   string    `json:"text"`
			Vector []float32 `json:"vector"`
		}{lines[i], v}); err != nil {
			return err
		}
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if f != nil {
		if err := f.Close(); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "wrote %d vectors to %s\n", len(vecs), *out)
	}
	return ctx.Err()
}

// embedInput returns the text to embed: --text, or the non-empty lines of
// the file (standard input when none is named).
func embedInput(files []string, text string) ([]string, error) {
	if text != "" {
		return []string{text}, nil
	}
	r := io.Reader(os.Stdin)
	name := "standard input"
	if len(files) == 1 {
		f, err := os.Open(files[0])
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r, name = f, files[0]
	}
	var lines []string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 4<<20)
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" {
			lines = append(lines, l)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(lines) == 0 {
		return nil, errors.New(name + " holds no text")
	}
	return lines, nil
}
