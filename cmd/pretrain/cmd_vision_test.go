package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTransferImagesSynthetic runs the CI-size image experiment through
// the CLI, then fine-tunes its saved backbone with `finetune --images`.
func TestTransferImagesSynthetic(t *testing.T) {
	out := filepath.Join(t.TempDir(), "vision")
	code, stdout, stderr := runCmd("transfer", "--images", "synthetic", "--budgets", "30,all", "--seeds", "1",
		"--pretrain-steps", "20", "--steps", "15", "--clip-steps", "20", "--train-limit", "400", "--test-limit", "200", "--out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "| 30 |") || !strings.Contains(stdout, "| all |") || !strings.Contains(stdout, "all 200 test images") ||
		!strings.Contains(stdout, "CLIP zero-shot accuracy") || !strings.Contains(stdout, "MAE pretraining: 20 steps") {
		t.Fatalf("stdout:\n%s", stdout)
	}
	var rep struct {
		TrainImages int `json:"train_images"`
		Runs        []struct{ Budget int }
	}
	raw, err := os.ReadFile(filepath.Join(out, "results.json"))
	if err != nil || json.Unmarshal(raw, &rep) != nil || rep.TrainImages != 400 || len(rep.Runs) != 4 {
		t.Fatalf("results.json %s: %v", raw, err)
	}
	pre := filepath.Join(out, "pretrained")
	ft := filepath.Join(t.TempDir(), "ft")
	code, stdout, stderr = runCmd("finetune", "--images", "synthetic", "--from", pre, "--budget", "50", "--steps", "10",
		"--strategy", "probe", "--test-limit", "100", "--out", ft)
	if code != 0 || !strings.Contains(stdout, "probe, 50 labels") || !strings.Contains(stdout, "on 100 images") {
		t.Fatalf("finetune exit %d: %s%s", code, stdout, stderr)
	}
	if _, err := os.Stat(filepath.Join(ft, "model.safetensors")); err != nil {
		t.Fatal(err)
	}
	// Shape, precision, thread and fine-tuning flags reach the run.
	out3 := filepath.Join(t.TempDir(), "v3")
	code, stdout, stderr = runCmd("transfer", "--images", "synthetic", "--budgets", "20", "--seeds", "1", "--pretrain-steps", "3",
		"--pretrain-batch", "16", "--steps", "4", "--batch", "8", "--lr", "0.002", "--layer-decay", "0.5", "--patch", "8", "--dim", "16",
		"--layers", "1", "--bf16", "--threads", "1", "--clip-steps", "-1", "--test-limit", "20", "--out", out3)
	md, _ := os.ReadFile(filepath.Join(out3, "results.md"))
	for _, want := range []string{"patch=8, dim=16, layers=1", "4 fine-tuning steps of 8 (lr 0.002, layer decay 0.5)", "precision bf16, threads 1", "MAE pretraining: 3 steps"} {
		if code != 0 || !strings.Contains(string(md), want) {
			t.Fatalf("exit %d, results.md lacks %q:\n%s%s", code, want, md, stderr)
		}
	}
	// --objective image-dae pretrains the denoising autoencoder, with --noise.
	out4 := filepath.Join(t.TempDir(), "v4")
	code, stdout, stderr = runCmd("transfer", "--images", "synthetic", "--objective", "image-dae", "--noise", "0.25", "--budgets", "20", "--seeds", "1",
		"--pretrain-steps", "3", "--steps", "4", "--clip-steps", "-1", "--test-limit", "20", "--out", out4)
	if code != 0 || !strings.Contains(stdout, "DAE-pretrained ViT") || !strings.Contains(stdout, "DAE pretraining: 3 steps") {
		t.Fatalf("transfer --objective image-dae exit %d: %s%s", code, stdout, stderr)
	}
	if md, _ := os.ReadFile(filepath.Join(out4, "results.md")); !strings.Contains(string(md), "image-dae(") || !strings.Contains(string(md), "noise=0.25") {
		t.Fatalf("results.md:\n%s", md)
	}
	// --from on transfer skips pretraining.
	code, stdout, stderr = runCmd("transfer", "--images", "synthetic", "--from", pre, "--budgets", "30", "--seeds", "1",
		"--steps", "5", "--clip-steps", "-1", "--test-limit", "50", "--out", filepath.Join(t.TempDir(), "v2"))
	if code != 0 || strings.Contains(stdout, "MAE pretraining") || strings.Contains(stdout, "zero-shot") {
		t.Fatalf("transfer --from exit %d: %s%s", code, stdout, stderr)
	}
}

func TestZeroShotSyntheticAndErrors(t *testing.T) {
	code, stdout, stderr := runCmd("zeroshot", "--images", "synthetic", "--steps", "30", "--test-limit", "100")
	if code != 0 || !strings.Contains(stdout, "zero-shot accuracy on 100 test images") || !strings.Contains(stdout, "4 classes") {
		t.Fatalf("exit %d: %s%s", code, stdout, stderr)
	}
	if code, _, stderr := runCmd("zeroshot"); code == 0 || !strings.Contains(stderr, "--images is required") {
		t.Fatalf("missing --images: exit %d %s", code, stderr)
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "train-images-idx3-ubyte"), []byte{0, 0, 8, 3, 0, 0, 0, 9}, 0o644)
	if code, _, stderr := runCmd("zeroshot", "--images", dir); code == 0 || !strings.Contains(stderr, "truncated IDX header") {
		t.Fatalf("malformed IDX: exit %d %s", code, stderr)
	}
	if code, _, stderr := runCmd("transfer", "--images", "synthetic", "--strategy", "bogus", "--clip-steps", "-1"); code == 0 || !strings.Contains(stderr, "bogus") {
		t.Fatalf("bad strategy: exit %d %s", code, stderr)
	}
}

