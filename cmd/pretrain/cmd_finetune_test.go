package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pretrain-go/pretrain/builtin/finetune"
	"github.com/pretrain-go/pretrain/builtin/gpt"
	"github.com/pretrain-go/pretrain/sdk/checkpoint"
	"github.com/pretrain-go/pretrain/sdk/tensor"
)

// ftFixture writes a tiny byte-level GPT backbone and a toy labeled task
// (the label is the animal named) as JSONL train/eval files and a CSV.
func ftFixture(t *testing.T) (dir, backbone, trainFile, evalFile string) {
	t.Helper()
	dir = t.TempDir()
	g, err := gpt.New(gpt.Config{VocabSize: finetune.ByteVocab, ContextLen: 32, Dim: 32, Layers: 1, Heads: 2, TiedEmbeddings: true}, tensor.NewRNG(1))
	if err != nil {
		t.Fatal(err)
	}
	backbone = filepath.Join(dir, "backbone")
	if err := finetune.SavePretrained(backbone, finetune.NewGPT(g), finetune.ByteTokens(), nil); err != nil {
		t.Fatal(err)
	}
	animals := []string{"cat", "dog", "owl"}
	write := func(name string, n, off int) string {
		var b strings.Builder
		for i := 0; i < n; i++ {
			a := animals[(i*7+off)%3]
			fmt.Fprintf(&b, "{\"text\": \"the %s sat near house %d\", \"label\": %q}\n", a, i%5, a)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	return dir, backbone, write("train.jsonl", 48, 0), write("eval.jsonl", 15, 1)
}

func runCmd(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestFinetunePredictEvaluate(t *testing.T) {
	dir, backbone, trainFile, evalFile := ftFixture(t)
	out := filepath.Join(dir, "ft")
	code, stdout, stderr := runCmd("finetune", "--from", backbone, "--data", trainFile, "--eval", evalFile, "--out", out,
		"--steps", "30", "--lr", "3e-3", "--head-lr", "1e-2", "--labels", "3", "--strategy", "lora", "--lora-rank", "4")
	if code != 0 {
		t.Fatalf("finetune exit %d: %s%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "kept: step") || !strings.Contains(stdout, "model in "+out) {
		t.Fatalf("finetune output:\n%s", stdout)
	}
	for _, f := range []string{"model.safetensors", "config.json", "labels.json"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Fatal(err)
		}
	}
	code, stdout, stderr = runCmd("predict", "--model", out, "the owl sat near house 2", "the cat sat near house 1")
	if code != 0 || strings.Count(stdout, "\n") != 2 {
		t.Fatalf("predict exit %d: %q %s", code, stdout, stderr)
	}
	label, _, _ := strings.Cut(stdout, "\t")
	if label != "cat" && label != "dog" && label != "owl" {
		t.Fatalf("predict printed %q", stdout)
	}
	code, stdout, stderr = runCmd("evaluate", "--model", out, "--data", evalFile)
	if code != 0 || !strings.Contains(stdout, "accuracy") || !strings.Contains(stdout, "true\\pred") || !strings.Contains(stdout, "2 owl") {
		t.Fatalf("evaluate exit %d:\n%s%s", code, stdout, stderr)
	}
}

func TestFinetuneBadInput(t *testing.T) {
	dir, backbone, trainFile, evalFile := ftFixture(t)
	writeFile := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	unknown := writeFile("unknown.jsonl", "{\"text\": \"the cat\", \"label\": \"cat\"}\n{\"text\": \"a horse\", \"label\": \"horse\"}\n")
	empty := writeFile("empty.jsonl", "")
	noText := writeFile("notext.csv", "sentence,label\nthe cat,cat\n")
	other := filepath.Join(dir, "vectors")
	os.MkdirAll(other, 0o755)
	writeFile("vectors/config.json", `{"model_type": "word2vec", "vector_size": 50}`)
	os.MkdirAll(filepath.Join(dir, "alien"), 0o755)
	writeFile("alien/config.json", `{"model_type": "alien"}`)
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"unknown eval label", []string{"--data", trainFile, "--eval", unknown}, `unknown label "horse"`},
		{"empty file", []string{"--data", empty}, "empty.jsonl"},
		{"missing text column", []string{"--data", noText}, "text"},
		{"word vectors without a table", []string{"--data", trainFile, "--from", other}, "word-vector directory without vectors.bin"},
		{"unknown architecture", []string{"--data", trainFile, "--from", filepath.Join(dir, "alien")}, `"alien"`},
		{"label count", []string{"--data", trainFile, "--labels", "4"}, "--labels 4"},
		{"missing checkpoint", []string{"--data", trainFile, "--from", filepath.Join(dir, "nope")}, "not a checkpoint"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := filepath.Join(dir, "out-"+strings.ReplaceAll(c.name, " ", "-"))
			args := append([]string{"finetune", "--from", backbone, "--out", out, "--steps", "2"}, c.args...)
			code, stdout, stderr := runCmd(args...)
			if code != 1 {
				t.Fatalf("exit %d, want 1: %s%s", code, stdout, stderr)
			}
			oneLine(t, stderr)
			if !strings.Contains(stderr, c.want) {
				t.Fatalf("stderr %q does not mention %q", stderr, c.want)
			}
			if _, err := os.Stat(out); !os.IsNotExist(err) {
				t.Fatalf("%s was written", out)
			}
		})
	}
	_ = evalFile
	// predict and evaluate refuse a directory that is not a fine-tuned model.
	if code, _, stderr := runCmd("predict", "--model", backbone, "hello"); code != 1 || !strings.Contains(stderr, "not a fine-tuned model") {
		t.Fatalf("predict on a backbone: %d %q", code, stderr)
	}
	if code, _, stderr := runCmd("evaluate", "--model", other, "--data", evalFile); code != 1 || !strings.Contains(stderr, "word2vec") {
		t.Fatalf("evaluate on vectors: %d %q", code, stderr)
	}
	if code, _, _ := runCmd("finetune", "--data", trainFile); code != 2 {
		t.Fatalf("finetune without --from: exit %d, want 2", code)
	}
}

