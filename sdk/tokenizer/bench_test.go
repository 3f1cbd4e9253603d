package tokenizer

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// austenLines returns the non-empty lines of the six Austen novels from
// the shared data (the corpus of the HF comparison), or skips.
func austenLines(b *testing.B) ([]string, int64) {
	b.Helper()
	files, _ := filepath.Glob(filepath.Join("..", "..", "..", "shared", "data", "austen", "*.txt"))
	if len(files) == 0 {
		b.Skip("Austen corpus not available")
	}
	var lines []string
	var n int64
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		for _, l := range strings.Split(string(data), "\n") {
			if l != "" {
				lines = append(lines, l)
				n += int64(len(l))
			}
		}
	}
	return lines, n
}

// The encode benchmarks run EncodeBatch over all Austen lines; with
// -cpu 1 it runs on one goroutine, the HF comparison's one thread.
func BenchmarkEncodeBPE(b *testing.B) {
	tok := loadR50K(b)
	lines, n := austenLines(b)
	b.SetBytes(n)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tok.EncodeBatch(lines)
	}
}

func BenchmarkEncodeWordPiece(b *testing.B) {
	tok := loadBERT(b)
	lines, n := austenLines(b)
	b.SetBytes(n)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tok.EncodeBatch(lines)
	}
}

// BenchmarkEncodeBPEReuse shows the steady state of AppendEncode with a
// reused buffer: no allocation per line.
func BenchmarkEncodeBPEReuse(b *testing.B) {
	tok := loadR50K(b)
	lines, n := austenLines(b)
	b.SetBytes(n)
	b.ReportAllocs()
	var buf []int
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, l := range lines {
			buf = tok.AppendEncode(buf[:0], l)
		}
	}
}

func BenchmarkTrainBPE16k(b *testing.B) {
	lines, n := austenLines(b)
	text := strings.Join(lines, "\n")
	b.SetBytes(n)
	for i := 0; i < b.N; i++ {
		if _, err := TrainBPE(context.Background(), strings.NewReader(text), TrainOptions{VocabSize: 16000}); err != nil {
			b.Fatal(err)
		}
	}
}
