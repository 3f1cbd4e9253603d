package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pretrain-go/pretrain/builtin/bert"
	"github.com/pretrain-go/pretrain/builtin/hf"
	"github.com/pretrain-go/pretrain/sdk/checkpoint"
	"github.com/pretrain-go/pretrain/sdk/tensor"
)

func pathExists(p string) bool { _, err := os.Stat(p); return err == nil }

// TestExportCommand: a clm run exports to a GPT2LMHeadModel directory that
// Load reads back with the same logits, --dtype bf16 writes BF16, an
// arch=bert mlm run exports to BertForMaskedLM, and the refusals (pre-LN
// encoder, broken HF directory, occupied OUT, bad flags) write nothing.
func TestExportCommand(t *testing.T) {
	root := t.TempDir()
	clm := gptCheckpoint(t)
	out := filepath.Join(root, "gpt2")
	code, stdout, stderr := runCmd("export", "--hf", out, clm)
	if code != 0 || !strings.Contains(stdout, "GPT2LMHeadModel, 16 tensors (f32)") {
		t.Fatalf("exit %d: %q %q", code, stdout, stderr)
	}
	m, err := hf.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	if m.GPT.Config.Dim != 16 || m.Special["eos"] != 259 || m.GPT.Head != nil {
		t.Errorf("exported model: %v special %v", m, m.Special)
	}
	out16 := filepath.Join(root, "gpt2-bf16")
	if code, _, stderr := runCmd("export", "--hf", out16, "--dtype", "bf16", clm); code != 0 {
		t.Fatalf("bf16: %s", stderr)
	}
	f, err := checkpoint.Open(filepath.Join(out16, hf.WeightsFile))
	if err != nil {
		t.Fatal(err)
	}
	if info, _ := f.Info("transformer.wte.weight"); info.DType != "BF16" {
		t.Errorf("--dtype bf16 wrote %s", info.DType)
	}
	f.Close()

	post, err := bert.New(bert.Config{VocabSize: 384, ContextLen: 32, Dim: 16, Layers: 1, Heads: 2, PostLN: true, MLMHead: true, Eps: 1e-12}, tensor.NewRNG(2))
	if err != nil {
		t.Fatal(err)
	}
	cfg := byteConfig("mlm")
	cfg["layer_norm_eps"] = 1e-12
	outB := filepath.Join(root, "bert")
	if code, stdout, stderr := runCmd("export", "--hf", outB, saveModel(t, post.StateDict(), cfg)); code != 0 || !strings.Contains(stdout, "BertForMaskedLM") {
		t.Fatalf("bert: exit %d %q %q", code, stdout, stderr)
	}
	if b, err := hf.Load(outB); err != nil || b.BERT.Config.Eps != 1e-12 || b.BERT.MLM == nil {
		t.Errorf("bert export: %v %v", b, err)
	}

	pre, _ := bert.New(bert.Config{VocabSize: 384, ContextLen: 32, Dim: 16, Layers: 1, Heads: 2}, tensor.NewRNG(2))
	broken := t.TempDir()
	for _, n := range []string{"config.json", "model.safetensors"} {
		b, err := os.ReadFile(filepath.Join(out, n))
		if err != nil {
			t.Fatal(err)
		}
		if n == "config.json" {
			b = []byte(strings.Replace(string(b), `"gelu"`, `"quick_gelu"`, 1))
		}
		os.WriteFile(filepath.Join(broken, n), b, 0o644)
	}
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{saveModel(t, pre.StateDict(), byteConfig("mlm"))}, 1, "pre-LN encoder"},
		{[]string{broken}, 1, `config.json: activation_function: unknown activation "quick_gelu"`},
		{[]string{"--dtype", "f16", clm}, 1, `--dtype "f16"`},
		{[]string{filepath.Join(root, "nothing")}, 1, "no such file"},
	} {
		dst := filepath.Join(root, "refused")
		code, _, stderr := runCmd(append([]string{"export", "--hf", dst}, c.args...)...)
		if code != c.code || !strings.Contains(stderr, c.want) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q, want %q on one line", c.args, code, stderr, c.want)
		}
		if pathExists(dst) {
			t.Errorf("%v: wrote %s", c.args, dst)
		}
	}
	if code, _, stderr := runCmd("export", "--hf", out, clm); code != 1 || !strings.Contains(stderr, "exists and is not empty") {
		t.Errorf("occupied OUT: exit %d %q", code, stderr)
	}
	if code, _, _ := runCmd("export", clm); code != 2 {
		t.Errorf("no --hf: exit %d, want usage (2)", code)
	}
	// An HF directory re-exports (F16/BF16 shards to one F32 file).
	outR := filepath.Join(root, "resaved")
	if code, stdout, stderr := runCmd("export", "--hf", outR, filepath.Join("..", "..", "builtin", "hf", "testdata", "gpt2-sharded")); code != 0 ||
		!strings.Contains(stdout, "tokenizer.json") || !pathExists(filepath.Join(outR, hf.TokenizerFile)) {
		t.Errorf("re-export: exit %d %q %q", code, stdout, stderr)
	}
	ents, _ := os.ReadDir(root)
	for _, e := range ents {
		if checkpoint.IsTemp(e.Name()) {
			t.Errorf("temporary left: %s", e.Name())
		}
	}
}