func TestTransferSmall(t *testing.T) {
	dir, backbone, trainFile, evalFile := ftFixture(t)
	out := filepath.Join(dir, "tr")
	code, stdout, stderr := runCmd("transfer", "--from", backbone, "--data", trainFile, "--eval", evalFile, "--out", out,
		"--budgets", "12,all", "--seeds", "1", "--steps", "6", "--seq-len", "32")
	if code != 0 {
		t.Fatalf("transfer exit %d: %s%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "| 12 |") || !strings.Contains(stdout, "| 48 |") {
		t.Fatalf("table:\n%s", stdout)
	}
	for _, f := range []string{"results.md", "results.json", "transfer.svg"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Fatal(err)
		}
	}
	code, stdout, _ = runCmd("transfer", "--export", filepath.Join(dir, "austen"))
	if b, err := os.ReadFile(filepath.Join(dir, "austen", "austen-eval.jsonl")); code != 0 || err != nil || strings.Count(string(b), "\n") != 744 {
		t.Fatalf("export: exit %d, %v, %q", code, err, stdout)
	}
	if code, _, stderr := runCmd("transfer", "--budgets", "ten"); code != 1 || !strings.Contains(stderr, "--budgets") {
		t.Fatalf("bad budgets: %d %q", code, stderr)
	}
	if code, _, stderr := runCmd("transfer", "--text", filepath.Join(dir, "missing.txt")); code != 1 || !strings.Contains(stderr, "--text") {
		t.Fatalf("missing --text: %d %q", code, stderr)
	}
	if code, _, stderr := runCmd("transfer", "--model", "bert-small"); code != 1 || !strings.Contains(stderr, "needs a gpt one") {
		t.Fatalf("bert preset: %d %q", code, stderr)
	}
	if code, _, stderr := runCmd("transfer", "--contrastive", "-1"); code != 1 || !strings.Contains(stderr, "--contrastive") {
		t.Fatalf("negative contrastive: %d %q", code, stderr)
	}
}