// TestImageFlagsRefusedWhenIgnored checks that a flag the rest of the
// command line would make a no-op is an error, before any work starts.
func TestImageFlagsRefusedWhenIgnored(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"transfer", "--images", "synthetic", "--from", "x", "--dim", "64"}, "--dim does not apply with --from"},
		{[]string{"transfer", "--images", "synthetic", "--from", "x", "--pretrain-steps", "5"}, "--pretrain-steps does not apply with --from"},
		{[]string{"transfer", "--images", "synthetic", "--from", "x", "--pretrain-batch", "5"}, "--pretrain-batch does not apply with --from"},
		{[]string{"finetune", "--images", "synthetic", "--from", "x", "--layers", "3"}, "--layers does not apply with --from"},
		{[]string{"finetune", "--images", "synthetic", "--from", "x", "--patch", "2"}, "--patch does not apply with --from"},
		{[]string{"transfer", "--images", "synthetic", "--strategy", "probe", "--layer-decay", "0.5"}, "--layer-decay does not apply to --strategy probe"},
		{[]string{"finetune", "--images", "synthetic", "--strategy", "lora", "--layer-decay", "0.5"}, "--layer-decay does not apply to --strategy lora"},
		{[]string{"transfer", "--images", "synthetic", "--lora-rank", "4"}, "--lora-rank does not apply to --strategy full"},
		{[]string{"transfer", "--images", "synthetic", "--noise", "0.3"}, "--noise does not apply to --objective mae"},
		{[]string{"transfer", "--images", "synthetic", "--from", "x", "--objective", "image-dae"}, "--objective does not apply with --from"},
		{[]string{"finetune", "--images", "synthetic", "--strategy", "probe", "--lora-rank", "4"}, "--lora-rank does not apply to --strategy probe"},
	} {
		code, stdout, stderr := runCmd(tc.args...)
		if code == 0 || !strings.Contains(stderr, tc.want) || stdout != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want an error containing %q", tc.args, code, stdout, stderr, tc.want)
		}
	}
}

// TestImageFlagsOutOfRange: out-of-range numbers are errors before any
// pretraining runs or any output is written (some used to panic after
// minutes of pretraining).
func TestImageFlagsOutOfRange(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"transfer", "--lr", "-1"}, "LR is -1"},
		{[]string{"transfer", "--batch", "-3"}, "Batch is -3"},
		{[]string{"transfer", "--steps", "-1"}, "Steps is -1"},
		{[]string{"transfer", "--layer-decay", "2"}, "LayerLR is 2"},
		{[]string{"transfer", "--budgets", "100000"}, "label budget 100000 outside [0, 2000]"},
		{[]string{"transfer", "--threads", "-1"}, "Threads is -1"},
		{[]string{"transfer", "--strategy", "lora", "--lora-rank", "-2"}, "LoRARank is -2"},
		{[]string{"transfer", "--objective", "image-dae", "--noise", "-1"}, "Noise is -1"},
		{[]string{"finetune", "--budget", "-5"}, "label budget -5"},
		{[]string{"finetune", "--steps", "-1"}, "Steps is -1"},
		{[]string{"zeroshot", "--batch", "-1"}, "CLIPBatch is -1"},
		{[]string{"zeroshot", "--test-limit", "-1"}, "must not be negative"},
	} {
		out := filepath.Join(t.TempDir(), "out")
		args := append(append([]string{tc.args[0], "--images", "synthetic"}, tc.args[1:]...), "--clip-steps", "-1", "--out", out)
		if tc.args[0] == "zeroshot" {
			args = append([]string{tc.args[0], "--images", "synthetic"}, tc.args[1:]...)
		} else if tc.args[0] == "finetune" {
			args = append(append([]string{tc.args[0], "--images", "synthetic"}, tc.args[1:]...), "--out", out)
		}
		code, stdout, stderr := runCmd(args...)
		if code != 1 || !strings.Contains(stderr, tc.want) || strings.Contains(stderr, "step 1") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want an error containing %q before training", args, code, stdout, stderr, tc.want)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("%v: wrote %s", args, out)
		}
	}
}
