package main

import (
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pretrain-go/pretrain/builtin/bert"
	"github.com/pretrain-go/pretrain/builtin/hf"
	"github.com/pretrain-go/pretrain/builtin/lm"
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

// TestTrainExportReference: a clm run and an mlm --opt arch=bert run,
// trained for a few steps, export to directories that the reference
// loader of builtin/hf/testdata (transformers' modules and from_pretrained
// key rules in PyTorch) loads with no missing or unexpected keys, and whose
// reference logits equal the SDK's. Without python3 and torch it checks
// the round trip through hf.Load only.
func TestTrainExportReference(t *testing.T) {
	root := t.TempDir()
	opts := []string{"--opt", "dim=32", "--opt", "layers=1", "--opt", "heads=2", "--opt", "seq-len=16", "--opt", "batch=4"}
	runs := map[string][]string{"clm": nil, "mlm": {"--opt", "arch=bert", "--opt", "types=2"}}
	inputs := map[string]string{"clm": "gpt2", "mlm": "bert-mlm"}
	golden := filepath.Join("..", "..", "builtin", "hf", "testdata")
	var args []string
	outs := map[string]string{}
	for obj, extra := range runs {
		run := filepath.Join(root, obj)
		a := append([]string{"train", "--objective", obj, "--steps", "3", "--out", run}, append(opts, extra...)...)
		if code, _, stderr := runCmd(a...); code != 0 {
			t.Fatalf("train %s: %s", obj, stderr)
		}
		outs[obj] = filepath.Join(root, obj+"-hf")
		if code, _, stderr := runCmd("export", "--hf", outs[obj], run); code != 0 {
			t.Fatalf("export %s: %s", obj, stderr)
		}
		args = append(args, outs[obj], filepath.Join(golden, "expected", inputs[obj]+".safetensors"))
	}
	// The trained SDK models' logits on the generator's inputs.
	ours := map[string][]float32{}
	for obj := range outs {
		ck, err := lm.ReadCheckpoint(filepath.Join(root, obj))
		if err != nil {
			t.Fatal(err)
		}
		m, err := ck.HFModel()
		if err != nil {
			t.Fatal(err)
		}
		ex, _, err := checkpoint.Load(filepath.Join(golden, "expected", inputs[obj]+".safetensors"))
		if err != nil {
			t.Fatal(err)
		}
		ints := func(name string) []int {
			var o []int
			for _, v := range ex[name].Float32s() {
				o = append(o, int(v))
			}
			return o
		}
		b, n := ex["input_ids"].Size(0), ex["input_ids"].Size(1)
		s := tensor.NewScope().NoGrad()
		if m.GPT != nil {
			m.GPT.Train(false)
			ours[obj] = m.GPT.Forward(s, ints("input_ids"), b, n).Float32s()
		} else {
			m.BERT.Train(false)
			ours[obj] = m.BERT.Logits(m.BERT.Hidden(s, ints("input_ids"), ints("attention_mask"), ints("token_type_ids"), b, n)).Float32s()
		}
	}
	if _, err := os.Stat("/usr/bin/python3"); err != nil || exec.Command("/usr/bin/python3", "-c", "import torch").Run() != nil {
		t.Skip("no /usr/bin/python3 with torch for the reference loader")
	}
	cmd := exec.Command("/usr/bin/python3", append([]string{filepath.Join(golden, "gen_golden.py"), "check"}, args...)...)
	raw, err := cmd.Output()
	if err != nil {
		t.Fatalf("reference loader: %v", err)
	}
	var reps []struct {
		Missing, Unexpected, Mismatched []string
		Architecture                    string
		Outputs                         map[string]struct{ Data []float32 }
	}
	if err := json.Unmarshal(raw, &reps); err != nil || len(reps) != 2 {
		t.Fatalf("reference output: %v (%d reports)", err, len(reps))
	}
	for i := 0; i < len(args); i += 2 {
		r, obj := reps[i/2], map[string]string{outs["clm"]: "clm", outs["mlm"]: "mlm"}[args[i]]
		if len(r.Missing)+len(r.Unexpected)+len(r.Mismatched) != 0 {
			t.Errorf("%s (%s): missing %v, unexpected %v, mismatched %v", obj, r.Architecture, r.Missing, r.Unexpected, r.Mismatched)
		}
		want := r.Outputs["logits"].Data
		var d, m float64
		for j := range want {
			d = math.Max(d, math.Abs(float64(ours[obj][j]-want[j])))
			m = math.Max(m, math.Abs(float64(want[j])))
		}
		t.Logf("%s -> %s: logits rel err %.2e vs the reference", obj, r.Architecture, d/m)
		if len(want) != len(ours[obj]) || d/m > 1e-5 {
			t.Errorf("%s: logits rel err %.2e (len %d vs %d)", obj, d/m, len(want), len(ours[obj]))
		}
	}
}

// TestHFDirectoriesThroughTheCommands: Hugging Face directories (the
// parity goldens of builtin/hf, tokenizers as vocab.json + merges.txt and
// vocab.txt) work in generate, fillmask, embed, finetune --from, predict
// and evaluate with their own tokenizer, from any working directory.
func TestHFDirectoriesThroughTheCommands(t *testing.T) {
	abs := func(name string) string {
		p, err := filepath.Abs(filepath.Join("..", "..", "builtin", "hf", "testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	gpt2, bertMLM, bertCls := abs("gpt2"), abs("bert-mlm"), abs("bert-cls")
	root := t.TempDir()
	if code, stdout, stderr := runCmd("generate", "--prompt", "the", "--tokens", "4", "--temperature", "0", gpt2); code != 0 || !strings.HasPrefix(stdout, "the") {
		t.Fatalf("generate: exit %d %q %q", code, stdout, stderr)
	}
	if code, stdout, stderr := runCmd("fillmask", bertMLM, "the [MASK] sat"); code != 0 || !strings.Contains(stdout, "mask 1") {
		t.Fatalf("fillmask: exit %d %q %q", code, stdout, stderr)
	}
	texts := filepath.Join(root, "texts.txt")
	if err := os.WriteFile(texts, []byte("hello world\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, stdout, stderr := runCmd("embed", bertCls, texts); code != 0 || !strings.Contains(stdout, `"vector":[`) {
		t.Fatalf("embed: exit %d %q %q", code, stdout, stderr)
	}
	labeled := filepath.Join(root, "labeled.jsonl")
	var b strings.Builder
	for i := 0; i < 12; i++ {
		b.WriteString(`{"text":"the cat sat on the mat","label":"cat"}` + "\n" + `{"text":"dogs run in the park","label":"dog"}` + "\n")
	}
	if err := os.WriteFile(labeled, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, from := range []string{gpt2, bertCls} {
		out := filepath.Join(root, filepath.Base(from)+"-ft")
		if code, _, stderr := runCmd("finetune", "--from", from, "--data", labeled, "--steps", "3", "--pooling", "cls", "--out", out); code != 0 {
			t.Fatalf("finetune --from %s: exit %d %s", from, code, stderr)
		}
		if code, stdout, stderr := runCmd("predict", "--model", out, "a cat on a mat"); code != 0 || !strings.Contains(stdout, "a cat on a mat") {
			t.Fatalf("predict: exit %d %q %q", code, stdout, stderr)
		}
		if code, stdout, stderr := runCmd("evaluate", "--model", out, "--data", labeled, "--json"); code != 0 || !strings.Contains(stdout, `"accuracy"`) {
			t.Fatalf("evaluate: exit %d %q %q", code, stdout, stderr)
		}
	}
}
