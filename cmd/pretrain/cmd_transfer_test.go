package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTransferWord2VecFrom runs `pretrain transfer --backbone word2vec`
// on given word vectors and a toy labeled task, in well under a second.
func TestTransferWord2VecFrom(t *testing.T) {
	dir, _, trainFile, evalFile := ftFixture(t)
	// Word vectors in word2vec text format: each animal on its own axis.
	vec := filepath.Join(dir, "vec.txt")
	words := []string{"the", "sat", "near", "house", "cat", "dog", "owl"}
	var b strings.Builder
	fmt.Fprintf(&b, "%d 4\n", len(words))
	for i, w := range words {
		v := []string{"0.1", "0.1", "0.1", "0.1"}
		if i >= 4 {
			v[i-4] = "1"
		}
		fmt.Fprintf(&b, "%s %s\n", w, strings.Join(v, " "))
	}
	if err := os.WriteFile(vec, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "transfer")
	code, stdout, stderr := runCmd("transfer", "--backbone", "word2vec", "--from", vec, "--data", trainFile, "--eval", evalFile,
		"--budgets", "6,all", "--seeds", "1", "--steps", "20", "--out", out)
	if code != 0 {
		t.Fatalf("transfer exit %d: %s%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "WordVectors(vocab=7, dim=4") || !strings.Contains(stdout, "| 6 |") || !strings.Contains(stdout, "| 48 |") {
		t.Fatalf("stdout:\n%s", stdout)
	}
	for _, f := range []string{"results.md", "results.json", "transfer.svg"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Fatal(err)
		}
	}
	// --strategy acts on word vectors too: gradual shows in the banner.
	code, stdout, stderr = runCmd("transfer", "--backbone", "word2vec", "--from", vec, "--data", trainFile, "--eval", evalFile,
		"--budgets", "6", "--seeds", "1", "--steps", "8", "--strategy", "gradual", "--out", out)
	if code != 0 || !strings.Contains(stdout, "strategy=gradual") {
		t.Fatalf("--strategy gradual: exit %d: %s%s", code, stdout, stderr)
	}
	// A flag the chosen backbone would ignore is an error, not a no-op.
	for _, args := range [][]string{
		{"--backbone", "word2vec", "--pooling", "last"},
		{"--backbone", "word2vec", "--pretrain-steps", "10"},
		{"--backbone", "word2vec", "--model", "gpt-tiny"},
		{"--backbone", "word2vec", "--contrastive", "0"},
		{"--backbone", "word2vec", "--seq-len", "32"},
		{"--backbone", "word2vec", "--lora-rank", "4"},
		{"--backbone", "word2vec", "--strategy", "lora"},
		{"--dim", "50"},
		{"--window", "5"},
		{"--freeze-vectors"},
	} {
		code, stdout, stderr = runCmd(append([]string{"transfer", "--out", filepath.Join(dir, "x")}, args...)...)
		if code == 0 || !strings.Contains(stderr, "does not apply") {
			t.Errorf("%v: exit %d: %s%s", args, code, stdout, stderr)
		}
	}
	code, stdout, stderr = runCmd("transfer", "--backbone", "bert", "--out", filepath.Join(dir, "x"))
	if code == 0 || !strings.Contains(stderr, "--backbone") {
		t.Fatalf("--backbone bert: exit %d: %s%s", code, stdout, stderr)
	}
}

// transfer's protocol flags: the table says what it reports, the test set
// is scored on every example, budgets are drawn as --budget-sampling says,
// and --seq-len above --from's context is an error.
func TestTransferProtocolFlags(t *testing.T) {
	dir, backbone, trainFile, evalFile := ftFixture(t)
	out := filepath.Join(dir, "tr")
	base := []string{"transfer", "--from", backbone, "--data", trainFile, "--eval", evalFile, "--out", out, "--seeds", "1,2", "--steps", "4"}
	code, stdout, stderr := runCmd(append(base, "--budgets", "12")...)
	if code != 0 {
		t.Fatalf("transfer exit %d: %s%s", code, stdout, stderr)
	}
	for _, want := range []string{"Test accuracy and macro-F1 on all 15 test examples, scored once per run", "a stratified random draw per seed",
		"checkpoint chosen on 20% of each budget held out for validation", "Naive Bayes test acc", "windows of 32 tokens"} {
		if !strings.Contains(stdout+stderr, want) {
			t.Fatalf("output lacks %q:\n%s%s", want, stdout, stderr)
		}
	}
	if !strings.Contains(stderr, "naive-bayes") || !strings.Contains(stderr, "kept step") {
		t.Fatalf("progress lines: %s", stderr)
	}
	code, stdout, _ = runCmd(append(base, "--budgets", "12", "--budget-sampling", "first", "--valid-frac", "0", "--eval-limit", "5")...)
	if code != 0 || !strings.Contains(stdout, "the first N training examples") || !strings.Contains(stdout, "last step kept") ||
		!strings.Contains(stdout, "a random 5 of the 15 test examples") {
		t.Fatalf("first/no validation/limit: exit %d\n%s", code, stdout)
	}
	// With first-N sampling every seed trains on the same examples, so
	// Naive Bayes (deterministic) scores the same: SD 0.
	if !strings.Contains(stdout, "± 0.0 | +") {
		t.Fatalf("first-N Naive Bayes differs between seeds:\n%s", stdout)
	}
	if code, _, stderr := runCmd(append(base, "--seq-len", "64")...); code != 1 || !strings.Contains(stderr, "exceeds the backbone's context of 32") {
		t.Fatalf("--seq-len 64: exit %d %q", code, stderr)
	}
	if code, _, stderr := runCmd(append(base, "--budget-sampling", "random")...); code != 1 || !strings.Contains(stderr, "--budget-sampling") {
		t.Fatalf("bad sampling: exit %d %q", code, stderr)
	}
}
