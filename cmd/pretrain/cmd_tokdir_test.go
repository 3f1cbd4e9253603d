package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pretrain-go/pretrain/builtin/gpt"
	"github.com/pretrain-go/pretrain/sdk/tensor"
	"github.com/pretrain-go/pretrain/sdk/tokenizer"
)

// generate, fillmask and embed use the checkpoint's own tokenizer: the
// file config.json names, relative to the checkpoint directory, else its
// tokenizer.json; never the working directory's, and none is an error.
func TestCheckpointTokenizerFromDir(t *testing.T) {
	dir := t.TempDir()
	corpus := writeText(t, dir)
	bpe := filepath.Join(dir, "bpe.json")
	if code, _, errs := runCLI(t, "tokenizer", "train", "-vocab", "300", "-o", bpe, corpus); code != 0 {
		t.Fatalf("tokenizer train: %s", errs)
	}
	tok, err := tokenizer.Load(bpe)
	if err != nil {
		t.Fatal(err)
	}
	m, err := gpt.New(gpt.Config{VocabSize: tok.VocabSize(), ContextLen: 32, Dim: 16, Layers: 1, Heads: 2, TiedEmbeddings: true}, tensor.NewRNG(1))
	if err != nil {
		t.Fatal(err)
	}
	cfg := map[string]any{"model_type": "clm", "vocab_size": tok.VocabSize(), "tokenizer": "bpe.json", "num_attention_heads": 2}
	ck := saveModel(t, m.StateDict(), cfg)
	b, _ := os.ReadFile(bpe)
	os.WriteFile(filepath.Join(ck, "bpe.json"), b, 0o644)

	embed := func(args ...string) (int, string, string) {
		return runCLI(t, append([]string{"embed", "--text", "the cat sees a dog"}, append(args, ck)...)...)
	}
	// Elsewhere, with a different tokenizer.json in the working directory.
	work := t.TempDir()
	t.Chdir(work)
	if code, _, errs := runCLI(t, "tokenizer", "train", "-vocab", "280", "-o", "tokenizer.json", corpus); code != 0 {
		t.Fatalf("tokenizer train: %s", errs)
	}
	code, own, errs := embed()
	if code != 0 {
		t.Fatalf("embed: %d %s", code, errs)
	}
	_, explicit, _ := embed("--tokenizer", bpe)
	_, asBytes, _ := embed("--tokenizer", "bytes")
	if own != explicit || own == asBytes {
		t.Fatalf("embed did not use the checkpoint's bpe.json: own %.60q, explicit %.60q, bytes %.60q", own, explicit, asBytes)
	}
	// The named file missing: an error, not the cwd's tokenizer.json.
	os.Remove(filepath.Join(ck, "bpe.json"))
	for _, cmd := range [][]string{{"embed", "--text", "hi", ck}, {"generate", "--prompt", "hi", "--tokens", "2", ck}, {"fillmask", ck, "the [MASK] sat"}} {
		code, _, errs := runCLI(t, cmd...)
		if code != 1 || !strings.Contains(errs, `names tokenizer "bpe.json"`) || !strings.Contains(errs, filepath.Join(ck, "bpe.json")) {
			t.Fatalf("%s without its tokenizer: exit %d %q", cmd[0], code, errs)
		}
	}
	// No name in config.json: the checkpoint's tokenizer.json, else an error.
	delete(cfg, "tokenizer")
	ck2 := saveModel(t, m.StateDict(), cfg)
	if code, _, errs := runCLI(t, "embed", "--text", "hi", ck2); code != 1 || !strings.Contains(errs, "no tokenizer") {
		t.Fatalf("no tokenizer at all: exit %d %q", code, errs)
	}
	os.WriteFile(filepath.Join(ck2, "tokenizer.json"), b, 0o644)
	if code, out, errs := runCLI(t, "embed", "--text", "the cat sees a dog", ck2); code != 0 || out != own {
		t.Fatalf("tokenizer.json beside the checkpoint: exit %d %q", code, errs)
	}
}