// TestFinetunePrecisionFlags: --bf16 fine-tunes in mixed precision (the
// weights end differently from float32's with the same seed, and stay
// float32), --save-dtype bf16 stores bfloat16 weights that predict loads.
func TestFinetunePrecisionFlags(t *testing.T) {
	dir, backbone, trainFile, evalFile := ftFixture(t)
	run := func(name string, extra ...string) map[string]*tensor.Tensor {
		t.Helper()
		out := filepath.Join(dir, name)
		code, stdout, stderr := runCmd(append([]string{"finetune", "--from", backbone, "--data", trainFile, "--eval", evalFile,
			"--out", out, "--steps", "8", "--patience", "0"}, extra...)...)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s%s", name, code, stdout, stderr)
		}
		sd, _, err := checkpoint.Load(filepath.Join(out, checkpoint.ModelFile))
		if err != nil {
			t.Fatal(err)
		}
		return sd
	}
	f32, mixed, saved := run("f32"), run("mixed", "--bf16"), run("saved", "--save-dtype", "bf16")
	differs := false
	for k, v := range f32 {
		if v.DType() != tensor.F32 || mixed[k].DType() != tensor.F32 || saved[k].DType() != tensor.BF16 {
			t.Fatalf("%s: dtypes %s / %s / %s, want f32 / f32 / bf16", k, v.DType(), mixed[k].DType(), saved[k].DType())
		}
		differs = differs || fmt.Sprint(v.Float32s()) != fmt.Sprint(mixed[k].Float32s())
	}
	if !differs {
		t.Fatal("--bf16 fine-tuned exactly like f32: mixed precision is not on")
	}
	code, stdout, stderr := runCmd("predict", "--model", filepath.Join(dir, "saved"), "the owl sat near house 2")
	if code != 0 || strings.Count(stdout, "\n") != 1 {
		t.Fatalf("predict on bf16 weights: %d %q %s", code, stdout, stderr)
	}
	code, _, stderr = runCmd("finetune", "--from", backbone, "--data", trainFile, "--out", filepath.Join(dir, "bad"), "--save-dtype", "fp8")
	if code != 1 || !strings.Contains(stderr, `unknown dtype "fp8"`) {
		t.Fatalf("--save-dtype fp8: %d %q", code, stderr)
	}
}

