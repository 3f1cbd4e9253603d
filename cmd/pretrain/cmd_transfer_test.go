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
	code, stdout, stderr = runCmd("transfer", "--backbone", "bert", "--out", filepath.Join(dir, "x"))
	if code == 0 || !strings.Contains(stderr, "--backbone") {
		t.Fatalf("--backbone bert: exit %d: %s%s", code, stdout, stderr)
	}
}
