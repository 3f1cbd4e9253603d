package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/pretrain-go/pretrain/builtin/finetune"
	"github.com/pretrain-go/pretrain/builtin/generate"
	"github.com/pretrain-go/pretrain/builtin/lm"
	"github.com/pretrain-go/pretrain/sdk/tokenizer"
)

func init() {
	register(&command{
		Name:    "generate",
		Summary: "continue a prompt with a trained GPT checkpoint (greedy, temperature, top-k, top-p; KV cache)",
		Run:     runGenerate,
	})
}

// codec turns text into ids and back for a checkpoint: its tokenizer file,
// or bytes (ids 0-255) with the special ids of its config.json, which is
// what `pretrain train` writes for registry objectives.
type codec struct {
	tok      tokenizer.Tokenizer // nil: bytes
	specials map[int]string      // byte codec: id -> "[MASK]", ...
	maskID   int
	padID    int
}

func newCodec(ck *lm.Checkpoint, tokPath string) (*codec, error) {
	c := &codec{maskID: ck.Int(-1, "mask_token_id"), padID: ck.Int(0, "pad_token_id")}
	if tokPath == "" && ck.HF != nil {
		// A Hugging Face directory: the tokenizer hf.Load read from it
		// (tokenizer.json, vocab.json + merges.txt or vocab.txt).
		if ck.HF.Tokenizer == nil {
			return nil, fmt.Errorf("%s: no tokenizer (tokenizer.json, vocab.json + merges.txt or vocab.txt) in the Hugging Face directory (or pass --tokenizer FILE)", ck.Path)
		}
		c.tok = ck.HF.Tokenizer
		return c, nil
	}
	if tokPath == "" {
		// The checkpoint's own tokenizer: the file config.json names,
		// relative to the checkpoint, else its tokenizer.json; never one
		// of the working directory, and none found is an error.
		dir := ck.Path
		if st, err := os.Stat(dir); err == nil && !st.IsDir() {
			dir = filepath.Dir(dir)
		}
		p, bytes, err := finetune.TokenizerPath(dir, ck.Config)
		if err != nil {
			return nil, fmt.Errorf("%w (or pass --tokenizer FILE, or --tokenizer bytes)", err)
		}
		if !bytes {
			tokPath = p
		}
	} else if tokPath == "bytes" {
		tokPath = ""
	}
	if tokPath != "" {
		t, err := tokenizer.Open(tokPath, "")
		if err != nil {
			return nil, err
		}
		c.tok = t
		if id, ok := t.TokenID("[MASK]"); ok && c.maskID < 0 {
			c.maskID = id
		}
		return c, nil
	}
	c.specials = map[int]string{}
	for key, name := range map[string]string{"pad_token_id": "[PAD]", "mask_token_id": "[MASK]", "bos_token_id": "[BOS]",
		"eos_token_id": "[EOS]", "cls_token_id": "[CLS]", "sep_token_id": "[SEP]"} {
		if id := ck.Int(-1, key); id >= 0 {
			c.specials[id] = name
		}
	}
	return c, nil
}

// encode maps text to ids; with bytes, "[MASK]" becomes the mask id.
func (c *codec) encode(text string) []int {
	if c.tok != nil {
		return c.tok.Encode(text)
	}
	var ids []int
	for i := 0; i < len(text); {
		if c.maskID >= 0 && strings.HasPrefix(text[i:], "[MASK]") {
			ids = append(ids, c.maskID)
			i += len("[MASK]")
			continue
		}
		ids = append(ids, int(text[i]))
		i++
	}
	return ids
}

// decode maps ids to text; special ids print by name.
func (c *codec) decode(ids []int) string {
	if c.tok != nil {
		return c.tok.Decode(ids)
	}
	var b []byte
	for _, id := range ids {
		switch {
		case id >= 0 && id < 256:
			b = append(b, byte(id))
		case c.specials[id] != "":
			b = append(b, c.specials[id]...)
		}
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}

const generateSynopsis = `[flags] CHECKPOINT

Continues --prompt with the GPT of a clm checkpoint (a directory written by
` + "`pretrain train --objective clm`" + `, or a model.safetensors). Temperature 0 is
greedy decoding; otherwise top-k and top-p (nucleus) filter the sampled
distribution. Keys and values are cached, so each token costs one position.`

func runGenerate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("generate", generateSynopsis, stderr)
	prompt := fs.String("prompt", "It is a truth universally acknowledged", "text to continue")
	n := fs.Int("tokens", 200, "tokens to generate")
	temp := fs.Float64("temperature", 0.8, "sampling temperature; 0 for greedy")
	topK := fs.Int("top-k", 0, "sample from the K most likely tokens (0: all)")
	topP := fs.Float64("top-p", 0.95, "sample from the smallest set reaching this probability (1: all)")
	seed := fs.Uint64("seed", 1, "sampling seed")
	noCache := fs.Bool("no-cache", false, "recompute the whole prefix at each step (slow; for comparison)")
	tokPath := fs.String("tokenizer", "", "tokenizer file, or bytes (default: the one the checkpoint names, relative to it, else its tokenizer.json; none is an error)")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errUsage
	}
	ck, err := lm.ReadCheckpoint(fs.Arg(0))
	if err != nil {
		return err
	}
	m, err := ck.GPT()
	if err != nil {
		return err
	}
	cd, err := newCodec(ck, *tokPath)
	if err != nil {
		return err
	}
	ids := cd.encode(*prompt)
	if len(ids) == 0 {
		return errors.New("the prompt encodes to no tokens")
	}
	if len(ids) >= m.Config.ContextLen {
		ids = ids[len(ids)-m.Config.ContextLen+1:] // keep the end of a long prompt
	}
	start := time.Now()
	out, err := generate.Generate(m, ids, generate.Options{MaxNewTokens: *n, Temperature: float32(*temp), TopK: *topK,
		TopP: float32(*topP), Seed: *seed, StopID: ck.Int(-1, "eos_token_id"), NoCache: *noCache})
	if err != nil {
		return err
	}
	el := time.Since(start)
	fmt.Fprintln(stdout, cd.decode(ids)+cd.decode(out))
	fmt.Fprintf(stderr, "%d tokens in %s (%.0f tokens/s)\n", len(out), el.Round(time.Millisecond), float64(len(out))/el.Seconds())
	return ctx.Err()
}