// Flags of finetune, predict and evaluate added for honest selection,
// whole texts and per-class metrics.
func TestFinetuneSelectionAndIO(t *testing.T) {
	dir, backbone, trainFile, evalFile := ftFixture(t)
	out := filepath.Join(dir, "ft")
	base := []string{"finetune", "--from", backbone, "--data", trainFile, "--eval", evalFile, "--out", out, "--steps", "20", "--lr", "3e-3"}

	// Default: 20% of --data validates, the test file is scored once.
	code, stdout, stderr := runCmd(base...)
	if code != 0 || !strings.Contains(stdout, "on 39 examples") || !strings.Contains(stdout, "validation 9 (20% of") ||
		!strings.Contains(stdout, "test (") || !strings.Contains(stdout, "scored once, all 15 examples") {
		t.Fatalf("default split: exit %d\n%s%s", code, stdout, stderr)
	}
	if !strings.Contains(stderr, "step 20/20: train loss") || !strings.Contains(stderr, "ETA") {
		t.Fatalf("no progress lines on stderr: %q", stderr)
	}
	// --valid FILE: all of --data trains; --valid-frac 0: no selection.
	code, stdout, _ = runCmd(append(base, "--valid", evalFile)...)
	if code != 0 || !strings.Contains(stdout, "on 48 examples") || !strings.Contains(stdout, "validation 15 ("+evalFile) {
		t.Fatalf("--valid: exit %d\n%s", code, stdout)
	}
	code, stdout, _ = runCmd(append(base, "--valid-frac", "0")...)
	if code != 0 || !strings.Contains(stdout, "on 48 examples") || !strings.Contains(stdout, "kept: the last step (20)") {
		t.Fatalf("--valid-frac 0: exit %d\n%s", code, stdout)
	}
	// --epochs without --steps runs that many passes (39 examples, batch 16: 3 steps each).
	code, stdout, _ = runCmd("finetune", "--from", backbone, "--data", trainFile, "--out", out, "--epochs", "2")
	if code != 0 || !strings.Contains(stdout, "done: 6 steps") {
		t.Fatalf("--epochs 2: exit %d\n%s", code, stdout)
	}
	// --seq-len beyond the backbone's 32 tokens is an error; texts longer
	// than a window are counted in the banner.
	code, stdout, stderr = runCmd(append(base, "--seq-len", "64")...)
	if code != 1 || !strings.Contains(stderr, "exceeds the backbone's context of 32") {
		t.Fatalf("--seq-len 64: exit %d %s%s", code, stdout, stderr)
	}
	code, stdout, _ = runCmd(append(base, "--seq-len", "8", "--valid-frac", "0")...)
	if code != 0 || !strings.Contains(stdout, "windows of 8 tokens, stride 8") || !strings.Contains(stdout, "48 of 48 training texts are longer than one window") {
		t.Fatalf("--seq-len 8: exit %d\n%s", code, stdout)
	}
	cfg, err := os.ReadFile(filepath.Join(out, "config.json"))
	if err != nil || !strings.Contains(string(cfg), `"seq_len": 8`) || !strings.Contains(string(cfg), `"window_stride": 8`) {
		t.Fatalf("config.json does not store the windows: %s %v", cfg, err)
	}
	// --scratch trains the same shape from random weights.
	code, stdout, _ = runCmd(append(base, "--scratch")...)
	if code != 0 || !strings.Contains(stdout, "scratch (random weights") {
		t.Fatalf("--scratch: exit %d\n%s", code, stdout)
	}

	// predict: flags after the texts; a JSONL file gives its text field.
	code, stdout, stderr = runCmd("predict", "the owl sat near house 2", "--model", out, "--probs")
	if code != 0 || strings.Count(stdout, "\n") != 1 || !strings.Contains(stdout, "owl=") || strings.Contains(stdout, "--model") {
		t.Fatalf("predict with trailing flags: exit %d %q %s", code, stdout, stderr)
	}
	code, stdout, stderr = runCmd("predict", "--model", out, "--file", evalFile)
	if code != 0 || strings.Count(stdout, "\n") != 15 || strings.Contains(stdout, `"label"`) {
		t.Fatalf("predict --file JSONL: exit %d %q %s", code, stdout, stderr)
	}
	code, stdout, _ = runCmd("predict", "--model", out, "--", "--probs")
	if code != 0 || !strings.Contains(stdout, "\t--probs\n") {
		t.Fatalf("predict -- --probs: exit %d %q", code, stdout)
	}
	if code, _, stderr := runCmd("predict", "-h"); code != 2 || !strings.Contains(stderr, "-text-column") || !strings.Contains(stderr, "-probs") {
		t.Fatalf("predict -h lists no flags: %q", stderr)
	}

	// evaluate --json: one object with per-class precision/recall/F1.
	code, stdout, stderr = runCmd("evaluate", "--model", out, "--data", evalFile, "--json")
	if code != 0 {
		t.Fatalf("evaluate --json: exit %d %s", code, stderr)
	}
	var got struct {
		Accuracy float64 `json:"accuracy"`
		N        int     `json:"n"`
		PerClass []struct {
			Label                 string
			Precision, Recall, F1 float64
			Support               int
		} `json:"per_class"`
	}
	if err := json.Unmarshal([]byte(stdout), &got); err != nil || got.N != 15 || len(got.PerClass) != 3 {
		t.Fatalf("evaluate --json: %v %q", err, stdout)
	}
	support := 0
	for _, c := range got.PerClass {
		support += c.Support
	}
	if support != 15 {
		t.Fatalf("supports sum to %d", support)
	}
	code, stdout, _ = runCmd("evaluate", "--model", out, "--data", evalFile)
	if code != 0 || !strings.Contains(stdout, "precision") || !strings.Contains(stdout, "support") {
		t.Fatalf("evaluate table: %q", stdout)
	}
}

