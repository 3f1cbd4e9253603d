package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pretrain-go/pretrain/builtin/bert"
	"github.com/pretrain-go/pretrain/builtin/gpt"
	"github.com/pretrain-go/pretrain/sdk/checkpoint"
	"github.com/pretrain-go/pretrain/sdk/tensor"
)

// byteConfig is the config.json that `pretrain train` writes for a
// byte-level registry objective.
func byteConfig(modelType string) map[string]any {
	return map[string]any{"model_type": modelType, "vocab_size": 384, "tokenizer": "bytes", "pad_token_id": 256,
		"mask_token_id": 257, "bos_token_id": 258, "eos_token_id": 259, "num_attention_heads": 2}
}

// saveModel writes a checkpoint directory for a module's state dict.
func saveModel(t *testing.T, sd map[string]*tensor.Tensor, cfg map[string]any) string {
	t.Helper()
	dir := t.TempDir()
	if err := checkpoint.Save(filepath.Join(dir, checkpoint.ModelFile), sd, nil); err != nil {
		t.Fatal(err)
	}
	if err := checkpoint.WriteJSON(filepath.Join(dir, checkpoint.ConfigFile), cfg); err != nil {
		t.Fatal(err)
	}
	return dir
}

func gptCheckpoint(t *testing.T) string {
	m, err := gpt.New(gpt.Config{VocabSize: 384, ContextLen: 48, Dim: 16, Layers: 1, Heads: 2, TiedEmbeddings: true}, tensor.NewRNG(1))
	if err != nil {
		t.Fatal(err)
	}
	return saveModel(t, m.StateDict(), byteConfig("clm"))
}

func TestGenerateCommand(t *testing.T) {
	dir := gptCheckpoint(t)
	ctx := context.Background()
	var out, errb bytes.Buffer
	args := []string{"generate", "--prompt", "Emma", "--tokens", "20", "--temperature", "0", dir}
	if code := run(ctx, args, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	greedy := out.String()
	if !strings.HasPrefix(greedy, "Emma") || !strings.Contains(errb.String(), "tokens/s") {
		t.Errorf("output %q, stderr %q", greedy, errb.String())
	}
	// The uncached path prints the same continuation.
	out.Reset()
	if code := run(ctx, append([]string{"generate", "--no-cache"}, args[1:]...), &out, &errb); code != 0 || out.String() != greedy {
		t.Errorf("no-cache exit %d printed %q, want %q", code, out.String(), greedy)
	}
	out.Reset()
	if code := run(ctx, []string{"generate", "--top-k", "5", "--seed", "3", dir}, &out, &errb); code != 0 || out.Len() == 0 {
		t.Errorf("sampling exit %d: %s", code, errb.String())
	}
	errb.Reset()
	if code := run(ctx, []string{"generate"}, &out, &errb); code != 2 || !strings.Contains(errb.String(), "Usage") {
		t.Errorf("no checkpoint: exit %d, %q", code, errb.String())
	}
	errb.Reset()
	if code := run(ctx, []string{"generate", filepath.Join(dir, "nope")}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "nope") {
		t.Errorf("missing checkpoint: exit %d, %q", code, errb.String())
	}
	errb.Reset()
	if code := run(ctx, []string{"generate", "--top-p", "3", dir}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "top-p") {
		t.Errorf("bad top-p: exit %d, %q", code, errb.String())
	}
}

func bertCheckpoint(t *testing.T) string {
	m, err := bert.New(bert.Config{VocabSize: 384, ContextLen: 48, Dim: 16, Layers: 1, Heads: 2}, tensor.NewRNG(1))
	if err != nil {
		t.Fatal(err)
	}
	return saveModel(t, m.StateDict(), byteConfig("mlm"))
}

func TestFillMaskCommand(t *testing.T) {
	dir := bertCheckpoint(t)
	ctx := context.Background()
	var out, errb bytes.Buffer
	if code := run(ctx, []string{"fillmask", "-k", "3", dir, "She [MASK]as [MASK]appy"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "mask 1 (position 4):") || !strings.HasPrefix(lines[2], "She ") {
		t.Errorf("output %q", out.String())
	}
	errb.Reset()
	if code := run(ctx, []string{"fillmask", dir, "no mask here"}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "no [MASK]") {
		t.Errorf("no mask: exit %d, %q", code, errb.String())
	}
	if code := run(ctx, []string{"fillmask", dir}, &out, &errb); code != 2 {
		t.Errorf("missing text: exit %d", code)
	}
}
