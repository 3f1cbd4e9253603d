package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pretrain-go/pretrain/sdk/data"
)

func TestMarkovRow(t *testing.T) {
	row := make([]int, 200)
	markovRow(row, 10, data.NewRNG(1))
	for i := 1; i < len(row); i++ {
		d := (row[i] - row[i-1] + 10) % 10
		if d < 1 || d > 4 || row[i] < 0 || row[i] >= 10 {
			t.Fatalf("step %d: %d -> %d", i, row[i-1], row[i])
		}
	}
}

// TestExportTrainCompare runs two parity steps of both models against
// themselves: the deviation must be zero and the plot written.
func TestExportTrainCompare(t *testing.T) {
	if testing.Short() {
		t.Skip("trains gpt-tiny and bert-tiny for two steps")
	}
	dir := t.TempDir()
	if err := export(dir, 2); err != nil {
		t.Fatal(err)
	}
	for _, m := range []string{"gpt", "bert"} {
		if err := trainParity(dir, m, 2); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(dir, "go_"+m+".txt"))
		if err != nil || len(strings.Fields(string(b))) != 2 {
			t.Fatalf("%s losses %q: %v", m, b, err)
		}
		if err := os.WriteFile(filepath.Join(dir, "torch_"+m+".txt"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := compare(dir); err != nil {
		t.Fatal(err)
	}
	svg, err := os.ReadFile(filepath.Join(dir, "parity.svg"))
	if err != nil || strings.Count(string(svg), "<polyline") != 4 {
		t.Fatalf("parity.svg: %v", err)
	}
}