// Every backbone the SDK pretrains fine-tunes through finetune --from and
// runs through predict and evaluate: each registry objective's encoder,
// word vectors from train and from a vector file, and --scratch of each.
func TestFinetuneEveryBackbone(t *testing.T) {
	dir, _, trainFile, evalFile := ftFixture(t)
	text := writeText(t, dir)
	small := []string{"--opt", "seq-len=16", "--opt", "batch=2", "--opt", "dim=16", "--opt", "layers=1", "--opt", "heads=2", "--steps", "2", "--threads", "1"}
	objectives := map[string][]string{
		"clm":         small,
		"mlm":         small,
		"electra":     small,
		"contrastive": small,
		"span":        small,
		"dae":         small,
		"bilm":        {"--opt", "seq-len=16", "--opt", "batch=2", "--opt", "dim=8", "--opt", "hidden=8", "--opt", "layers=1", "--steps", "2", "--threads", "1"},
		"skipgram":    {"--epochs", "1", "--opt", "dim=8", "--opt", "min-count=1", "--threads", "1"},
	}
	for obj, opts := range objectives {
		t.Run(obj, func(t *testing.T) {
			ck := filepath.Join(dir, "ck-"+obj)
			code, stdout, stderr := runCmd(append([]string{"train", "--objective", obj, "--data", text, "--out", ck}, opts...)...)
			if code != 0 {
				t.Fatalf("train: exit %d %s%s", code, stdout, stderr)
			}
			// The backbone carries the checkpoint's weights, not fresh ones.
			pre, err := finetune.LoadPretrained(ck)
			if err != nil {
				t.Fatal(err)
			}
			if obj != "skipgram" {
				saved, _, err := checkpoint.Load(filepath.Join(ck, checkpoint.ModelFile))
				if err != nil {
					t.Fatal(err)
				}
				for name, v := range pre.Backbone.StateDict() {
					var match *tensor.Tensor
					for _, prefix := range []string{"", "disc.", "encoder."} { // electra's discriminator, t5's encoder
						if w, ok := saved[prefix+name]; ok && match == nil {
							match = w
						}
					}
					if match == nil {
						t.Fatalf("backbone tensor %s not in the checkpoint", name)
					}
					a, b := v.Float32s(), match.Float32s()
					for i := range a {
						if a[i] != b[i] {
							t.Fatalf("backbone tensor %s differs from the checkpoint's", name)
						}
					}
				}
			}
			for _, scratch := range []bool{false, true} {
				out := filepath.Join(dir, fmt.Sprintf("ft-%s-%t", obj, scratch))
				args := []string{"finetune", "--from", ck, "--data", trainFile, "--eval", evalFile, "--out", out, "--steps", "6", "--seq-len", "0"}
				if scratch {
					args = append(args, "--scratch")
				}
				code, stdout, stderr = runCmd(args...)
				if code != 0 || !strings.Contains(stdout, "test (") {
					t.Fatalf("finetune (scratch %t): exit %d %s%s", scratch, code, stdout, stderr)
				}
				_, testLine, _ := strings.Cut(stdout, "scored once, all 15 examples): ")
				testLine, _, _ = strings.Cut(testLine, "\n")
				code, stdout, stderr = runCmd("predict", "--model", out, "the owl sat near house 2")
				if code != 0 || strings.Count(stdout, "\n") != 1 {
					t.Fatalf("predict: exit %d %q %s", code, stdout, stderr)
				}
				code, stdout, stderr = runCmd("evaluate", "--model", out, "--data", evalFile, "--json")
				if code != 0 || !strings.Contains(stdout, `"per_class"`) {
					t.Fatalf("evaluate: exit %d %q %s", code, stdout, stderr)
				}
				// The saved model is the trained one: evaluate agrees with
				// finetune's own test score.
				_, stdout, _ = runCmd("evaluate", "--model", out, "--data", evalFile)
				if testLine == "" || !strings.Contains(stdout, ": "+testLine+"\n") {
					t.Fatalf("evaluate after reload %q, finetune's test score %q", stdout, testLine)
				}
			}
		})
	}
}
